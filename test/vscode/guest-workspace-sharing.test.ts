/**
 * The host side of shared folders inside the real extension host: starting a session shares this
 * window's folder through a HostFileServer (settings `pairline.excludeFiles`,
 * `pairline.maxSharedFileMB`), and ending it stops sharing. The guest is a SessionClient with
 * RemoteFiles in this test's process, joining through the relay like any guest.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteFiles } from '../../client/files/remote-files';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { parseInviteLink } from '../../protocol/invite';
import type { PairlineApi } from '../../extension/api';
import { startRelay, type RunningRelay } from '../support/relay-process';
import { pairline, until } from './support';

describe('sharing the host window\'s folder with guests', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  let guest: SessionClient | undefined;
  let files: RemoteFiles | undefined;
  let folder: string;
  const config = () => vscode.workspace.getConfiguration('pairline');

  before(async () => {
    api = await pairline();
    relay = await startRelay();
    folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    fs.writeFileSync(path.join(folder, 'large.txt'), 'x'.repeat(1024 * 1024 + 10));
    await config().update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await config().update('approval', 'auto', vscode.ConfigurationTarget.Global);
    await config().update('maxSharedFileMB', 1, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    files?.dispose();
    if (guest) await guest.leave().catch(() => undefined);
    guest?.dispose();
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.endSession', { confirm: false });
    await relay?.stop();
    fs.rmSync(path.join(folder, 'large.txt'), { force: true });
    for (const setting of ['relayUrl', 'approval', 'maxSharedFileMB']) await config().update(setting, undefined, vscode.ConfigurationTarget.Global);
  });

  it('serves the workspace folder to a guest once the session starts, without excluded files', async () => {
    const link = await vscode.commands.executeCommand<string | undefined>('pairline.startSession');
    assert.ok(link, 'the session started');
    const parsed = parseInviteLink(link);
    assert.ok(parsed.ok);
    guest = new SessionClient({
      relay: parsed.invite.relay, name: 'In-process guest', mode: { type: 'guest', invite: parsed.invite },
      transport: new WebSocketTransport(), clock: systemClock, random: Math.random, logger: silentLogger,
    });
    files = new RemoteFiles(guest);
    await guest.start();
    const names = (await files.readDirectory('.')).map((entry) => entry.name);
    assert.ok(names.includes('src'), JSON.stringify(names));
    assert.ok(!names.includes('.env'), '.env is not listed');
    const bytes = await files.readFile('src/a.ts');
    assert.equal(Buffer.from(bytes).toString('utf8'), fs.readFileSync(path.join(folder, 'src', 'a.ts'), 'utf8'));
    await assert.rejects(files.readFile('.env'), /does not share \.env files/);
  });

  it('applies pairline.maxSharedFileMB', async () => {
    await assert.rejects(files!.readFile('large.txt'), /larger than the 1 MB limit/);
  });

  it('ends for the guest when the host ends the session', async () => {
    await vscode.commands.executeCommand('pairline.endSession', { confirm: false });
    await until('the session to end', () => api.state === 'ended', [api.onDidChangeState as vscode.Event<unknown>], 15_000);
    await until('the guest to see the end', () => guest!.state === 'ended', [guest!.onDidChangeState as unknown as vscode.Event<unknown>], 15_000);
  });
});
