// Scenario 3: Alice selects; Bob sees her coloured cursor, selection and name at that place. Alice
// types; Bob sees her text, her cursor still at the right place. Then both type on different lines
// at the same time and end with the same text. Last, Bob presses Ctrl+Z after Alice typed: only his
// own typing goes, in both copies, and Ctrl+Shift+Z brings it back.
import assert from 'node:assert/strict';
import { STEP, assertNoDesync, requireCoEditing, waitForSameText } from './common.mjs';
import { waitUntil } from '../lib/wait.mjs';

const ALICE_NOTE = ' // Alice: say hi';

/** Bob's drawn marks of Alice in his active editor, or undefined. */
function aliceMark(snapshot) {
  return (snapshot.pairline.decorations ?? []).find((d) => d.name === 'Alice' && d.uri === snapshot.activeEditor?.uri);
}

const at = (line, character) => (p) => p.line === line && p.character === character;

/** @param {import('../run.mjs').Context} ctx */
export async function coEditingScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step(STEP.cursor, async () => {
    // Select "greeting" on line 3 ("  const greeting = …"): columns 9–16, cursor after it.
    await alice.window.focusEditor();
    await alice.window.goTo(3, 9);
    for (let i = 0; i < 'greeting'.length; i++) await alice.window.page.keyboard.press('Shift+ArrowRight');
    await alice.window.probe.waitFor('Alice\'s editor selects "greeting"', (s) => {
      const selection = s.activeEditor?.selections[0];
      return selection && at(2, 8)(selection.anchor) && at(2, 16)(selection.active);
    });
    const drawn = await bob.window.probe.waitFor('Bob\'s editor draws Alice\'s cursor after "greeting", her selection and her name', (s) => {
      const mark = aliceMark(s);
      return mark && mark.cursors.some(at(2, 16)) && mark.selections.some((r) => at(2, 8)(r.start) && at(2, 16)(r.end)) && mark;
    });
    assert.equal(drawn.label, 'Alice', 'the name label says Alice');
    assert.match(drawn.colorId, /^pairline\.participant\d$/);
    // On the page: the label is drawn in Bob's editor (as CSS content, see Window.decorationLabel).
    const box = await waitUntil('Bob\'s editor draws the label "Alice"', () => bob.window.decorationLabel('Alice'), { timeoutMs: 15_000 });
    // README picture: a few lines around the label.
    const clip = { x: Math.max(0, box.x - 300), y: Math.max(0, box.y - 70), width: 620, height: 170 };
    ctx.docsShots.set('remote-cursor.png', await bob.window.page.screenshot({ clip }));
    return `Bob draws Alice's ${drawn.colorId} cursor and selection, labelled "${drawn.label}"`;
  }, { needs: [STEP.opened] });

  await suite.step(STEP.typed, async () => {
    await requireCoEditing(ctx);
    await alice.window.focusEditor();
    await alice.window.goTo(3);
    await alice.window.page.keyboard.press('End');
    await alice.window.type(ALICE_NOTE);
    const text = await waitForSameText(ctx, 'src/greet.js', [ALICE_NOTE]);
    const end = text.split('\n')[2].length;
    await bob.window.probe.waitFor(`Bob draws Alice's cursor at the end of line 3 (column ${end + 1})`, (s) => aliceMark(s)?.cursors.some(at(2, end)));
    return 'Bob sees Alice\'s text and her cursor where she typed';
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
    await assertNoDesync(ctx);
    return 'both typed at once; both hold identical text';
  }, { needs: [STEP.typed] });

  await suite.step('bob-ctrl-z-undoes-only-his-own-typing', async () => {
    // Alice types last, so her edit is the newest one in Bob's editor: VS Code's own undo would
    // take hers back. Pairline's keybinding must undo Bob's instead.
    await alice.window.type(' and more');
    await waitForSameText(ctx, 'src/greet.js', [' // Alice was here and more', ' // Bob too']);
    await bob.window.page.keyboard.press('Control+Z');
    const undone = await waitUntil('both copies without (the end of) Bob\'s typing, with all of Alice\'s', async () => {
      const text = await waitForSameText(ctx, 'src/greet.js', [ALICE_NOTE, ' // Alice was here and more'], { timeoutMs: 5_000 });
      return !text.split('\n')[3].endsWith(' // Bob too') && text;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.ok(undone.split('\n')[7].endsWith(' // Alice was here and more'), 'Alice\'s line is untouched');
    await bob.window.page.keyboard.press('Control+Shift+Z');
    const redone = await waitForSameText(ctx, 'src/greet.js', [ALICE_NOTE, ' // Alice was here and more', ' // Bob too']);
    assert.ok(redone.split('\n')[3].endsWith(' // Bob too'), `Bob's words are back on line 4: ${JSON.stringify(redone.split('\n')[3])}`);
    await assertNoDesync(ctx);
    return `Ctrl+Z in Bob's window took back ${JSON.stringify(redone.split('\n')[3].slice(undone.split('\n')[3].length))} of his own, none of Alice's; Ctrl+Shift+Z put it back`;
  }, { needs: [STEP.together] });
}
