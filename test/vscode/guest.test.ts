/**
 * The extension as a guest: a scripted `pairline host` CLI (approval: prompt) on a real relay,
 * joined through "Pairline: Join Session…" with the https invite link.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startRelay, type RunningRelay } from '../support/relay-process';
import type { PairlineApi } from '../../extension/api';
import { pairline, startCliHost, until, type CliGuest } from './support';

describe('joining a CLI host\'s session as a guest', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  let host: CliGuest | undefined;
  let file: vscode.Uri;
  const hostName = 'Hana the CLI host';
  let stateDir: string;
  const hostArgs = () => ['--approval', 'prompt', '--state-file', path.join(stateDir, 'host-state.json')];
  const events = () => [api.onDidChange, api.onDidChangeState, api.testing.onDidRenderDecorations] as vscode.Event<unknown>[];

  before(async () => {
    api = await pairline();
    relay = await startRelay();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairline-vscode-host-'));
    file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'src', 'a.ts');
    await vscode.window.showTextDocument(file);
  });

  after(async () => {
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.leaveSession');
    await host?.stop();
    await relay?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('waits for the host\'s approval, then joins with the role the host chose', async () => {
    host = startCliHost(relay!.url, hostName, hostArgs());
    const invite = await host.waitForOutput((line) => line.event === 'invite' && typeof line.link === 'string');
    const joining = vscode.commands.executeCommand<boolean>('pairline.joinSession', invite.link as string);
    const knock = await host.waitForOutput((line) => line.event === 'knock');
    await until('"waiting for approval"', () => api.state === 'waiting-for-approval', events(), 15_000);
    assert.equal(api.testing.statusBar.text, '$(watch) Waiting for the host to let you in…');
    host.send({ cmd: 'approve', participant: (knock.participant as { id: string }).id, role: 'viewer' });
    assert.equal(await joining, true);
    assert.equal(api.state, 'connected');
    assert.equal(api.role, 'viewer');
    assert.equal(api.inviteLink, undefined, 'guests have no invite link to share');
    await until('the status bar counting 2', () => /^\$\(broadcast\) Pairline: 2/.test(api.testing.statusBar.text), events());
    const row = api.testing.participantsView.find((entry) => entry.label === hostName);
    assert.equal(row?.contextValue, 'participant:remote:host');
    // Where the guest is goes out as soon as it joined, before it moves at all.
    await host.waitForOutput((line) => line.event === 'presence' && line.file === 'src/a.ts');
  });

  it('draws the host\'s cursor in the guest\'s own checkout', async () => {
    host!.send({ cmd: 'presence', file: 'src/a.ts', selections: [{ anchor: { line: 7, character: 4 }, head: { line: 7, character: 4 } }] });
    await until('the host\'s cursor', () => api.testing.decorations.some((entry) => entry.name === hostName && entry.cursors[0]?.line === 7), events(), 20_000);
    const marks = api.testing.decorations.find((entry) => entry.name === hostName)!;
    assert.equal(marks.uri, file.toString());
    assert.deepEqual(marks.selections, []);
  });

  it('says "Waiting for the host…" while the relay is back without the host, and "connected" once the host returns', async () => {
    const port = relay!.port;
    await host!.kill();
    await relay!.kill9();
    relay = await startRelay({ port });
    await until('"Waiting for the host…"', () => api.state === 'waiting-for-host', events(), 45_000);
    assert.match(api.testing.statusBar.text, /^\$\(watch\) Waiting for the host…/);
    host = startCliHost(relay.url, hostName, hostArgs());
    await until('connected again once the host re-registered', () => api.state === 'connected' && /^\$\(broadcast\) Pairline: 2/.test(api.testing.statusBar.text), events(), 45_000)
      .catch((error: Error) => { throw new Error(`${error.message}; status: ${api.testing.statusBar.text}; host output: ${host?.output.slice(-8).join(' | ')}`); });
    assert.equal(api.role, 'viewer', 'the guest kept its role');
  });

  it('ends for the guest when the host ends the session, and says why', async () => {
    host!.send({ cmd: 'end' });
    await until('the session to end', () => api.state === 'ended', events(), 15_000);
    assert.deepEqual(api.testing.decorations, []);
    assert.match(api.testing.statusBar.text, /^\$\(circle-slash\) Session ended: /);
    assert.match(api.testing.statusBar.text, /ended/);
  });
});
