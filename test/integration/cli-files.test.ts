/**
 * The headless participant shares files: a host `pairline` process started with `--folder DIR`
 * serves DIR (excludes and path checks included), and a guest process browses it with `ls` and
 * `read` and hears about changes. Real processes, real relay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliProcess, CliProcesses, isEvent } from '../support/cli-process';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('pairline CLI file sharing', function () {
  this.timeout(90_000);
  let relay: RunningRelay | undefined;
  let folder: string;
  const processes = new CliProcesses();

  beforeEach(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'pairline-cli-files-'));
    mkdirSync(path.join(folder, 'src'));
    writeFileSync(path.join(folder, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(folder, '.env'), 'TOKEN=do-not-share\n');
    writeFileSync(path.join(folder, 'logo.bin'), Buffer.from([0, 1, 2, 255, 254]));
    relay = await startRelay();
  });

  afterEach(async () => {
    await processes.stopAll();
    await relay?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  async function hostAndGuest(): Promise<{ host: CliProcess; guest: CliProcess }> {
    const host = processes.start(['host', '--relay', relay!.url, '--name', 'Host', '--folder', folder]);
    const invite = await host.waitFor(isEvent('invite'), 'the invite link', { timeoutMs: 30_000 });
    const guest = processes.start(['join', String(invite.link), '--name', 'Guest']);
    await guest.waitFor(isEvent('joined'), 'the guest joined', { timeoutMs: 30_000 });
    return { host, guest };
  }

  it('lists and reads the host folder, never its .env, and keeps binary bytes intact', async () => {
    const { guest } = await hostAndGuest();
    guest.send({ cmd: 'ls', path: '.', id: 'ls1' });
    const listing = await guest.waitFor(isEvent('ls'), 'the listing');
    const names = (listing.entries as { name: string }[]).map((entry) => entry.name).sort();
    assert.deepEqual(names, ['logo.bin', 'src']);

    guest.send({ cmd: 'read', file: 'src/a.ts' });
    const text = await guest.waitFor(isEvent('file', { file: 'src/a.ts' }), 'src/a.ts');
    assert.equal(text.text, 'export const a = 1;\n');

    guest.send({ cmd: 'read', file: 'logo.bin' });
    const binary = await guest.waitFor(isEvent('file', { file: 'logo.bin' }), 'logo.bin');
    assert.deepEqual([...Buffer.from(String(binary.base64), 'base64')], [0, 1, 2, 255, 254]);

    guest.send({ cmd: 'read', file: '.env', id: 'env' });
    const refused = await guest.waitFor(isEvent('error', { id: 'env' }), 'the .env refusal');
    assert.equal(refused.code, 'excluded');
    assert.match(String(refused.message), /\.env/);

    guest.send({ cmd: 'read', file: '../outside.txt', id: 'escape' });
    const escaped = await guest.waitFor(isEvent('error', { id: 'escape' }), 'the traversal refusal');
    assert.ok(['outside-workspace', 'bad-request'].includes(String(escaped.code)), `code ${String(escaped.code)}`);
  });

  it('tells the guest about files the host creates', async () => {
    const { guest } = await hostAndGuest();
    // A first listing proves the share is up before the change happens.
    guest.send({ cmd: 'ls', path: 'src' });
    await guest.waitFor(isEvent('ls'), 'the listing');
    writeFileSync(path.join(folder, 'src', 'b.ts'), 'export const b = 2;\n');
    const changed = await guest.waitFor(
      (event) => event.event === 'files-changed' && (event.changes as { path: string }[]).some((change) => change.path === 'src/b.ts'),
      'a change event for src/b.ts',
    );
    assert.ok(changed);
  });
});
