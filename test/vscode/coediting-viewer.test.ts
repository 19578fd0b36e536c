/**
 * A guest whose bound document has unsaved changes is made a viewer by a scripted CLI host: its
 * editor turns read-only (VS Code never re-reads the read-only state of a document with unsaved
 * changes, so the binding must do it), the host's edits still reach it, and once made an editor
 * again it can type. Every wait is bounded; the relay and the CLI are stopped by this suite, also
 * on failure.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PairlineApi } from '../../extension/api';
import { authorityOf, PAIRLINE_SCHEME } from '../../extension/workspace/remote-paths';
import { joinCliHostSession, pairline, until, type CliGuest, type JoinedSession } from './support';

const FILE = 'src/viewer.txt';

describe('co-editing as a guest made a viewer and an editor again', function () {
  let api: PairlineApi;
  let session: JoinedSession | undefined;
  let host: CliGuest | undefined;
  const events = () => [api.onDidChange, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  /**
   * Tries to type `letter` at the end of the editor, then lets the host insert a marker and waits
   * for it: change events arrive in order, so whether the letter got in is known by then.
   */
  async function typed(editor: vscode.TextEditor, letter: string, marker: string): Promise<boolean> {
    const document = editor.document;
    let inserted = false;
    const listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document === document && event.contentChanges.some((change) => change.text.includes(letter))) inserted = true;
    });
    try {
      const end = document.lineAt(document.lineCount - 1).range.end;
      await editor.edit((builder) => builder.insert(end, letter), { undoStopBefore: false, undoStopAfter: false });
      await host!.command({ cmd: 'edit', file: FILE, offset: 0, insert: marker });
      await until(`the host's ${marker} in the guest's editor`, () => document.getText().includes(marker), events());
      return inserted;
    } finally {
      listener.dispose();
    }
  }

  before(async () => {
    api = await pairline();
    session = await joinCliHostSession(api, FILE, 'first\nsecond\n');
    host = session.host;
  });

  after(async () => {
    await session?.stop();
  });

  it('an unsaved document\'s editor turns read-only for a viewer, still shows the host\'s edits, and takes typing again for an editor', async () => {
    const uri = vscode.Uri.from({ scheme: PAIRLINE_SCHEME, authority: authorityOf(api.session!), path: `/${FILE}` });
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    await until(`${FILE} bound on the guest`, () => api.testing.coEditing.boundPaths.includes(FILE), events());
    await api.testing.coEditing.whenIdle(document.uri);
    assert.equal(await typed(editor, 'E', 'M1'), true, 'an editor types');
    assert.equal(document.isDirty, true, 'unsaved changes: VS Code will not re-read the file');

    const me = api.me!.id;
    await host!.command({ cmd: 'role', participant: me, role: 'viewer' });
    await until('the guest is a viewer', () => api.role === 'viewer', events());
    // The read-only state arrives through a command on the active editor: bounded retries.
    let refusedOnce = false;
    for (let attempt = 0; attempt < 20 && !refusedOnce; attempt++) refusedOnce = !await typed(editor, `V${attempt}`, `M2.${attempt}`);
    assert.ok(refusedOnce, 'the viewer\'s editor refused typing');
    assert.equal(await typed(editor, 'W', 'M3'), false, 'and keeps refusing it, while the host\'s edits come in');
    assert.equal(api.heals, 0);

    await host!.command({ cmd: 'role', participant: me, role: 'editor' });
    await until('the guest is an editor again', () => api.role === 'editor', events());
    let accepted = false;
    for (let attempt = 0; attempt < 20 && !accepted; attempt++) accepted = await typed(editor, `Z${attempt}`, `M4.${attempt}`);
    assert.ok(accepted, 'the editor takes typing again');
    let same = false;
    for (const deadline = Date.now() + 30_000; !same && Date.now() < deadline;) {
      await api.testing.coEditing.whenIdle(document.uri);
      const expected = document.getText();
      same = await host!.hasText(FILE, expected);
    }
    assert.ok(same, 'the host has what the guest typed');
    assert.equal(api.heals, 0);
  });
});
