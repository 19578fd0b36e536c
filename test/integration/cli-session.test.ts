/**
 * The `pairline` CLI as a real process (dist/cli.js) against the real relay: presence between a
 * host and a guest process, the same after a relay kill -9 and restart, after a half-open link and
 * a cut link (through the chaos proxy); garbage on stdin; relay access tokens; exit codes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliProcess, CliProcesses, isEvent, type CliEvent } from '../support/cli-process';
import { startChaosProxy, type ChaosProxy } from '../support/chaos-proxy';
import { startRelay, type RunningRelay } from '../support/relay-process';

function youOf(event: CliEvent): string {
  return String((event.you as { id: string }).id);
}

describe('pairline CLI against the real relay', function () {
  this.timeout(40_000);
  let relay: RunningRelay | undefined;
  const processes = new CliProcesses();

  async function hostAndGuest(): Promise<{ host: CliProcess; guest: CliProcess; hostId: string; guestId: string }> {
    relay ??= await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana']);
    const invite = await host.waitFor(isEvent('invite'), 'the invite link');
    const hostJoined = await host.waitFor(isEvent('joined'), 'the host joined event');
    const guest = processes.start(['join', String(invite.link), '--name', 'Gus']);
    const guestJoined = await guest.waitFor(isEvent('joined'), 'the guest joined event');
    await host.waitFor((event) => event.event === 'roster' && event.change === 'joined', 'the guest on the host roster');
    return { host, guest, hostId: String((hostJoined.you as { id: string }).id), guestId: String((guestJoined.you as { id: string }).id) };
  }

  async function exchangePresence(host: CliProcess, guest: CliProcess, file: string, hostId: string, guestId: string): Promise<void> {
    const guestMark = guest.events.length;
    const hostMark = host.events.length;
    host.send({ cmd: 'presence', id: `h-${file}`, file: `host/${file}`, selections: [{ anchor: { line: 1, character: 0 }, head: { line: 1, character: 4 } }] });
    guest.send({ cmd: 'presence', id: `g-${file}`, file: `guest/${file}`, selections: [] });
    const atGuest = await guest.waitFor((event) => event.event === 'presence' && event.file === `host/${file}`, `host presence ${file} at the guest`, { after: guestMark });
    assert.deepEqual(atGuest.from, { id: hostId, name: 'Hana' });
    assert.deepEqual(atGuest.selections, [{ anchor: { line: 1, character: 0 }, head: { line: 1, character: 4 } }]);
    const atHost = await host.waitFor((event) => event.event === 'presence' && event.file === `guest/${file}`, `guest presence ${file} at the host`, { after: hostMark });
    assert.deepEqual(atHost.from, { id: guestId, name: 'Gus' });
  }

  afterEach(async () => {
    await processes.stopAll();
    await relay?.stop();
    relay = undefined;
  });

  it('a host and a guest exchange presence, and both exit 0 after leave/end', async () => {
    const { host, guest, hostId, guestId } = await hostAndGuest();
    await exchangePresence(host, guest, 'a.ts', hostId, guestId);
    guest.send({ cmd: 'leave', id: 7 });
    await guest.waitFor(isEvent('result', { id: 7, cmd: 'leave' }), 'the leave result');
    assert.equal(await guest.exited, 0);
    await host.waitFor((event) => event.event === 'roster' && event.change === 'left', 'the guest leaving the roster');
    host.send({ cmd: 'end', id: 'bye' });
    assert.equal(await host.exited, 0);
    assert.ok(host.events.some(isEvent('result', { id: 'bye', cmd: 'end' })));
  });

  it('garbage on stdin gives error events and the participant keeps running', async () => {
    const { host } = await hostAndGuest();
    host.send('this is not json');
    await host.waitFor(isEvent('error', { code: 'bad-command' }), 'an error for a non-JSON line');
    host.send({ cmd: 'fly', id: 3 });
    await host.waitFor(isEvent('error', { code: 'unknown-command', id: 3 }), 'an error for an unknown command');
    host.send({ cmd: 'approve', id: 4 });
    await host.waitFor(isEvent('error', { code: 'bad-command', id: 4 }), 'an error for a command missing its participant');
    host.send([1, 2]);
    host.send({ cmd: 'status', id: 5 });
    const status = await host.waitFor(isEvent('result', { id: 5 }), 'the status result');
    assert.equal(status.state, 'connected');
    assert.equal((status.roster as unknown[]).length, 2);
  });

  it('after a relay kill -9 and restart both come back with the same ids and presence flows again', async () => {
    const { host, guest, hostId, guestId } = await hostAndGuest();
    await exchangePresence(host, guest, 'before.ts', hostId, guestId);
    const port = relay!.port;
    const hostMark = host.events.length;
    const guestMark = guest.events.length;
    await relay!.kill9();
    relay = undefined;
    await host.waitFor(isEvent('state', { state: 'reconnecting' }), 'the host reconnecting', { after: hostMark });
    await guest.waitFor((event) => event.event === 'state' && event.state !== 'connected', 'the guest noticing', { after: guestMark });
    relay = await startRelay({ port });
    const hostBack = await host.waitFor(isEvent('joined'), 'the host back', { after: hostMark, timeoutMs: 15_000 });
    const guestBack = await guest.waitFor(isEvent('joined'), 'the guest back', { after: guestMark, timeoutMs: 15_000 });
    assert.equal((hostBack.you as { id: string }).id, hostId);
    assert.equal((guestBack.you as { id: string }).id, guestId);
    await exchangePresence(host, guest, 'after.ts', hostId, guestId);
    for (const event of [...host.events, ...guest.events]) assert.notEqual(event.state, 'ended');
  });

  it('with --state-file, a guest killed with -9 and started again resumes its place', async () => {
    const { host, guest, guestId } = await hostAndGuest();
    const folder = mkdtempSync(path.join(tmpdir(), 'pairline-cli-'));
    try {
      const stateFile = path.join(folder, 'guest.json');
      const invite = host.events.find(isEvent('invite'))!;
      await guest.stop();
      const first = processes.start(['join', String(invite.link), '--name', 'Gus', '--state-file', stateFile]);
      const firstId = youOf(await first.waitFor(isEvent('joined'), 'the first run joined'));
      assert.notEqual(firstId, guestId, 'a fresh join without state gets a new id');
      assert.equal(statSync(stateFile).mode & 0o777, 0o600);
      await first.stop();
      const mark = host.events.length;
      const second = processes.start(['join', String(invite.link), '--name', 'Gus', '--state-file', stateFile]);
      const joined = await second.waitFor(isEvent('joined'), 'the second run joined');
      assert.equal(youOf(joined), firstId);
      assert.equal(joined.resumed, true);
      assert.ok(!host.events.slice(mark).some((event) => event.event === 'roster' && event.change === 'joined'), 'no new participant at the host');
      second.send({ cmd: 'leave' });
      assert.equal(await second.exited, 0);
      assert.equal(existsSync(stateFile), false, 'the state is forgotten after leave');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a refused invite ends with an error event and a non-zero exit', async () => {
    relay = await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana']);
    const invite = await host.waitFor(isEvent('invite'), 'the invite link');
    const forged = String(invite.link).replace(/#s=[^&]+/, `#s=${'x'.repeat(43)}`);
    const guest = processes.start(['join', forged, '--name', 'Mallory']);
    const error = await guest.waitFor(isEvent('error', { code: 'ended' }), 'the error event');
    assert.equal(error.closeCode, 4401);
    assert.match(String(error.message), /invite/);
    assert.equal(await guest.exited, 1);
  });
});

describe('pairline CLI: chaos proxy and access tokens', function () {
  this.timeout(40_000);
  let relay: RunningRelay | undefined;
  let proxy: ChaosProxy | undefined;
  const processes = new CliProcesses();

  afterEach(async () => {
    await processes.stopAll();
    await proxy?.close();
    proxy = undefined;
    await relay?.stop();
    relay = undefined;
  });

  async function presenceReaches(from: CliProcess, to: CliProcess, file: string): Promise<void> {
    const mark = to.events.length;
    from.send({ cmd: 'presence', file, selections: [] });
    await to.waitFor((event) => event.event === 'presence' && event.file === file, `presence ${file}`, { after: mark });
  }

  it('survives a half-open link and a cut link: same ids, presence again, every state change reported', async () => {
    relay = await startRelay();
    proxy = await startChaosProxy(relay.port);
    const host = processes.start(['host', '--relay', proxy.url, '--name', 'Hana']);
    const invite = await host.waitFor(isEvent('invite'), 'the invite link');
    const hostId = youOf(await host.waitFor(isEvent('joined'), 'host joined'));
    // The guest goes straight to the relay; only the host's link suffers.
    const guest = processes.start(['join', String(invite.link).replace(proxy.url, relay.url), '--name', 'Gus']);
    const guestId = youOf(await guest.waitFor(isEvent('joined'), 'guest joined'));
    await host.waitFor(isEvent('rtt'), 'a round-trip measurement');
    await presenceReaches(host, guest, 'one.ts');

    let mark = host.events.length;
    proxy.blackhole(true);
    const dead = await host.waitFor(isEvent('state', { state: 'reconnecting' }), 'the host to detect the half-open link', { after: mark });
    assert.match(String(dead.reason), /no data from the relay/);
    await host.waitFor((event) => event.event === 'state' && Number(event.attempt) >= 2, 'a failed retry while blackholed', { after: mark });
    proxy.blackhole(false);
    const back = await host.waitFor(isEvent('joined'), 'the host back after the blackhole', { after: mark });
    assert.equal(youOf(back), hostId);
    assert.equal(back.resumed, true);
    await presenceReaches(guest, host, 'two.ts');
    await presenceReaches(host, guest, 'three.ts');

    mark = host.events.length;
    proxy.cut({ reset: true });
    await host.waitFor(isEvent('state', { state: 'reconnecting' }), 'the host to notice the cut', { after: mark });
    const again = await host.waitFor(isEvent('joined'), 'the host back after the cut', { after: mark });
    assert.equal(youOf(again), hostId);
    assert.equal(again.resumed, true);
    await presenceReaches(host, guest, 'four.ts');
    for (const event of [...host.events, ...guest.events]) assert.notEqual(event.state, 'ended');
    const status = guest.events.filter(isEvent('joined')).map(youOf);
    assert.deepEqual(status, [guestId]);
  });

  it('a relay in token mode: the right token gets in, a wrong one ends with exit 1 and a sentence', async () => {
    relay = await startRelay({ args: ['--auth', 'token'], env: { PAIRLINE_TOKENS: 'team-token-1234567890' } });
    const good = processes.start(['host', '--relay', relay.url, '--name', 'Hana'], { PAIRLINE_TOKEN: 'team-token-1234567890' });
    await good.waitFor(isEvent('invite'), 'the invite with a good token');
    const bad = processes.start(['host', '--relay', relay.url, '--name', 'Mallory', '--token', 'wrong-token-000000000']);
    const error = await bad.waitFor(isEvent('error', { code: 'ended' }), 'the refusal');
    assert.equal(error.closeCode, 4401);
    assert.match(String(error.message), /refused the access token/);
    assert.equal(await bad.exited, 1);
  });
});
