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
import type { PairlineApi } from '../../extension/api';
import { convergedWith, hostSessionWithCliGuest, pairline, typeInto, until, type CliGuest, type HostedSession } from './support';

describe('co-editing with a CLI guest', function () {
  let api: PairlineApi;
  let session: HostedSession | undefined;
  let guest: CliGuest | undefined;
  let folder: vscode.Uri;
  const events = () => [api.onDidChange, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  const converged = (file: string, document: vscode.TextDocument, accept: (text: string) => boolean) => convergedWith(api, guest!, file, document, accept);

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
    session = await hostSessionWithCliGuest(api, 'Cleo the typist');
    guest = session.guest;
  });

  after(async () => {
    await session?.stop();
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
      await typeInto(editor, i % 5 === 0 ? () => [lineEnd(), end()] : () => [end()], 'h');
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
    await typeInto(editor, () => [document.lineAt(document.lineCount - 1).range.end], 'from the host\n');
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
