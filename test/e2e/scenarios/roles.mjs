// Scenario 6: Alice makes Bob a viewer (his editor turns read-only); Alice ends the session (Bob
// sees "Session ended" and his pairline: folder goes away).
import assert from 'node:assert/strict';
import { STEP, sharedFile } from './common.mjs';
import { documentOf } from '../lib/probe.mjs';
import { waitUntil } from '../lib/wait.mjs';

/** @param {import('../run.mjs').Context} ctx */
export async function rolesScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step(STEP.viewer, async () => {
    await alice.window.runCommand('Pairline: Change Participant Role…');
    await alice.window.pickQuickItem('Bob');
    await alice.window.pickQuickItem('viewer');
    await bob.window.probe.waitFor('Bob is a viewer', (s) => s.pairline.role === 'viewer');
    await alice.window.probe.waitFor('Alice sees Bob as a viewer', (s) => s.pairline.participants.some((p) => p.name === 'Bob' && p.role === 'viewer'));
    return 'Bob is a viewer';
  }, { needs: ['relay-restarted-both-connected'] });

  await suite.step('bob-editor-read-only', async () => {
    const file = sharedFile(ctx);
    const before = documentOf(await bob.window.probe.snapshot(), file)?.text;
    assert.ok(before !== undefined, `Bob has ${file} open`);
    await bob.window.focusEditor();
    await bob.window.type('x');
    // VS Code's own answer to typing into a read-only editor ("Editor is read-only because the
    // file is read-only." in 1.100; "Cannot edit in read-only editor" in older releases).
    const message = bob.window.page.locator('.monaco-editor-overlaymessage', { hasText: /read-only/i }).first();
    await message.waitFor({ state: 'visible', timeout: 15_000 });
    const said = ((await message.textContent()) ?? '').trim();
    const after = documentOf(await bob.window.probe.snapshot(), file)?.text;
    assert.equal(after, before, 'Bob\'s document is unchanged');
    const aliceText = documentOf(await alice.window.probe.snapshot(), file)?.text;
    assert.equal(aliceText, before, 'nothing reached Alice');
    return `Bob's editor says "${said}"`;
  }, { needs: [STEP.viewer, STEP.opened] });

  await suite.step('alice-ends-session', async () => {
    await alice.window.runCommand('Pairline: End Session');
    // The confirmation is a modal dialog.
    const dialog = alice.window.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    await dialog.locator('.monaco-button', { hasText: 'End Session' }).first().click();
    // Bob's window reloads soon after (his last folder goes away), so what he sees is either the
    // status bar before the reload or the notification after it; the API state does not survive it.
    let seen = '';
    await waitUntil('Bob sees that the session ended (status bar or notification)', async () => {
      const status = await bob.window.statusText().catch(() => '');
      const messages = await bob.window.notificationMessages().catch(() => []);
      const found = [status, ...messages].find((text) => /session (for this folder )?has ended|session ended/i.test(text));
      if (found) seen = found;
      return found !== undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, describe: async () => JSON.stringify({ status: await bob.window.statusText().catch(() => '(no status bar item)'), notifications: await bob.window.notificationMessages().catch(() => []) }) });
    return `Bob sees "${seen}"`;
  }, { needs: [STEP.session] });

  await suite.step('bob-pairline-folder-gone', async () => {
    await bob.window.probe.waitFor('Bob\'s pairline: folder is gone', (s) => !s.workspaceFolders.some((f) => f.uri.startsWith('pairline:')), { timeoutMs: 60_000 });
    await bob.window.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    const rows = await bob.window.page.locator('.explorer-folders-view .monaco-list-row').count();
    assert.equal(rows, 0, 'Bob\'s Explorer shows none of Alice\'s files');
    return 'Bob\'s pairline: folder went away';
  }, { needs: ['alice-ends-session', STEP.project] });

  await suite.step('bob-pairline-editors-closed', async () => {
    // What a person expects once the host's folder is gone: no tab of it left open (an editor of
    // a pairline: file that no longer exists shows "could not be opened").
    await bob.window.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    let tabs = [];
    await waitUntil('Bob has no editor of Alice\'s files open', async () => {
      tabs = await bob.window.page.locator('.part.editor .tabs-container .tab').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''));
      const snapshot = await bob.window.probe.snapshot();
      const remoteDocuments = snapshot.documents.filter((d) => d.scheme === 'pairline');
      return tabs.length === 0 && remoteDocuments.length === 0;
    }, { timeoutMs: 20_000, describe: () => `open tabs: ${JSON.stringify(tabs)}` });
    return 'no tab of Alice\'s files is left open';
  }, { needs: ['bob-pairline-folder-gone'] });
}
