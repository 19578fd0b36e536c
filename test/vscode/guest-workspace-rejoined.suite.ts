/**
 * Phase "rejoined": the window that the "join" phase reloaded (its first folder is `pairline:`),
 * loaded once more with the tests. Nobody calls a join command here: the extension must come back
 * to the session from SecretStorage on its own, as the same participant, and serve the folder.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runState } from './guest-workspace-index';
import { pairline, until } from './support';
import { hostDir, text } from './guest-workspace-support';

describe('guest workspace after the extension host restarted', function () {
  it('rejoins the session by itself, as the same participant', async () => {
    const api = await pairline();
    await until('the session to be connected again', () => api.state === 'connected', [api.onDidChangeState as vscode.Event<unknown>, api.onDidChange], 60_000);
    assert.equal(api.role, 'editor');
    const { guestId } = runState();
    assert.ok(guestId, 'the runner recorded our participant id from the first join');
    assert.equal(api.me?.id, guestId, 'same participant id as before the restart');
  });

  it('still shows the host\'s folder first, named after it, and reads the host\'s files', async () => {
    const api = await pairline();
    const first = vscode.workspace.workspaceFolders?.[0];
    assert.equal(first?.uri.scheme, 'pairline');
    assert.equal(first?.uri.authority, Buffer.from(api.session!).toString('hex'));
    assert.equal(first?.name, path.basename(hostDir()));
    const uri = vscode.Uri.joinPath(first.uri, 'README.md');
    assert.equal(text(await vscode.workspace.fs.readFile(uri)), fs.readFileSync(path.join(hostDir(), 'README.md'), 'utf8'));
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(first.uri, 'src', 'greet.js'));
    assert.equal(document.getText(), fs.readFileSync(path.join(hostDir(), 'src', 'greet.js'), 'utf8'));
  });
});
