/**
 * Phase "window": a guest window that already is a (one-folder) workspace joins the host's session,
 * so adding the `pairline:` folder appends it without reloading the window, and every step can be
 * checked in one extension host: browse, read, excluded files, writes, viewer read-only, host
 * changes, presence in a `pairline:` document, stale folders, leaving.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PairlineApi } from '../../extension/api';
import { pairline, until } from './support';
import {
  folderEvents, hostDir, invite, pairlineFolders, rejection, tellHost, text, waitForHostEvent,
} from './guest-workspace-support';

describe('guest workspace in a window that already has a folder', function () {
  let api: PairlineApi;
  let root: vscode.Uri;
  const at = (...segments: string[]) => vscode.Uri.joinPath(root, ...segments);
  const apiEvents = () => [api.onDidChange, api.onDidChangeState, api.testing.onDidRenderDecorations] as vscode.Event<unknown>[];

  before(async () => {
    api = await pairline();
    assert.equal(vscode.workspace.workspaceFolders?.[0]?.uri.scheme, 'file', 'the window starts with a local folder');
  });

  after(async () => {
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.leaveSession');
  });

  it('joins from the invite link and adds the host\'s folder, named after it, without a reload', async () => {
    const joined = await vscode.commands.executeCommand<boolean>('pairline.joinSession', invite());
    assert.equal(joined, true);
    assert.equal(api.role, 'editor');
    await until('a pairline: workspace folder', () => pairlineFolders().length === 1, folderEvents, 30_000);
    const [folder] = pairlineFolders();
    assert.equal(folder!.name, path.basename(hostDir()));
    assert.equal(folder!.uri.authority, Buffer.from(api.session!).toString('hex'));
    assert.equal(folder!.uri.path, '/');
    assert.equal(folder!.index, 1, 'appended after the local folder');
    root = folder!.uri;
  });

  it('lists the host\'s files without the excluded .env', async () => {
    const entries = await vscode.workspace.fs.readDirectory(root);
    const names = entries.map(([name]) => name).sort();
    assert.deepEqual(names, ['README.md', 'big.bin', 'package.json', 'src']);
    assert.deepEqual(entries.find(([name]) => name === 'src')?.[1], vscode.FileType.Directory);
    const source = (await vscode.workspace.fs.readDirectory(at('src'))).map(([name]) => name);
    assert.deepEqual(source, ['greet.js']);
  });

  it('reads a host file with the host\'s content, through workspace.fs and as an open document', async () => {
    const onDisk = fs.readFileSync(path.join(hostDir(), 'src', 'greet.js'), 'utf8');
    assert.equal(text(await vscode.workspace.fs.readFile(at('src', 'greet.js'))), onDisk);
    const stat = await vscode.workspace.fs.stat(at('src', 'greet.js'));
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.size, Buffer.byteLength(onDisk));
    const editor = await vscode.window.showTextDocument(at('src', 'greet.js'));
    assert.equal(editor.document.getText(), onDisk);
    assert.equal(editor.document.uri.scheme, 'pairline');
  });

  it('reads a large binary file (several chunks) byte for byte', async () => {
    const expected = fs.readFileSync(path.join(hostDir(), 'big.bin'));
    const bytes = await vscode.workspace.fs.readFile(at('big.bin'));
    assert.equal(bytes.length, expected.length);
    assert.ok(Buffer.from(bytes).equals(expected), 'same bytes as on the host');
  });

  it('refuses .env, saying why', async () => {
    const error = await rejection(vscode.workspace.fs.readFile(at('.env')));
    assert.match(error.message, /does not share \.env files/);
    assert.equal(error.code, 'NoPermissions');
    const missing = await rejection(vscode.workspace.fs.stat(at('src', 'nope.js')));
    assert.equal(missing.code, 'FileNotFound');
  });

  it('writes, renames and deletes on the host\'s disk as an editor', async () => {
    await vscode.workspace.fs.createDirectory(at('notes'));
    await vscode.workspace.fs.writeFile(at('notes', 'todo.md'), Buffer.from('- written by the guest\n'));
    assert.equal(fs.readFileSync(path.join(hostDir(), 'notes', 'todo.md'), 'utf8'), '- written by the guest\n');
    await vscode.workspace.fs.rename(at('notes', 'todo.md'), at('notes', 'done.md'));
    assert.ok(fs.existsSync(path.join(hostDir(), 'notes', 'done.md')));
    assert.ok(!fs.existsSync(path.join(hostDir(), 'notes', 'todo.md')));
    await vscode.workspace.fs.delete(at('notes'), { recursive: true });
    assert.ok(!fs.existsSync(path.join(hostDir(), 'notes')));
  });

  it('is read-only for a viewer: files say so and writes fail with the reason', async () => {
    const me = api.me!.id;
    tellHost({ cmd: 'role', participant: me, role: 'viewer' });
    await until('our role to be viewer', () => api.role === 'viewer', apiEvents(), 20_000);
    const stat = await vscode.workspace.fs.stat(at('README.md'));
    assert.equal(stat.permissions, vscode.FilePermission.Readonly);
    const error = await rejection(vscode.workspace.fs.writeFile(at('README.md'), Buffer.from('nope')));
    assert.equal(error.code, 'NoPermissions');
    assert.match(error.message, /Viewers cannot change the host's files/);
    assert.notEqual(fs.readFileSync(path.join(hostDir(), 'README.md'), 'utf8'), 'nope');
    tellHost({ cmd: 'role', participant: me, role: 'editor' });
    await until('our role to be editor again', () => api.role === 'editor', apiEvents(), 20_000);
    assert.equal((await vscode.workspace.fs.stat(at('README.md'))).permissions, undefined);
  });

  it('updates an open document when the host changes the file', async () => {
    const document = await vscode.workspace.openTextDocument(at('src', 'greet.js'));
    const changed = 'export const greet = (name) => `Hello again, ${name}!`;\n';
    fs.writeFileSync(path.join(hostDir(), 'src', 'greet.js'), changed);
    await until('the open document to show the host\'s change', () => document.getText() === changed,
      [vscode.workspace.onDidChangeTextDocument as vscode.Event<unknown>], 30_000);
  });

  it('maps presence to the pairline: document both ways', async () => {
    const uri = at('src', 'greet.js');
    const editor = await vscode.window.showTextDocument(uri);
    editor.selections = [new vscode.Selection(0, 2, 0, 7)];
    const me = api.me!.id;
    await waitForHostEvent('our presence at the host, as src/greet.js', (event) => event.event === 'presence' && event.from === me && event.file === 'src/greet.js');
    tellHost({ cmd: 'presence', file: 'src/greet.js', selections: [{ anchor: { line: 0, character: 1 }, head: { line: 0, character: 4 } }] });
    await until('the host\'s cursor drawn in the pairline: document',
      () => api.testing.decorations.some((entry) => entry.uri === uri.toString() && entry.cursors[0]?.character === 4), apiEvents(), 20_000);
  });

  it('removes a pairline: folder of a session that is gone, and says so when it is read', async () => {
    const stale = vscode.Uri.from({ scheme: 'pairline', authority: 'gone0000000000000000000', path: '/' });
    const count = vscode.workspace.workspaceFolders!.length;
    assert.ok(vscode.workspace.updateWorkspaceFolders(count, 0, { uri: stale, name: 'old session' }));
    const error = await rejection(vscode.workspace.fs.stat(vscode.Uri.joinPath(stale, 'README.md')));
    assert.match(error.message, /The Pairline session for this folder has ended/);
    await until('the stale folder to be removed', () => !(vscode.workspace.workspaceFolders ?? []).some((folder) => folder.uri.authority === stale.authority), folderEvents, 20_000);
    assert.equal(pairlineFolders().length, 1, 'the live session keeps its folder');
  });

  it('removes the folder when leaving, and keeps the local folder', async () => {
    await vscode.commands.executeCommand('pairline.leaveSession');
    await until('the session to end', () => api.state === 'ended', apiEvents(), 15_000);
    await until('the pairline: folder to go', () => pairlineFolders().length === 0, folderEvents, 20_000);
    assert.equal(vscode.workspace.workspaceFolders?.[0]?.uri.scheme, 'file');
    const error = await rejection(vscode.workspace.fs.stat(root));
    assert.match(error.message, /has ended|No file system provider|Unavailable/);
  });
});
