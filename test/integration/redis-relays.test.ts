/**
 * Several relay processes sharing sessions through a real Redis (`--redis`): participants of one
 * session split across two processes, kill -9 of one process with its participants resuming on
 * the other, a Redis restart, and removal, approval and end across processes. Needs the
 * `redis-server` binary (Debian package `redis-server`).
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { RosterChange, StateChange } from '../../client/api';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient, type SessionClientOptions } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { CloseCode } from '../../protocol';
import { startChaosProxy, type ChaosProxy } from '../support/chaos-proxy';
import { closeAll, connectHello, hostSession, newSessionSecrets, type RawClient } from '../support/relay-client';
import { RedisRelays } from '../support/redis-relays';
import type { RunningRelay } from '../support/relay-process';
import { FAST, waitFor, waitUntil } from '../support/client-events';

describe('relay processes sharing sessions through Redis', function () {
  this.timeout(60_000);
  const cluster = new RedisRelays();
  let inspector: Redis | undefined;
  const proxies: ChaosProxy[] = [];
  const clients: SessionClient[] = [];
  const raw: RawClient[] = [];

  const relay = (extra: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningRelay> => cluster.relay(extra);

  function client(options: Pick<SessionClientOptions, 'relay' | 'mode'> & { name: string }): SessionClient {
    const created = new SessionClient({
      ...options, transport: new WebSocketTransport({ handshakeTimeoutMs: 1_000, closeTimeoutMs: 200 }),
      clock: systemClock, random: Math.random, logger: silentLogger, options: FAST,
    });
    clients.push(created);
    return created;
  }

  async function host(relayUrl: string, approval: 'auto' | 'prompt' = 'auto'): Promise<SessionClient> {
    const started = client({ relay: relayUrl, name: 'Hana', mode: { type: 'host', settings: { approval, defaultRole: 'editor' } } });
    await started.start();
    return started;
  }

  async function guest(of: SessionClient, relayUrl: string, name: string): Promise<SessionClient> {
    const invite = { relay: relayUrl, session: of.session!, inviteSecret: of.resumeState!.inviteSecret, key: of.resumeState!.key! };
    const joined = client({ relay: relayUrl, name, mode: { type: 'guest', invite } });
    const seen = waitFor(of.onDidChangeRoster, (change) => change.change === 'joined' && change.participant.name === name, `${name} on the host's roster`);
    await joined.start();
    await seen;
    return joined;
  }

  function collect(receiver: SessionClient): string[] {
    const received: string[] = [];
    receiver.onDidReceive((message) => received.push(Buffer.from(message.payload).toString()));
    return received;
  }

  function send(sender: SessionClient, prefix: string, from: number, to: number): void {
    for (let n = from; n <= to; n++) assert.ok(sender.send('update', Buffer.from(`${prefix}${n}`)), `sent ${prefix}${n}`);
  }

  function numbered(prefix: string, count: number): string[] {
    return Array.from({ length: count }, (_, index) => `${prefix}${index + 1}`);
  }

  /** How many relay processes are subscribed to the session's fan-out channel. */
  async function subscribers(session: string): Promise<number> {
    inspector ??= new Redis(cluster.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const reply = (await inspector.call('PUBSUB', 'NUMSUB', `pairline:{${session}}:fanout`)) as [string, number];
    return Number(reply[1]);
  }

  afterEach(async () => {
    for (const created of clients.splice(0)) created.dispose();
    closeAll(...raw.splice(0));
    for (const proxy of proxies.splice(0)) await proxy.close();
    inspector?.disconnect();
    inspector = undefined;
    await cluster.stopAll();
  });

  it('participants on two relay processes see each other: roster, presence and relayed messages in order', async () => {
    const [a, b, idle] = [await relay(), await relay(), await relay()];
    const hana = await host(a.url);
    const gus = await guest(hana, b.url, 'Gus');
    assert.deepEqual(gus.roster.map((participant) => participant.name).sort(), ['Gus', 'Hana']);
    assert.deepEqual(hana.roster.map((participant) => participant.state), ['online', 'online']);

    hana.setPresence({ file: 'src/a.ts', selections: [{ anchor: { line: 1, character: 2 }, head: { line: 1, character: 5 } }] });
    const atGuest = await waitFor(gus.onDidReceivePresence, (value) => value.presence.file === 'src/a.ts', 'host presence at the guest');
    assert.equal(atGuest.from.id, hana.me!.id);
    gus.setPresence({ file: 'src/b.ts', selections: [] });
    await waitFor(hana.onDidReceivePresence, (value) => value.presence.file === 'src/b.ts' && value.from.id === gus.me!.id, 'guest presence at the host');

    const atGus = collect(gus);
    const atHana = collect(hana);
    send(hana, 'h', 1, 30);
    send(gus, 'g', 1, 30);
    await waitUntil(gus.onDidReceive, () => atGus.length >= 30, 'the host\'s updates at the guest');
    await waitUntil(hana.onDidReceive, () => atHana.length >= 30, 'the guest\'s updates at the host');
    assert.deepEqual(atGus, numbered('h', 30));
    assert.deepEqual(atHana, numbered('g', 30));

    // Only the two processes with participants listen to the session; the third does not.
    assert.equal(await subscribers(hana.session!), 2);
    assert.equal(idle.logs.filter((line) => line.msg === 'session created').length, 0);
    const left = waitFor(hana.onDidChangeRoster, (change) => change.change === 'left', 'the guest leaving');
    await gus.leave();
    await left;
    await waitUntilAsync(async () => (await subscribers(hana.session!)) === 1, 'relay B to unsubscribe once its last participant left');
  });

  it('kill -9 of a relay: its guest shows as reconnecting, resumes on the other process and gets every missed message once, in order', async () => {
    const [a, b] = [await relay(), await relay()];
    const hana = await host(b.url);
    const proxy = await startChaosProxy(a.port);
    proxies.push(proxy);
    const gus = await guest(hana, proxy.url, 'Gus');
    const gusId = gus.me!.id;
    const roster: RosterChange[] = [];
    hana.onDidChangeRoster((change) => roster.push(change));
    const received = collect(gus);
    send(hana, 'u', 1, 3);
    await waitUntil(gus.onDidReceive, () => received.length === 3, 'the first updates');

    const down = waitFor(gus.onDidChangeState, (change) => change.state === 'reconnecting', 'the guest to lose its relay');
    const reconnecting = waitFor(hana.onDidChangeRoster, (change) => change.participant.id === gusId && change.participant.state === 'reconnecting', 'the host to see the guest reconnecting');
    await a.kill9();
    await down;
    send(hana, 'u', 4, 10);
    // Nobody but the dead process knew the guest's connection was gone: a survivor marks it.
    await reconnecting;
    send(hana, 'u', 11, 12);

    // The load balancer now sends the guest to the surviving process.
    const resumed = waitFor(gus.onDidJoin, () => true, 'the guest to resume on the other relay');
    proxy.retarget(b.port);
    const info = await resumed;
    assert.equal(info.you.id, gusId);
    assert.equal(info.resumed, true);
    assert.equal(info.needsResync, false, 'the Redis stream still reaches back to what the guest last saw');
    send(hana, 'u', 13, 13);
    await waitUntil(gus.onDidReceive, () => received.includes('u13'), 'a live update after the replay');
    assert.deepEqual(received, numbered('u', 13));
    await waitUntil(hana.onDidChangeRoster, () => hana.roster.find((participant) => participant.id === gusId)?.state === 'online', 'the guest online again');
    assert.ok(!roster.some((change) => change.change === 'left'), 'the guest was never shown as gone');
  });

  it('kill -9 of the host\'s relay: the session goes on and the host resumes on the other process', async () => {
    const [a, b] = [await relay(), await relay()];
    const proxy = await startChaosProxy(a.port);
    proxies.push(proxy);
    const hana = await host(proxy.url);
    const hanaId = hana.me!.id;
    const gus = await guest(hana, b.url, 'Gus');
    const states: StateChange[] = [];
    gus.onDidChangeState((change) => states.push(change));
    const atHana = collect(hana);

    const reconnecting = waitFor(gus.onDidChangeRoster, (change) => change.participant.id === hanaId && change.participant.state === 'reconnecting', 'the guest to see the host reconnecting');
    await a.kill9();
    send(gus, 'g', 1, 5);
    await reconnecting;
    const resumed = waitFor(hana.onDidJoin, () => true, 'the host to resume on the other relay');
    proxy.retarget(b.port);
    const info = await resumed;
    assert.equal(info.you.id, hanaId);
    assert.equal(info.resumed, true);
    await waitUntil(hana.onDidReceive, () => atHana.length >= 5, 'the guest\'s updates sent while the host was away');
    assert.deepEqual(atHana, numbered('g', 5));
    assert.equal(gus.state, 'connected');
    assert.ok(states.every((change) => change.state !== 'ended'));
  });

  it('a Redis restart (data lost): both clients end up in the session again and exchange messages', async () => {
    const [a, b] = [await relay(), await relay()];
    const hana = await host(a.url);
    const gus = await guest(hana, b.url, 'Gus');
    const hanaId = hana.me!.id;
    const gusId = gus.me!.id;

    const hanaBack = waitFor(hana.onDidJoin, () => true, 'the host back in its session', 20_000);
    const gusBack = waitFor(gus.onDidJoin, () => true, 'the guest back in the session', 20_000);
    inspector?.disconnect();
    inspector = undefined;
    await cluster.redisDown('kill9');
    await cluster.redisUp();
    const [hanaInfo, gusInfo] = await Promise.all([hanaBack, gusBack]);
    assert.equal(hanaInfo.session, hana.session);
    assert.equal(hanaInfo.you.id, hanaId);
    assert.equal(gusInfo.you.id, gusId);
    await waitUntil(hana.onDidChangeRoster, () => hana.roster.filter((participant) => participant.state === 'online').length === 2, 'both online at the host');

    const received = collect(gus);
    send(hana, 'after', 1, 3);
    await waitUntil(gus.onDidReceive, () => received.length >= 3, 'updates after the Redis restart');
    assert.deepEqual(received, numbered('after', 3));
  });

  it('max sessions per host token counts the sessions on every process', async () => {
    const token = 'shared-limit-token-abcdefgh';
    const options = { args: ['--auth', 'token', '--max-sessions-per-token', '2'], env: { PAIRLINE_TOKENS: token } };
    const [a, b] = [await relay(options), await relay(options)];
    raw.push((await hostSession(a.wsUrl, { token })).client, (await hostSession(b.wsUrl, { token })).client);
    const third = await connectHello(a.wsUrl, { token });
    raw.push(third);
    const secrets = newSessionSecrets();
    third.send({ type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash, name: 'Three', settings: { approval: 'auto', defaultRole: 'editor' } });
    const closed = await third.waitClosed();
    assert.equal(closed.code, CloseCode.Forbidden);
    assert.match(closed.reason, /already holds 2 sessions/);
  });

  it('approval, removal and end work across processes', async () => {
    const [a, b] = [await relay(), await relay()];
    const hana = await host(a.url, 'prompt');
    const invite = { relay: b.url, session: hana.session!, inviteSecret: hana.resumeState!.inviteSecret, key: hana.resumeState!.key! };

    // A guest waiting on B, approved by the host on A.
    const gus = client({ relay: b.url, name: 'Gus', mode: { type: 'guest', invite } });
    const knock = waitFor(hana.onDidKnock, (value) => value.participant.name === 'Gus', 'the knock at the host');
    const gusJoined = gus.start();
    hana.approve((await knock).participant.id, 'editor');
    await gusJoined;
    const vera = client({ relay: b.url, name: 'Vera', mode: { type: 'guest', invite } });
    const veraKnock = waitFor(hana.onDidKnock, (value) => value.participant.name === 'Vera', 'the second knock');
    const veraJoined = vera.start();
    hana.approve((await veraKnock).participant.id, 'viewer');
    await veraJoined;

    const removed = waitFor(gus.onDidChangeState, (change) => change.state === 'ended', 'the removed guest to be out');
    const left = waitFor(vera.onDidChangeRoster, (change) => change.change === 'left' && change.participant.id === gus.me!.id, 'the other guest to see the removal');
    hana.remove(gus.me!.id);
    assert.match((await removed).reason, /remov/i);
    await left;

    const ended = waitFor(vera.onDidChangeState, (change) => change.state === 'ended', 'the guest to see the end');
    await hana.end();
    assert.match((await ended).reason, /ended/i);
  });
});

async function waitUntilAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    // Polling Redis: there is no event to wait for on another process's subscription.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
