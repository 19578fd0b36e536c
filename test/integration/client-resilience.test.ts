/**
 * The client library against the real relay process, through the chaos proxy: cut links, half-open
 * links and a relay crash. Every wait is for an event, bounded by a timeout.
 */
import assert from 'node:assert/strict';
import type { RemotePresence, StateChange } from '../../client/api';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient, type SessionClientOptions } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { startChaosProxy, type ChaosProxy } from '../support/chaos-proxy';
import { startRelay, type RunningRelay } from '../support/relay-process';
import { FAST, waitFor, waitUntil } from '../support/client-events';

describe('client against the real relay (chaos proxy)', function () {
  this.timeout(30_000);
  let relay: RunningRelay | undefined;
  let proxy: ChaosProxy | undefined;
  const clients: SessionClient[] = [];

  function makeClient(options: Pick<SessionClientOptions, 'relay' | 'mode'> & { name: string }): SessionClient {
    const client = new SessionClient({
      ...options, transport: new WebSocketTransport({ handshakeTimeoutMs: 1_000, closeTimeoutMs: 200 }),
      clock: systemClock, random: Math.random, logger: process.env.DEBUG_CLIENT ? { debug: (m, f) => console.log(options.name, m, f), info: (m, f) => console.log(options.name, m, f), warn: (m, f) => console.log(options.name, m, f), error: (m, f) => console.log(options.name, m, f) } : silentLogger, options: FAST,
    });
    clients.push(client);
    return client;
  }

  /** A host straight on the relay and a guest through the proxy. */
  async function pair(guestRelay: 'proxy' | 'direct' = 'proxy', relayArgs: string[] = []): Promise<{ host: SessionClient; guest: SessionClient }> {
    relay ??= await startRelay({ args: relayArgs });
    proxy ??= await startChaosProxy(relay.port);
    const host = makeClient({ relay: relay.url, name: 'Hana', mode: { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } } });
    await host.start();
    const invite = { relay: relay.url, session: host.session, inviteSecret: host.resumeState!.inviteSecret, key: host.resumeState!.key! };
    const guest = makeClient({ relay: guestRelay === 'proxy' ? proxy.url : relay.url, name: 'Gus', mode: { type: 'guest', invite } });
    const guestSeen = waitFor(host.onDidChangeRoster, (change) => change.change === 'joined', 'the guest on the host roster');
    await guest.start();
    await guestSeen;
    return { host, guest };
  }

  function collectUpdates(client: SessionClient): string[] {
    const received: string[] = [];
    client.onDidReceive((message) => received.push(Buffer.from(message.payload).toString()));
    return received;
  }

  async function sendUpdates(host: SessionClient, from: number, to: number): Promise<void> {
    for (let n = from; n <= to; n++) assert.ok(host.send('update', Buffer.from(`u${n}`)), `host could send u${n}`);
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.dispose();
    await proxy?.close();
    proxy = undefined;
    await relay?.stop();
    relay = undefined;
  });

  it('a cut link resumes with the same id and gets every missed message exactly once, in order', async () => {
    const { host, guest } = await pair();
    const received = collectUpdates(guest);
    const guestId = guest.me!.id;
    await sendUpdates(host, 1, 3);
    await waitUntil(guest.onDidReceive, () => received.length === 3, 'the first three updates');

    const dropped = waitFor(guest.onDidChangeState, (change) => change.state === 'reconnecting', 'the guest to notice the cut');
    const resumed = waitFor(guest.onDidJoin, () => true, 'the guest to resume');
    proxy!.cut();
    // Some of these race the relay noticing the cut: written to a dead socket or buffered; all must arrive.
    await sendUpdates(host, 4, 10);
    await dropped;
    await sendUpdates(host, 11, 15);
    const rejoined = await resumed;
    assert.equal(rejoined.resumed, true);
    assert.equal(rejoined.needsResync, false);
    assert.equal(rejoined.you.id, guestId);
    await sendUpdates(host, 16, 16);
    await waitUntil(guest.onDidReceive, () => received.includes('u16'), 'a live update after the replay');
    assert.deepEqual(received, Array.from({ length: 16 }, (_, i) => `u${i + 1}`));
  });

  it('a half-open (blackholed) link is detected within the dead-link bound and recovered', async () => {
    const { host, guest } = await pair();
    const received = collectUpdates(guest);
    const guestId = guest.me!.id;
    const states: StateChange[] = [];
    guest.onDidChangeState((change) => states.push(change));
    const started = Date.now();
    proxy!.blackhole(true);
    const dead = await waitFor(guest.onDidChangeState, (change) => change.state === 'reconnecting', 'dead-link detection', 5_000);
    const detectedAfter = Date.now() - started;
    assert.match(dead.reason, /no data from the relay/);
    assert.ok(detectedAfter >= 900 && detectedAfter < 2_500, `detected after ${detectedAfter} ms`);
    await sendUpdates(host, 1, 5);
    // Retries through the still-blackholed proxy fail (handshake timeouts) and keep counting.
    await waitFor(guest.onDidChangeState, (change) => change.state === 'reconnecting' && change.attempt >= 2, 'a second attempt');
    proxy!.blackhole(false);
    const rejoined = await waitFor(guest.onDidJoin, () => true, 'the guest to resume');
    assert.equal(rejoined.you.id, guestId);
    assert.equal(rejoined.resumed, true);
    await waitUntil(guest.onDidReceive, () => received.length >= 5, 'the updates sent during the blackhole');
    assert.deepEqual(received, ['u1', 'u2', 'u3', 'u4', 'u5']);
    assert.ok(states.every((change) => change.state !== 'ended'));
  });

  it('a blackhole longer than the relay\'s own dead-link bound: the others see "reconnecting", then the same guest again', async () => {
    const { host, guest } = await pair('proxy', ['--heartbeat-ms', '300', '--dead-after-ms', '1500']);
    const guestId = guest.me!.id;
    const received = collectUpdates(guest);
    const seenReconnecting = waitFor(host.onDidChangeRoster,
      (change) => change.participant.id === guestId && change.participant.state === 'reconnecting', 'the host to see the guest reconnecting');
    proxy!.blackhole(true);
    await seenReconnecting;
    await sendUpdates(host, 1, 3);
    // The relay learns of the drop only from its own dead-link bound (1.5 s): the proxy swallows the guest's close.
    await waitFor(guest.onDidChangeState, (change) => change.attempt >= 3, 'more failed retries while dark');
    const seenOnline = waitFor(host.onDidChangeRoster,
      (change) => change.participant.id === guestId && change.participant.state === 'online', 'the host to see the guest back');
    proxy!.blackhole(false);
    const rejoined = await waitFor(guest.onDidJoin, () => true, 'the guest to resume');
    await seenOnline;
    assert.equal(rejoined.you.id, guestId);
    assert.equal(rejoined.resumed, true);
    await waitUntil(guest.onDidReceive, () => received.length >= 3, 'the updates sent while dark');
    assert.deepEqual(received, ['u1', 'u2', 'u3']);
  });

  it('presence comes back as a snapshot after a resume, and flows both ways again', async () => {
    const { host, guest } = await pair();
    host.setPresence({ file: 'src/a.ts', selections: [{ anchor: { line: 3, character: 1 }, head: { line: 3, character: 9 } }] });
    const first = await waitFor(guest.onDidReceivePresence, () => true, 'the host presence');
    assert.equal(first.presence.file, 'src/a.ts');
    assert.equal(first.from.name, 'Hana');

    const snapshot = new Promise<RemotePresence>((resolve) => {
      const joined = guest.onDidJoin(() => {
        joined.dispose();
        const presence = guest.onDidReceivePresence((value) => {
          presence.dispose();
          resolve(value);
        });
      });
    });
    proxy!.cut();
    const again = await Promise.race([snapshot, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no snapshot')), 8_000))]);
    assert.equal(again.presence.file, 'src/a.ts');
    assert.deepEqual(again.presence.selections, first.presence.selections);

    guest.setPresence({ file: 'b.ts', selections: [] });
    const back = await waitFor(host.onDidReceivePresence, (value) => value.presence.file === 'b.ts', 'guest presence at the host');
    assert.equal(back.from.id, guest.me!.id);
  });

  it('a slow link (proxy delay) shows in the round-trip time, and messages still arrive in order', async () => {
    const { host, guest } = await pair();
    const received = collectUpdates(guest);
    proxy!.delay(150);
    // Both directions are delayed, so a ping's round trip takes at least 300 ms.
    // Only the lower bound is a property; an upper bound would be a timing, flaky on a shared machine.
    await waitFor(guest.onDidMeasureRoundTrip, (value) => value.lastMs >= 300, 'a slow round trip');
    await sendUpdates(host, 1, 20);
    await waitUntil(guest.onDidReceive, () => received.length >= 20, 'twenty delayed updates');
    assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => `u${i + 1}`));
    assert.equal(guest.state, 'connected');
  });

  it('after kill -9 and a restart on the same port, host and guest come back with the same ids', async () => {
    const { host, guest } = await pair('direct');
    const hostId = host.me!.id;
    const guestId = guest.me!.id;
    guest.setPresence({ file: 'g.ts', selections: [] });
    await waitFor(host.onDidReceivePresence, (value) => value.presence.file === 'g.ts', 'guest presence before the crash');

    const port = relay!.port;
    const hostDown = waitFor(host.onDidChangeState, (change) => change.state === 'reconnecting', 'host to notice the crash');
    const guestDown = waitFor(guest.onDidChangeState, (change) => change.state !== 'connected', 'guest to notice the crash');
    await relay!.kill9();
    relay = undefined;
    await Promise.all([hostDown, guestDown]);

    const hostBack = waitFor(host.onDidJoin, () => true, 'host to re-register', 15_000);
    const guestBack = waitFor(guest.onDidJoin, () => true, 'guest to rejoin', 15_000);
    const presenceAgain = waitFor(host.onDidReceivePresence, (value) => value.presence.file === 'g.ts', 'guest presence after the restart', 15_000);
    relay = await startRelay({ port });
    const [hostInfo, guestInfo] = await Promise.all([hostBack, guestBack]);
    assert.equal(hostInfo.session, host.session);
    assert.equal(hostInfo.you.id, hostId);
    assert.equal(guestInfo.you.id, guestId);
    assert.equal(guestInfo.needsResync, true, 'a rejoin after a restart may have missed messages');
    await presenceAgain;
    host.setPresence({ file: 'h.ts', selections: [] });
    await waitFor(guest.onDidReceivePresence, (value) => value.presence.file === 'h.ts' && value.from.id === hostId, 'host presence after the restart');
    assert.equal(host.state, 'connected');
    assert.equal(guest.state, 'connected');
  });
});
