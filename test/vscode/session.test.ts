/**
 * One session end to end inside the real extension host: a real relay (child process of this
 * test), the extension as host, a scripted `pairline` CLI guest. Each step waits on the API's
 * events with a bound; the relay and the CLI are stopped by this suite, also on failure.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startRelay, type RunningRelay } from '../support/relay-process';
import type { PairlineApi } from '../../extension/api';
import { pairline, startCliGuest, until, type CliGuest } from './support';

describe('a session with a CLI guest', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  let guest: CliGuest | undefined;
  let second: CliGuest | undefined;
  const secondName = 'Cy the second';
  let link: string;
  let file: vscode.Uri;
  const guestName = 'Bob the CLI';
  const events = () => [api.onDidChange, api.onDidChangeState, api.testing.onDidRenderDecorations] as vscode.Event<unknown>[];
  const guestEntry = () => api.participants.find((participant) => participant.name === guestName);

  before(async () => {
    api = await pairline();
    relay = await startRelay();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', 'auto', vscode.ConfigurationTarget.Global);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    file = vscode.Uri.joinPath(folder.uri, 'src', 'a.ts');
    await vscode.window.showTextDocument(file);
  });

  after(async () => {
    // Leave first so the relay sees a clean goodbye, then stop everything this suite started.
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.leaveSession');
    await guest?.stop();
    await second?.stop();
    await relay?.stop();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', undefined, vscode.ConfigurationTarget.Global);
  });

  it('starts a session on the relay and gets an invite link', async () => {
    const returned = await vscode.commands.executeCommand<string | undefined>('pairline.startSession');
    assert.equal(api.state, 'connected');
    assert.equal(api.role, 'host');
    assert.ok(api.inviteLink, 'the host has an invite link');
    assert.equal(returned, api.inviteLink);
    assert.ok(api.inviteLink.startsWith(`${relay!.url}/join/${api.session}#s=`), api.inviteLink);
    link = api.inviteLink;
  });

  it('shows "connected" in the status bar with the participant count', async () => {
    await until('the connected status text', () => /^\$\(broadcast\) Pairline: 1( · \d+ ms)?/.test(api.testing.statusBar.text), events());
    assert.match(api.testing.statusBar.tooltip, new RegExp(`Session: ${api.session}`));
    assert.match(api.testing.statusBar.tooltip, /Role: host/);
  });

  it('lists a joining CLI guest in the participants view', async () => {
    guest = startCliGuest(link, guestName);
    await until(`${guestName} in the roster`, () => guestEntry() !== undefined, events(), 45_000)
      .catch((error: Error) => { throw new Error(`${error.message}; CLI output: ${guest?.output.slice(-10).join(' | ')}`); });
    const row = api.testing.participantsView.find((entry) => entry.label === guestName);
    assert.ok(row, `participants view rows: ${JSON.stringify(api.testing.participantsView)}`);
    assert.match(row.description, /^editor/);
    assert.equal(row.contextValue, 'participant:remote:guest');
    await until('the status bar counting 2', () => /Pairline: 2/.test(api.testing.statusBar.text), events());
  });

  it('draws the guest\'s cursor and every selection where the guest put them', async () => {
    guest!.send({
      cmd: 'presence',
      file: 'src/a.ts',
      selections: [
        { anchor: { line: 2, character: 1 }, head: { line: 2, character: 6 } },
        { anchor: { line: 4, character: 3 }, head: { line: 4, character: 3 } },
      ],
    });
    const drawn = () => api.testing.decorations.find((entry) => entry.name === guestName && entry.uri === file.toString());
    await until('the guest\'s marks in src/a.ts', () => drawn()?.cursors[0]?.line === 2, events(), 20_000);
    const marks = drawn()!;
    assert.equal(marks.participant, guestEntry()!.id);
    assert.deepEqual(marks.cursors, [{ line: 2, character: 6 }, { line: 4, character: 3 }]);
    assert.deepEqual(marks.selections, [{ start: { line: 2, character: 1 }, end: { line: 2, character: 6 } }]);
    assert.equal(marks.label, guestName);
    assert.match(marks.colorId, /^pairline\.participant[1-8]$/);
    assert.equal(marks.dimmed, false);
    const row = api.testing.participantsView.find((entry) => entry.label === guestName);
    assert.match(row?.description ?? '', /src\/a\.ts/);
  });

  it('moves the guest\'s cursor live', async () => {
    guest!.send({ cmd: 'presence', file: 'src/a.ts', selections: [{ anchor: { line: 6, character: 0 }, head: { line: 6, character: 2 } }] });
    await until('the moved cursor', () => api.testing.decorations.some((entry) => entry.name === guestName && entry.cursors[0]?.line === 6), events(), 20_000);
    const marks = api.testing.decorations.find((entry) => entry.name === guestName)!;
    assert.deepEqual(marks.cursors, [{ line: 6, character: 2 }]);
  });

  it('announces the host\'s own selections to the guest, and never a file matching pairline.excludeFiles', async () => {
    const editor = await vscode.window.showTextDocument(file);
    editor.selections = [new vscode.Selection(3, 2, 3, 8), new vscode.Selection(5, 1, 5, 1)];
    const seen = await guest!.waitForOutput((line) => line.event === 'presence' && line.file === 'src/a.ts'
      && JSON.stringify(line.selections) === JSON.stringify([
        { anchor: { line: 3, character: 2 }, head: { line: 3, character: 8 } },
        { anchor: { line: 5, character: 1 }, head: { line: 5, character: 1 } },
      ]));
    assert.equal((seen.from as { name: string }).name, 'Ada the Host');
    const folder = vscode.workspace.workspaceFolders![0]!;
    await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, '.env'));
    await guest!.waitForOutput((line) => line.event === 'presence' && line.file === undefined && Array.isArray(line.selections) && line.selections.length === 0);
    const leaked = guest!.output.filter((line) => line.includes('.env'));
    assert.deepEqual(leaked, [], 'the guest never heard of .env');
  });

  it('follows the guest into another file and stops, saying so, when the host types', async () => {
    const id = guestEntry()!.id;
    await vscode.commands.executeCommand('pairline.followParticipant', id);
    assert.equal(api.following, id);
    guest!.send({ cmd: 'presence', file: 'src/b.ts', selections: [{ anchor: { line: 50, character: 0 }, head: { line: 50, character: 0 } }], visible: [{ start: 40, end: 60 }] });
    const isB = () => vscode.window.activeTextEditor?.document.uri.path.endsWith('/src/b.ts') === true;
    await until('the host\'s editor to follow into src/b.ts', isB, [vscode.window.onDidChangeActiveTextEditor as vscode.Event<unknown>, ...events()], 20_000);
    await until('line 40 to be in view', () => vscode.window.activeTextEditor!.visibleRanges.some((range) => range.start.line <= 40 && range.end.line >= 40),
      [vscode.window.onDidChangeTextEditorVisibleRanges as vscode.Event<unknown>], 10_000);
    assert.equal(api.following, id, 'following survives our own reveal');
    const editor = vscode.window.activeTextEditor!;
    await editor.edit((builder) => builder.insert(new vscode.Position(0, 0), '// typed by the host\n'));
    await until('following to stop', () => api.following === undefined, events(), 10_000);
  });

  it('dims a guest whose connection dropped', async () => {
    const id = guestEntry()!.id;
    await guest!.kill();
    await until('the guest drawn dimmed', () => api.testing.decorations.some((entry) => entry.participant === id && entry.dimmed), events(), 30_000);
    const marks = api.testing.decorations.find((entry) => entry.participant === id)!;
    assert.equal(marks.label, `${guestName} (reconnecting)`);
    const row = api.testing.participantsView.find((entry) => entry.id === id);
    assert.match(row?.description ?? '', /reconnecting/);
  });

  it('says "Reconnecting…" with a countdown when the relay dies, and "connected" once it is back on the same port', async () => {
    const port = relay!.port;
    await relay!.kill9();
    await until('the reconnecting status text', () => /Reconnecting…/.test(api.testing.statusBar.text), events(), 30_000);
    assert.match(api.testing.statusBar.text, /^\$\(sync~spin\) Reconnecting… \((retry in \d+ s, )?attempt \d+\)$/);
    assert.match(api.testing.statusBar.tooltip, /reconnecting/);
    assert.notEqual(api.state, 'connected');
    relay = await startRelay({ port });
    await until('the connected status text after the restart', () => api.state === 'connected' && /^\$\(broadcast\) Pairline: \d/.test(api.testing.statusBar.text), events(), 45_000);
  });

  it('clears every decoration when leaving', async () => {
    await vscode.window.showTextDocument(file);
    second = startCliGuest(link, secondName);
    await until(`${secondName} in the roster`, () => api.participants.some((participant) => participant.name === secondName), events(), 45_000)
      .catch((error: Error) => { throw new Error(`${error.message}; CLI output: ${second?.output.slice(-10).join(' | ')}`); });
    second.send({ cmd: 'presence', file: 'src/a.ts', selections: [{ anchor: { line: 1, character: 0 }, head: { line: 1, character: 3 } }] });
    await until(`${secondName}'s marks`, () => api.testing.decorations.some((entry) => entry.name === secondName && entry.cursors[0]?.line === 1), events(), 30_000);
    await vscode.commands.executeCommand('pairline.leaveSession');
    await until('the session to end', () => api.state === 'ended', events(), 15_000);
    assert.deepEqual(api.testing.decorations, []);
    assert.match(api.testing.statusBar.text, /Session ended/);
    assert.deepEqual(api.testing.participantsView, []);
  });
});
