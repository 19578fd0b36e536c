// Scenario 5: the relay dies; both status bars say they are reconnecting with a countdown; both
// keep typing; the relay comes back on the same port; both are connected again and both documents
// hold every edit.
import assert from 'node:assert/strict';
import { CONNECTED_TWO, STEP, assertNoDesync, dismissNotifications, sharedFile, waitForSameText } from './common.mjs';

const RECONNECTING = /Reconnecting… \(retry in \d+ s/;
const OFFLINE_EDITS = { alice: ' // typed by Alice offline', bob: ' // typed by Bob offline' };

/** @param {import('../run.mjs').Context} ctx */
export async function reconnectScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step(STEP.relayDown, async () => {
    await dismissNotifications(ctx);
    await ctx.relay.current.kill9();
    const statuses = await Promise.all([alice, bob].map(async ({ window }) => {
      const text = await window.waitForStatus(RECONNECTING, { timeoutMs: 45_000 });
      if (window.name === 'Alice') {
        // README picture: the status bar's left end while reconnecting.
        const bar = await window.page.locator('.part.statusbar').boundingBox();
        const item = await window.statusItem().boundingBox();
        if (bar && item) {
          ctx.docsShots.set('reconnecting.png', await window.page.screenshot({
            clip: { x: 0, y: bar.y, width: Math.min(bar.width, item.x + item.width + 160), height: bar.height },
          }));
        }
      }
      return `${window.name} "${text}"`;
    }));
    return statuses.join(', ');
  }, { needs: [STEP.session] });

  await suite.step(STEP.offline, async () => {
    const file = sharedFile(ctx);
    // Line 1 for Alice, the last line for Bob: far apart, in the file both have open.
    await alice.window.focusEditor();
    await alice.window.goTo(1);
    await alice.window.page.keyboard.press('End');
    await bob.window.focusEditor();
    await bob.window.goTo(4);
    await bob.window.page.keyboard.press('End');
    await Promise.all([alice.window.type(OFFLINE_EDITS.alice), bob.window.type(OFFLINE_EDITS.bob)]);
    await alice.window.probe.waitFor('Alice\'s document holds her offline edit', (s) => s.documents.some((d) => d.path.endsWith(`/${file}`) && d.text.includes(OFFLINE_EDITS.alice)));
    await bob.window.probe.waitFor('Bob\'s document holds his offline edit', (s) => s.documents.some((d) => d.path.endsWith(`/${file}`) && d.text.includes(OFFLINE_EDITS.bob)));
    // Still down: nobody pretends to be connected.
    assert.match(await alice.window.statusText(), /Reconnecting|Offline/);
    assert.match(await bob.window.statusText(), /Reconnecting|Offline/);
    return `both typed in ${file} while the relay was down`;
  }, { needs: [STEP.relayDown, STEP.together] });

  await suite.step('relay-restarted-both-connected', async () => {
    await ctx.relay.restart();
    const [a, b] = await Promise.all([
      alice.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 60_000 }),
      bob.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 60_000 }),
    ]);
    for (const { window } of [alice, bob]) {
      await window.probe.waitFor(`${window.name} sees both participants online`, (s) => s.pairline.state === 'connected'
        && s.pairline.participants.length === 2 && s.pairline.participants.every((p) => p.state === 'online'));
    }
    return `relay back on port ${ctx.relay.current.port}: Alice "${a}", Bob "${b}"`;
  }, { needs: [STEP.relayDown], timeoutMs: 120_000 });

  await suite.step('edits-survive-relay-restart', async () => {
    const file = sharedFile(ctx);
    const earlier = file === 'src/greet.js' ? [' // Alice: say hi', ' // Alice was here', ' // Bob too'] : [];
    await waitForSameText(ctx, file, [OFFLINE_EDITS.alice, OFFLINE_EDITS.bob, ...earlier], { timeoutMs: 45_000 });
    await assertNoDesync(ctx);
    return `both windows hold every edit of ${file}`;
  }, { needs: ['relay-restarted-both-connected', STEP.offline] });
}
