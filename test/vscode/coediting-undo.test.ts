/**
 * Undo in a co-edited document inside the real extension host: the editor types, a scripted
 * `pairline` CLI guest inserts text, and `pairline.undo` (what Ctrl+Z runs in a co-edited editor)
 * takes back only the editor's typing, in the editor and at the guest, keeping the guest's insert;
 * `pairline.redo` brings the typing back. The relay and the CLI are stopped by this suite, also on
 * failure; every wait is bounded.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { startRelay, type RunningRelay } from '../support/relay-process';
import type { PairlineApi } from '../../extension/api';
import { pairline, startCliGuest, until, type CliGuest } from './support';

const FILE = 'src/undo.txt';

describe('co-editing: undo takes back only one\'s own edits', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  let guest: CliGuest | undefined;
  let folder: vscode.Uri;
  const events = () => [api.onDidChange, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  /** Resolves once the CLI guest's copy equals the host editor's text and that text is `wanted`. */
  async function converged(document: vscode.TextDocument, wanted: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      await api.testing.coEditing.whenIdle(document.uri);
      const expected = document.getText();
      const matched = await guest!.hasText(FILE, expected);
      last = expected;
      if (matched && expected === wanted) return;
    }
    throw new Error(`the host editor and the CLI guest did not both reach ${JSON.stringify(wanted)}; host text: ${JSON.stringify(last)}`);
  }

  before(async () => {
    api = await pairline();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the test workspace is open');
    folder = workspaceFolder.uri;
    await fs.writeFile(vscode.Uri.joinPath(folder, ...FILE.split('/')).fsPath, 'base line\n');
    relay = await startRelay();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', 'auto', vscode.ConfigurationTarget.Global);
    if (api.state && api.state !== 'ended' && api.state !== 'idle') await vscode.commands.executeCommand('pairline.leaveSession');
    await vscode.commands.executeCommand('pairline.startSession');
    assert.equal(api.role, 'host');
    assert.ok(api.inviteLink, 'the host has an invite link');
    guest = startCliGuest(api.inviteLink, 'Udo the guest');
    await guest.waitForOutput((output) => output.event === 'joined', 45_000);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.leaveSession');
    await guest?.stop();
    await relay?.stop();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', undefined, vscode.ConfigurationTarget.Global);
  });

  it('pairline.undo removes the editor\'s typing but not the guest\'s insert, everywhere; pairline.redo restores it', async () => {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, ...FILE.split('/')));
    const editor = await vscode.window.showTextDocument(document);
    await guest!.command({ cmd: 'open', file: FILE });
    await until(`${FILE} bound on the host`, () => api.testing.coEditing.boundPaths.includes(FILE), events());

    // Typed here, at the end of the first line (retried if a remote edit got in first).
    let typed = false;
    for (let attempt = 0; attempt < 50 && !typed; attempt++) {
      typed = await editor.edit((builder) => builder.insert(document.lineAt(0).range.end, ' typed here'), { undoStopBefore: false, undoStopAfter: false });
    }
    assert.ok(typed, 'the editor typed');
    await converged(document, 'base line typed here\n');
    // Then the guest inserts at the start.
    await guest!.command({ cmd: 'edit', file: FILE, offset: 0, insert: 'guest: ' });
    await converged(document, 'guest: base line typed here\n');

    assert.equal(await vscode.commands.executeCommand('pairline.undo'), true, 'there was an edit of ours to undo');
    await converged(document, 'guest: base line\n');
    assert.equal(await vscode.commands.executeCommand('pairline.undo'), false, 'nothing more of ours to undo: the guest\'s insert stays');
    assert.equal(document.getText(), 'guest: base line\n');

    assert.equal(await vscode.commands.executeCommand('pairline.redo'), true);
    await converged(document, 'guest: base line typed here\n');
    assert.equal(api.heals, 0, 'no heal was needed');
    assert.equal(api.testing.coEditing.reconciles, 0, 'no editor had to be reconciled');
  });
});
