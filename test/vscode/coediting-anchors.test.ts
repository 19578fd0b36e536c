/**
 * Anchored remote cursors inside the real extension host: the extension hosts a session (a real
 * relay, child process of this suite); "Pia", a guest run in this process (the client library
 * with its own Yjs replica), puts her cursor on a character of a co-edited file and sends her
 * presence once, with Yjs relative positions. A `pairline` CLI guest then inserts lines and text
 * above and before it, and the host types before it in its editor: the drawn cursor moves with the
 * character each time, without Pia sending anything. A second cursor sent without an anchor stays
 * at its line/character. The relay, the CLI and Pia's client are stopped by this suite, also on failure.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { DocumentSync } from '../../client/docs/document-sync';
import type { SharedDocument } from '../../client/docs/shared-document';
import { silentLogger, systemClock } from '../../client/ports';
import { anchoredSelections, offsetOfAnchor, stringPositions } from '../../client/presence/anchors';
import { SessionClient } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { parseInviteLink, type Position, type PresencePayload } from '../../protocol';
import type { PairlineApi } from '../../extension/api';
import { hostSessionWithCliGuest, pairline, until, type CliGuest, type HostedSession } from './support';

const FILE = 'src/anchored.txt';

describe('anchored remote cursors', function () {
  let api: PairlineApi;
  let session: HostedSession | undefined;
  let typist: CliGuest | undefined;
  let pia: SessionClient | undefined;
  let piaSync: DocumentSync | undefined;
  const events = () => [api.onDidChange, api.testing.onDidRenderDecorations, vscode.workspace.onDidChangeTextDocument] as vscode.Event<unknown>[];

  /** Pia's cursors as drawn in `document` right now. */
  function drawnCursors(document: vscode.TextDocument): readonly Position[] | undefined {
    return api.testing.decorations.find((drawn) => drawn.name === 'Pia the pointer' && drawn.uri === document.uri.toString())?.cursors;
  }

  /** The next presence of the host that `matches`, as Pia receives it. */
  function hostPresence(matches: (presence: PresencePayload) => boolean, what: string): Promise<PresencePayload> {
    return new Promise<PresencePayload>((resolve, reject) => {
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error(`Pia got no presence of the host ${what} within 30 s`));
      }, 30_000);
      const subscription = pia!.onDidReceivePresence(({ from, presence }) => {
        if (from.role !== 'host' || !matches(presence)) return;
        clearTimeout(timer);
        subscription.dispose();
        resolve(presence);
      });
    });
  }

  /** Whether `presence` puts its first cursor in `file` at `at`, with an anchor (`anchored`) or without. */
  function cursorIn(presence: PresencePayload, file: string, at: Position, anchored: boolean): boolean {
    const head = presence.selections[0]?.head;
    return presence.file === file && head?.line === at.line && head.character === at.character && (head.relative !== undefined) === anchored;
  }

  async function cursorsAt(document: vscode.TextDocument, expected: Position[], what: string): Promise<void> {
    await until(what, () => JSON.stringify(drawnCursors(document)) === JSON.stringify(expected), events(), 30_000)
      .catch((error: Error) => {
        throw new Error(`${error.message}; drawn: ${JSON.stringify(drawnCursors(document))}; text: ${JSON.stringify(document.getText())}`);
      });
  }

  before(async () => {
    api = await pairline();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    assert.ok(folder, 'the test workspace is open');
    await fs.writeFile(vscode.Uri.joinPath(folder, ...FILE.split('/')).fsPath, 'alpha\nbravo charlie\ndelta\n');
    session = await hostSessionWithCliGuest(api, 'Cleo the typist');
    typist = session.guest;
    const invite = parseInviteLink(session.inviteLink);
    assert.ok(invite.ok, 'the invite link parses');
    pia = new SessionClient({
      relay: invite.invite.relay, name: 'Pia the pointer', mode: { type: 'guest', invite: invite.invite },
      transport: new WebSocketTransport(), clock: systemClock, random: Math.random, logger: silentLogger,
      clientName: 'pairline-anchors-test',
    });
    piaSync = new DocumentSync({ client: pia, clock: systemClock, logger: silentLogger });
    await pia.start();
  });

  after(async () => {
    piaSync?.dispose();
    await pia?.leave().catch(() => undefined);
    pia?.dispose();
    await session?.stop();
  });

  it('a peer\'s cursor stays on its character while others insert text before it', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, ...FILE.split('/')));
    const editor = await vscode.window.showTextDocument(document);
    const shared: SharedDocument = await piaSync!.open(FILE);
    await until(`${FILE} bound on the host`, () => api.testing.coEditing.boundPaths.includes(FILE), events());
    assert.equal(shared.text, 'alpha\nbravo charlie\ndelta\n');

    // Pia: one cursor before "charlie" (anchored), one in "alpha" sent as line/character only.
    const [anchored] = anchoredSelections([{ anchor: { line: 1, character: 6 }, head: { line: 1, character: 6 } }], shared, stringPositions(() => shared.text));
    assert.ok(anchored.head.relative, 'Pia\'s cursor carries an anchor');
    pia!.setPresence({ file: FILE, selections: [anchored, { anchor: { line: 0, character: 2 }, head: { line: 0, character: 2 } }] });
    await cursorsAt(document, [{ line: 1, character: 6 }, { line: 0, character: 2 }], 'Pia\'s cursors drawn where she put them');

    // Another participant inserts a line above and text before the cursor on its line.
    await typist!.command({ cmd: 'open', file: FILE });
    await typist!.command({ cmd: 'edit', file: FILE, offset: 0, insert: 'inserted by Cleo\n' });
    await typist!.command({ cmd: 'edit', file: FILE, offset: 'inserted by Cleo\nalpha\n'.length + 'bravo '.length, insert: 'and ' });
    await cursorsAt(document, [{ line: 2, character: 10 }, { line: 0, character: 2 }], 'the anchored cursor moved with "charlie" after Cleo\'s edits');
    assert.equal(document.lineAt(2).text, 'bravo and charlie');

    // The host types before it in its own editor.
    const typed = await editor.edit((builder) => builder.insert(new vscode.Position(2, 0), '>> '), { undoStopBefore: false, undoStopAfter: false });
    assert.ok(typed, 'the host\'s edit applied');
    await cursorsAt(document, [{ line: 2, character: 13 }, { line: 0, character: 2 }], 'the anchored cursor moved with "charlie" after the host typed');
    assert.equal(document.lineAt(2).text.slice(13), 'charlie');
    await until('Pia\'s replica has every edit', () => shared.text === document.getText(), events());
    assert.equal(api.heals, 0);
  });

  it('the host\'s own presence carries anchors that resolve in a guest\'s replica', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, ...FILE.split('/')));
    const editor = await vscode.window.showTextDocument(document);
    const shared: SharedDocument = await piaSync!.open(FILE);
    await until(`${FILE} bound on the host`, () => api.testing.coEditing.boundPaths.includes(FILE), events());
    const line = document.lineCount - 2;
    const character = 3;
    const received = hostPresence((presence) => cursorIn(presence, FILE, { line, character }, true), 'anchored at the new cursor');
    editor.selection = new vscode.Selection(line, character, line, character);
    const presence = await received;
    await until('Pia\'s replica caught up', () => shared.text === document.getText(), events());
    const offset = offsetOfAnchor(shared, presence.selections[0].head.relative!);
    assert.deepEqual(offset === undefined ? undefined : stringPositions(() => shared.text).positionAt(offset), { line, character });
    // Text typed above the host's cursor moves the anchor in Pia's replica, before any new presence.
    await typist!.command({ cmd: 'edit', file: FILE, offset: 0, insert: 'one more line\n' });
    await until('Cleo\'s line in Pia\'s replica', () => shared.text.startsWith('one more line\n'), events());
    const moved = offsetOfAnchor(shared, presence.selections[0].head.relative!);
    assert.deepEqual(moved === undefined ? undefined : stringPositions(() => shared.text).positionAt(moved), { line: line + 1, character });
  });

  it('the host\'s cursor gets its anchor once a guest opens the host\'s file, without the host moving it', async () => {
    const file = 'src/opened-later.txt';
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const uri = vscode.Uri.joinPath(folder, ...file.split('/'));
    await fs.writeFile(uri.fsPath, 'one\ntwo three\nfour\n');
    const at = { line: 1, character: 4 };
    // Nobody co-edits the file yet: the host's cursor in it goes out as line/character only.
    const plain = hostPresence((presence) => cursorIn(presence, file, at, false), `in ${file} without an anchor`);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    editor.selection = new vscode.Selection(at.line, at.character, at.line, at.character);
    await plain;
    assert.ok(!api.testing.coEditing.boundPaths.includes(file), `${file} is not co-edited before Pia opens it`);

    const anchored = hostPresence((presence) => cursorIn(presence, file, at, true), `in ${file} with an anchor`);
    const shared: SharedDocument = await piaSync!.open(file);
    const presence = await anchored;
    const offset = offsetOfAnchor(shared, presence.selections[0].head.relative!);
    assert.deepEqual(offset === undefined ? undefined : stringPositions(() => shared.text).positionAt(offset), at);
    assert.deepEqual(editor.selection.active, new vscode.Position(at.line, at.character), 'the host did not move its cursor');
  });
});
