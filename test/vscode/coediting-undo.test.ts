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
import type { PairlineApi } from '../../extension/api';
import { convergedWith, hostSessionWithCliGuest, pairline, typeInto, until, type CliGuest, type HostedSession } from './support';

const FILE = 'src/undo.txt';

describe('co-editing: undo takes back only one\'s own edits', function () {
  let api: PairlineApi;
  let session: HostedSession | undefined;
  let guest: CliGuest | undefined;
  let folder: vscode.Uri;
  const events = () => [api.onDidChange, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  /** Resolves once the CLI guest's copy equals the host editor's text and that text is `wanted`. */
  const converged = (document: vscode.TextDocument, wanted: string) => convergedWith(api, guest!, FILE, document, (text) => text === wanted);

  before(async () => {
    api = await pairline();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the test workspace is open');
    folder = workspaceFolder.uri;
    await fs.writeFile(vscode.Uri.joinPath(folder, ...FILE.split('/')).fsPath, 'base line\n');
    session = await hostSessionWithCliGuest(api, 'Udo the guest');
    guest = session.guest;
  });

  after(async () => {
    await session?.stop();
  });

  it('pairline.undo removes the editor\'s typing but not the guest\'s insert, everywhere; pairline.redo restores it', async () => {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, ...FILE.split('/')));
    const editor = await vscode.window.showTextDocument(document);
    await guest!.command({ cmd: 'open', file: FILE });
    await until(`${FILE} bound on the host`, () => api.testing.coEditing.boundPaths.includes(FILE), events());

    // Typed here, at the end of the first line (retried if a remote edit got in first).
    await typeInto(editor, () => [document.lineAt(0).range.end], ' typed here');
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
