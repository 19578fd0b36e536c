/**
 * Co-editing inside the real extension host: the extension hosts a session (a real relay, child
 * process of this suite), a scripted `pairline` CLI guest types into a file while this test types
 * into the same file through the editor API. Both converge with no heal and no reconcile; a CRLF
 * file stays CRLF; a guest's save writes the host's file and leaves the host's document clean;
 * a guest opening a clean document does not dirty it. Every wait is bounded; the relay and the
 * CLI are stopped by this suite, also on failure.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { startRelay, type RunningRelay } from '../support/relay-process';
import type { PairlineApi } from '../../extension/api';
import { pairline, startCliGuest, until, type CliGuest } from './support';

describe('co-editing with a CLI guest', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  let guest: CliGuest | undefined;
  let folder: vscode.Uri;
  const events = () => [api.onDidChange, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  /** Resolves once the CLI guest's copy of `file` equals the host editor's text and `accept` holds. */
  async function converged(file: string, document: vscode.TextDocument, accept: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      await api.testing.coEditing.whenIdle(document.uri);
      const expected = document.getText();
      const matched = await guest!.hasText(file, expected);
      last = expected;
      if (matched && accept(expected)) return expected;
    }
    throw new Error(`the host editor and the CLI guest did not converge on ${file}; host text: ${JSON.stringify(last)}`);
  }

  /** Types `text` at `where` through the editor API, retrying when a remote edit got in first. */
  async function type(editor: vscode.TextEditor, where: () => vscode.Position[], text: string): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const applied = await editor.edit((builder) => {
        for (const position of where()) builder.insert(position, text);
      }, { undoStopBefore: false, undoStopAfter: false });
      if (applied) return;
    }
    throw new Error(`could not type ${JSON.stringify(text)}`);
  }

  async function openBoth(relative: string): Promise<{ document: vscode.TextDocument; editor: vscode.TextEditor }> {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, ...relative.split('/')));
    const editor = await vscode.window.showTextDocument(document);
    const opened = await guest!.command({ cmd: 'open', file: relative });
    assert.equal(opened.cmd, 'open');
    await until(`${relative} bound on the host`, () => api.testing.coEditing.boundPaths.includes(relative), events());
    return { document, editor };
  }

  before(async () => {
    api = await pairline();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the test workspace is open');
    folder = workspaceFolder.uri;
    await fs.writeFile(vscode.Uri.joinPath(folder, 'src', 'coedit.txt').fsPath, 'first line\nsecond line\n');
    await fs.writeFile(vscode.Uri.joinPath(folder, 'src', 'crlf.txt').fsPath, 'alpha\r\nbeta\r\n');
    await fs.writeFile(vscode.Uri.joinPath(folder, 'src', 'clean.txt').fsPath, 'untouched\n');
    relay = await startRelay();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', 'auto', vscode.ConfigurationTarget.Global);
    if (api.state && api.state !== 'ended' && api.state !== 'idle') await vscode.commands.executeCommand('pairline.leaveSession');
    await vscode.commands.executeCommand('pairline.startSession');
    assert.equal(api.role, 'host');
    assert.ok(api.inviteLink, 'the host has an invite link');
    guest = startCliGuest(api.inviteLink, 'Cleo the typist');
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

  it('a guest opening a clean host document does not make it dirty', async () => {
    const { document } = await openBoth('src/clean.txt');
    await api.testing.coEditing.whenIdle(document.uri);
    assert.equal(document.isDirty, false);
    assert.equal(document.getText(), 'untouched\n');
  });

  it('the editor and the CLI guest type at once (also with two cursors) and converge, with no heal', async () => {
    const { document, editor } = await openBoth('src/coedit.txt');
    const typing: Promise<unknown>[] = [];
    for (let i = 0; i < 25; i++) typing.push(guest!.command({ cmd: 'edit', file: 'src/coedit.txt', offset: 0, insert: `g${i % 10}` }));
    for (let i = 0; i < 25; i++) {
      // At the end of the last line, and (every fifth time) at two cursors at once.
      const end = () => document.lineAt(document.lineCount - 1).range.end;
      const lineEnd = () => document.lineAt(Math.max(0, document.lineCount - 2)).range.end;
      await type(editor, i % 5 === 0 ? () => [lineEnd(), end()] : () => [end()], 'h');
    }
    await Promise.all(typing);
    const text = await converged('src/coedit.txt', document, (candidate) => (candidate.match(/g\d/g)?.length ?? 0) === 25 && (candidate.match(/h/g)?.length ?? 0) === 30);
    assert.ok(text.includes('first line') && text.includes('second line'), text);
    assert.equal(api.heals, 0, 'no heal was needed');
    assert.equal(api.testing.coEditing.reconciles, 0, 'no editor had to be reconciled');
  });

  it('a CRLF file stays CRLF while both type line breaks', async () => {
    const { document, editor } = await openBoth('src/crlf.txt');
    assert.equal(document.eol, vscode.EndOfLine.CRLF);
    await guest!.command({ cmd: 'edit', file: 'src/crlf.txt', offset: 0, insert: 'from the guest\n' });
    await type(editor, () => [document.lineAt(document.lineCount - 1).range.end], 'from the host\n');
    const once = (candidate: string, part: string) => candidate.split(part).length === 2;
    const text = await converged('src/crlf.txt', document, (candidate) => once(candidate, 'from the guest') && once(candidate, 'from the host'));
    assert.equal(text, 'from the guest\r\nalpha\r\nbeta\r\nfrom the host\r\n');
    assert.equal(document.eol, vscode.EndOfLine.CRLF);
    assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, `only CRLF line breaks: ${JSON.stringify(text)}`);
    assert.equal(api.heals, 0);
  });

  it('a save by the guest writes the host\'s file and leaves the host\'s document clean', async () => {
    const { document } = await openBoth('src/coedit.txt');
    await guest!.command({ cmd: 'edit', file: 'src/coedit.txt', offset: 0, insert: 'saved by the guest ' });
    const text = await converged('src/coedit.txt', document, (candidate) => candidate.startsWith('saved by the guest ') && candidate.split('saved by the guest').length === 2);
    assert.equal(document.isDirty, true, 'the guest\'s edits are unsaved on the host at first');
    await guest!.command({ cmd: 'save', file: 'src/coedit.txt' });
    assert.equal(await fs.readFile(document.uri.fsPath, 'utf8'), text);
    await until('the host document clean', () => !document.isDirty, events());
    assert.equal(api.heals, 0);
  });
});
