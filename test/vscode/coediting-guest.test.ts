/**
 * Co-editing with the extension as a guest: a scripted `pairline host --folder DIR` CLI shares a
 * folder with a CRLF file; the guest opens it from its `pairline:` folder and its editor is bound
 * to the host's document. Both type at once and converge with no heal; the file stays CRLF; the
 * guest's save writes the host's file and leaves the guest's document clean. Every wait is bounded; the relay and the CLI are stopped
 * by this suite, also on failure.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PairlineApi } from '../../extension/api';
import { authorityOf, PAIRLINE_SCHEME } from '../../extension/workspace/remote-paths';
import { convergedWith, joinCliHostSession, pairline, until, type CliGuest, type JoinedSession } from './support';

const FILE = 'src/guest-coedit.txt';
const INITIAL = 'one\r\ntwo\r\nthree\r\n';

describe('co-editing as a guest of a CLI host', function () {
  let api: PairlineApi;
  let session: JoinedSession | undefined;
  let host: CliGuest | undefined;
  const events = () => [api.onDidChange, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  const converged = (document: vscode.TextDocument, accept: (text: string) => boolean) => convergedWith(api, host!, FILE, document, accept);

  before(async () => {
    api = await pairline();
    session = await joinCliHostSession(api, FILE, INITIAL);
    host = session.host;
  });

  after(async () => {
    await session?.stop();
  });

  it('binds the host\'s file opened from the pairline: folder without dirtying it, then both type at once and converge', async () => {
    // The guest workspace adds the host's folder too; the document's URI does not depend on it.
    const uri = vscode.Uri.from({ scheme: PAIRLINE_SCHEME, authority: authorityOf(api.session!), path: `/${FILE}` });
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    await until(`${FILE} bound on the guest`, () => api.testing.coEditing.boundPaths.includes(FILE), events());
    await api.testing.coEditing.whenIdle(document.uri);
    assert.equal(document.isDirty, false, 'the same text as the host: nothing to change');
    assert.equal(document.eol, vscode.EndOfLine.CRLF);

    const typing: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) typing.push(host!.command({ cmd: 'edit', file: FILE, offset: 0, insert: i % 5 === 0 ? 'H\n' : 'H' }));
    for (let i = 0; i < 20; i++) {
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 50, 'the editor accepted the keystroke');
        const end = document.lineAt(document.lineCount - 1).range.end;
        if (await editor.edit((builder) => builder.insert(end, i % 5 === 0 ? 'G\n' : 'G'), { undoStopBefore: false, undoStopAfter: false })) break;
      }
    }
    await Promise.all(typing);
    const count = (text: string, letter: string) => text.split(letter).length - 1;
    const text = await converged(document, (candidate) => count(candidate, 'H') === 20 && count(candidate, 'G') === 20);
    assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, `only CRLF line breaks: ${JSON.stringify(text)}`);
    assert.ok(text.includes('one\r\ntwo\r\nthree\r\n'), text);
    assert.equal(api.heals, 0, 'no heal was needed');
    assert.equal(api.testing.coEditing.reconciles, 0);
  });

  it('the guest\'s save writes the host\'s file and leaves the guest\'s document clean', async () => {
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.scheme === PAIRLINE_SCHEME && candidate.uri.path.endsWith(FILE))!;
    assert.equal(document.isDirty, true);
    const saved = host!.waitForOutput((line) => line.event === 'saved' && line.file === FILE && line.clean === true, 30_000);
    assert.equal(await document.save(), true);
    await saved;
    assert.equal(fs.readFileSync(path.join(session!.hostFolder, ...FILE.split('/')), 'utf8'), document.getText());
    await until('the guest document clean', () => !document.isDirty, events());
  });
});
