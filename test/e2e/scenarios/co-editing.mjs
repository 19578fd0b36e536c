// Scenario 3: Alice types and selects; Bob sees her text and her coloured cursor with her name at
// the right place; then both type on different lines at the same time and end with the same text.
import assert from 'node:assert/strict';
import { STEP, waitForSameText } from './common.mjs';
import { waitUntil } from '../lib/wait.mjs';

const ALICE_NOTE = ' // Alice: say hi';

/** @param {import('../run.mjs').Context} ctx */
export async function coEditingScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step(STEP.cursor, async () => {
    await alice.window.focusEditor();
    await alice.window.goTo(3);
    await alice.window.page.keyboard.press('End');
    await alice.window.type(ALICE_NOTE);
    // Select "greeting" on line 3 ("  const greeting = …"): columns 9–16.
    await alice.window.goTo(3, 9);
    for (let i = 0; i < 'greeting'.length; i++) await alice.window.page.keyboard.press('Shift+ArrowRight');
    const selection = { start: { line: 2, character: 8 }, end: { line: 2, character: 16 } };
    await alice.window.probe.waitFor('Alice\'s editor selects "greeting"', (s) => {
      const current = s.activeEditor?.selections[0];
      return current && current.anchor.character === 8 && current.active.character === 16 && current.active.line === 2;
    });

    await waitForSameText(ctx, 'src/greet.js', [ALICE_NOTE]);
    const drawn = await bob.window.probe.waitFor('Bob\'s editor draws Alice\'s cursor, selection and name', (s) => {
      const mark = (s.pairline.decorations ?? []).find((d) => d.name === 'Alice' && d.uri === s.activeEditor?.uri);
      if (!mark) return false;
      const cursorRight = mark.cursors.some((c) => c.line === selection.end.line && c.character === selection.end.character);
      const selectionRight = mark.selections.some((r) => r.start.line === 2 && r.start.character === 8 && r.end.line === 2 && r.end.character === 16);
      return cursorRight && selectionRight && mark;
    });
    assert.ok(drawn.label?.includes('Alice'), `the name label says Alice: ${drawn.label}`);
    assert.match(drawn.colorId, /^pairline\.participant\d$/);

    // On the page: the label is drawn in Bob's editor.
    const box = await waitUntil('Bob\'s editor draws the label "Alice"', () => bob.window.decorationLabel('Alice'), { timeoutMs: 15_000 });
    {
      // README picture: a few lines around the label.
      const clip = { x: Math.max(0, box.x - 300), y: Math.max(0, box.y - 70), width: 620, height: 170 };
      ctx.docsShots.set('remote-cursor.png', await bob.window.page.screenshot({ clip }));
    }
    return `Bob sees Alice's text, her selection and her ${drawn.colorId} cursor labelled "${drawn.label}"`;
  }, { needs: [STEP.opened] });

  await suite.step(STEP.together, async () => {
    await alice.window.goTo(8);
    await alice.window.page.keyboard.press('End');
    await bob.window.focusEditor();
    await bob.window.goTo(4);
    await bob.window.page.keyboard.press('End');
    // Both at once, key by key.
    await Promise.all([alice.window.type(' // Alice was here'), bob.window.type(' // Bob too')]);
    const text = await waitForSameText(ctx, 'src/greet.js', [ALICE_NOTE, ' // Alice was here', ' // Bob too']);
    const lines = text.split('\n');
    assert.ok(lines[3].endsWith(' // Bob too'), `Bob's words are on line 4: ${JSON.stringify(lines[3])}`);
    assert.ok(lines[7].endsWith(' // Alice was here'), `Alice's words are on line 8: ${JSON.stringify(lines[7])}`);
    return 'both typed at once; both hold identical text';
  }, { needs: [STEP.cursor] });
}
