// Scenario 4: Bob follows Alice; Alice switches file; Bob's editor follows.
import { STEP } from './common.mjs';

/** @param {import('../run.mjs').Context} ctx */
export async function followScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step(STEP.follow, async () => {
    await bob.window.runCommand('Pairline: Follow Participant…');
    await bob.window.pickQuickItem('Alice');
    await bob.window.probe.waitFor('Bob follows Alice', (s) => s.pairline.following !== undefined && s.pairline.following === ctx.aliceId);
    return 'Bob follows Alice';
  }, { needs: [STEP.opened] });

  await suite.step(STEP.switched, async () => {
    await alice.window.quickOpen('main.js');
    await alice.window.probe.waitFor('Alice has src/main.js open', (s) => s.activeEditor?.uri.endsWith('/src/main.js'));
    const snapshot = await bob.window.probe.waitFor('Bob\'s editor follows to pairline:…/src/main.js',
      (s) => s.activeEditor?.uri.startsWith('pairline:') && s.activeEditor.uri.endsWith('/src/main.js') && s);
    return `Bob's editor shows ${snapshot.activeEditor.uri.replace(/^pairline:\/\/[^/]*/, 'pairline:')}`;
  }, { needs: [STEP.follow] });
}
