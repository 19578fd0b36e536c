/** The connection state machine: every transition, its event, and which closes stop for good. */
import assert from 'node:assert/strict';
import { CloseCode } from '../../protocol';
import { TransportError } from '../../client/transport-error';
import { admit, joined, participant, rig, welcome } from '../support/fake-transport';
import { flushMicrotasks } from '../support/fake-clock';

const host = participant('host1', 'Hana', 'host');

describe('client state machine', () => {
  it('goes idle → connecting → connected, with a reason on each event', async () => {
    const r = rig();
    assert.equal(r.client.state, 'idle');
    const started = r.client.start();
    assert.equal(r.client.state, 'connecting');
    await admit(r, joined(host));
    const info = await started;
    assert.equal(info.you.id, 'host1');
    assert.deepEqual(r.states.map((s) => [s.previous, s.state]), [['idle', 'connecting'], ['connecting', 'connected']]);
    for (const change of r.states) assert.ok(change.reason.length > 5);
    assert.equal(r.states[1]?.attempt, 0);
  });

  it('sends hello first, and create only after welcome', async () => {
    const r = rig();
    void r.client.start();
    await flushMicrotasks();
    const connection = r.transport.last;
    assert.deepEqual(connection.sent.map((m) => m.type), ['hello']);
    assert.deepEqual(connection.options.protocols, ['pairline.v1']);
    await connection.receive(welcome());
    assert.deepEqual(connection.sent.map((m) => m.type), ['hello', 'create']);
  });

  it('a dropped link reconnects with attempt, retryAt, retryInMs and close code, then is connected again', async () => {
    const r = rig();
    void r.client.start();
    const first = await admit(r, joined(host));
    await first.closeFromRelay(1006, 'gone');
    const change = r.states.at(-1)!;
    assert.equal(change.state, 'reconnecting');
    assert.equal(change.previous, 'connected');
    assert.equal(change.attempt, 1);
    assert.equal(change.closeCode, 1006);
    assert.equal(change.retryInMs, 250); // random 0.5 × 500 ms
    assert.equal(change.retryAt, r.clock.now() + 250);
    assert.match(change.reason, /lost/);
    await r.clock.advance(249);
    assert.equal(r.transport.connections.length, 1);
    await r.clock.advance(1);
    assert.equal(r.transport.connections.length, 2);
    await admit(r, joined(host, [], { resumed: true }));
    assert.equal(r.client.state, 'connected');
    assert.equal(r.states.at(-1)?.previous, 'reconnecting');
  });

  for (const [name, code] of [['Unauthorized', CloseCode.Unauthorized], ['Forbidden', CloseCode.Forbidden],
    ['SessionEnded', CloseCode.SessionEnded], ['UpgradeRequired', CloseCode.UpgradeRequired], ['Replaced', CloseCode.Replaced]] as const) {
    it(`stops without retrying on ${name} (${code}) and says why`, async () => {
      const r = rig();
      void r.client.start();
      const connection = await admit(r, joined(host));
      const forgotten: unknown[] = [];
      r.client.onDidChangeResumeState((state) => forgotten.push(state));
      await connection.closeFromRelay(code, 'because');
      assert.equal(r.client.state, 'ended');
      assert.equal(r.states.at(-1)?.closeCode, code);
      assert.ok((r.states.at(-1)?.reason.length ?? 0) > 10);
      assert.deepEqual(forgotten, [undefined]);
      await r.clock.advance(120_000);
      assert.equal(r.transport.attempts.length, 1);
    });
  }

  it('start() rejects with the sentence when the first attempt is refused for good', async () => {
    const r = rig();
    r.transport.queue({ fail: new TransportError('the relay refused the access token', CloseCode.Unauthorized) });
    await assert.rejects(r.client.start(), /refused the credentials \(the relay refused the access token\)/);
    assert.equal(r.client.state, 'ended');
    assert.equal(r.states.at(-1)?.closeCode, CloseCode.Unauthorized);
  });

  it('a transport failure to connect counts as an attempt', async () => {
    const r = rig();
    r.transport.queue({ fail: new TransportError('refused') }, { fail: new TransportError('refused') });
    void r.client.start();
    await flushMicrotasks();
    assert.equal(r.states.at(-1)?.state, 'reconnecting');
    assert.equal(r.states.at(-1)?.attempt, 1);
    await r.clock.advanceToNext();
    assert.equal(r.states.at(-1)?.attempt, 2);
    await r.clock.advanceToNext();
    await admit(r, joined(host));
    assert.equal(r.client.state, 'connected');
  });

  it('a connection attempt that hangs is given up after the connect timeout', async () => {
    const r = rig({ options: { connectTimeoutMs: 3_000 } });
    r.transport.queue('hang');
    void r.client.start();
    await r.clock.advance(2_999);
    assert.equal(r.client.state, 'connecting');
    await r.clock.advance(1);
    assert.equal(r.client.state, 'reconnecting');
    assert.match(r.states.at(-1)!.reason, /did not answer in time/);
  });

  it('a relay that opens the socket but never answers the join is given up after the connect timeout, and the next attempt joins', async () => {
    const r = rig({ options: { connectTimeoutMs: 3_000 } });
    void r.client.start();
    await flushMicrotasks();
    const silent = r.transport.last;
    await r.clock.advance(1_000);
    await silent.receive(welcome());
    assert.deepEqual(silent.sent.map((m) => m.type), ['hello', 'create']);
    // The timer runs from the start of the attempt, not from the socket opening.
    await r.clock.advance(1_999);
    assert.equal(r.client.state, 'connecting');
    await r.clock.advance(1);
    assert.equal(r.client.state, 'reconnecting');
    assert.match(r.states.at(-1)!.reason, /did not answer the join in time/);
    assert.ok(silent.closedWith, 'the unanswered link is closed, not left open beside the next one');
    await r.clock.advanceToNext();
    await admit(r, joined(host));
    assert.equal(r.client.state, 'connected');
    // Admitted: the old attempt's deadline is gone and no later one fires (within the 20 s
    // dead-link bound; the fake relay answers no pings).
    await r.clock.advance(10_000);
    assert.equal(r.client.state, 'connected');
    assert.equal(r.transport.attempts.length, 2);
  });

  it('waiting for the host to approve is not cut by the connect timeout', async () => {
    const r = rig({ options: { connectTimeoutMs: 3_000 }, mode: { type: 'guest', invite: { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) } } });
    void r.client.start();
    await flushMicrotasks();
    await r.transport.last.receive(welcome());
    await r.transport.last.receive({ type: 'waiting', timeoutMs: 60_000 });
    await r.clock.advance(10_000);
    assert.equal(r.client.state, 'waiting-for-approval');
    assert.equal(r.transport.last.closedWith, undefined);
    assert.equal(r.transport.attempts.length, 1);
  });

  it('relay going away (1001) retries at once', async () => {
    const r = rig();
    void r.client.start();
    const connection = await admit(r, joined(host));
    await connection.closeFromRelay(CloseCode.GoingAway, 'restart');
    assert.equal(r.states.at(-1)?.retryInMs, 0);
    await r.clock.advance(0);
    assert.equal(r.transport.connections.length, 2);
  });

  it('a guest told 4404 waits for the host and keeps retrying with backoff', async () => {
    const r = rig({ mode: { type: 'guest', invite: { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) } } });
    void r.client.start();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await flushMicrotasks();
      await r.transport.last.receive(welcome());
      assert.equal(r.transport.last.lastControl?.type, 'join');
      await r.transport.last.closeFromRelay(CloseCode.NoSuchSession, 'no such session');
      assert.equal(r.client.state, 'waiting-for-host');
      assert.equal(r.states.at(-1)?.attempt, attempt);
      assert.match(r.states.at(-1)!.reason, /Waiting for the host/);
      await r.clock.advanceToNext();
    }
    await admit(r, joined(participant('guest1', 'Gus')));
    assert.equal(r.client.state, 'connected');
  });

  it('a guest waiting for the host retries within 2 s for the first minute, then backs off to the usual cap', async () => {
    const r = rig({ mode: { type: 'guest', invite: { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) } } });
    void r.client.start();
    const waitStarted = r.clock.now();
    const delays: number[] = [];
    while (r.clock.now() - waitStarted < 70_000) {
      await flushMicrotasks();
      await r.transport.last.receive(welcome());
      await r.transport.last.closeFromRelay(CloseCode.NoSuchSession, 'no such session');
      assert.equal(r.client.state, 'waiting-for-host');
      delays.push(r.states.at(-1)!.retryInMs!);
      await r.clock.advanceToNext();
    }
    // random() is 0.5: half the ceiling. Escalated attempts would wait 5 s (half of the 10 s cap).
    const firstMinute = delays.slice(0, delays.findIndex((_, index) => index >= 5 && delays[index] > 1_000));
    assert.ok(firstMinute.length > 30, `many quick retries in the first minute (${firstMinute.length})`);
    assert.ok(firstMinute.every((delay) => delay <= 1_000), `retries within 2 s: ${firstMinute.join(', ')}`);
    assert.equal(delays.at(-1), 5_000, 'after a minute of waiting, the usual backoff');
  });

  it('a host told 4404 re-registers (create) instead of waiting for itself', async () => {
    const r = rig();
    void r.client.start();
    const first = await admit(r, joined(host));
    await first.closeFromRelay(1006);
    await r.clock.advanceToNext();
    await r.transport.last.receive(welcome());
    assert.equal(r.transport.last.lastControl?.type, 'resume');
    await r.transport.last.closeFromRelay(CloseCode.NoSuchSession);
    assert.equal(r.client.state, 'reconnecting');
    await r.clock.advanceToNext();
    await r.transport.last.receive(welcome());
    const creates = r.transport.last.sentOf('create');
    assert.equal(creates.length, 1);
    assert.equal(creates[0]?.participant, 'host1');
  });

  it('waiting for approval, then admitted', async () => {
    const r = rig({ mode: { type: 'guest', invite: { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) } } });
    void r.client.start();
    await flushMicrotasks();
    await r.transport.last.receive(welcome());
    await r.transport.last.receive({ type: 'waiting', timeoutMs: 60_000 });
    assert.equal(r.client.state, 'waiting-for-approval');
    await r.transport.last.receive(joined(participant('guest1', 'Gus')));
    assert.equal(r.client.state, 'connected');
    assert.equal(r.states.at(-1)?.previous, 'waiting-for-approval');
    assert.equal(r.states.at(-1)?.reason, 'Joined the session.');
  });

  it('an unanswered knock (4408 while waiting for approval) ends the session', async () => {
    const r = rig({ mode: { type: 'guest', invite: { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) } } });
    const started = r.client.start();
    await flushMicrotasks();
    await r.transport.last.receive(welcome());
    await r.transport.last.receive({ type: 'waiting', timeoutMs: 60_000 });
    await r.transport.last.closeFromRelay(CloseCode.Timeout, 'host did not answer');
    assert.equal(r.client.state, 'ended');
    assert.match(r.states.at(-1)!.reason, /did not answer/);
    await assert.rejects(started);
    await r.clock.advance(60_000);
    assert.equal(r.transport.attempts.length, 1);
  });

  it('a denied knock (4403) ends the session', async () => {
    const r = rig({ mode: { type: 'guest', invite: { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) } } });
    r.client.start().catch(() => undefined);
    await flushMicrotasks();
    await r.transport.last.receive(welcome());
    await r.transport.last.receive({ type: 'waiting', timeoutMs: 60_000 });
    await r.transport.last.closeFromRelay(CloseCode.Forbidden, 'the host denied your request');
    assert.equal(r.client.state, 'ended');
    assert.match(r.states.at(-1)!.reason, /denied/);
  });

  it('reconnectNow skips the backoff wait', async () => {
    const r = rig({ random: () => 0.99 });
    void r.client.start();
    const connection = await admit(r, joined(host));
    await connection.closeFromRelay(1006);
    assert.ok((r.states.at(-1)?.retryInMs ?? 0) > 400);
    r.client.reconnectNow('network is back');
    assert.match(r.states.at(-1)!.reason, /network is back/);
    await flushMicrotasks();
    assert.equal(r.transport.connections.length, 2);
  });

  it('leave() sends leave, resolves once the relay closes, and ends', async () => {
    const r = rig();
    void r.client.start();
    const connection = await admit(r, joined(host));
    const left = r.client.leave();
    assert.equal(connection.lastControl?.type, 'leave');
    await connection.closeFromRelay(CloseCode.Normal, 'left');
    await left;
    assert.equal(r.client.state, 'ended');
    assert.equal(r.client.resumeState, undefined);
    await r.clock.advance(60_000);
    assert.equal(r.transport.attempts.length, 1);
  });

  it('leave() still ends when the relay never closes', async () => {
    const r = rig({ options: { leaveTimeoutMs: 1_000 } });
    void r.client.start();
    await admit(r, joined(host));
    const left = r.client.leave();
    await r.clock.advance(1_000);
    await left;
    assert.equal(r.client.state, 'ended');
    assert.equal(r.transport.last.closedWith?.by, 'client');
  });

  it('end() sends end (host only)', async () => {
    const r = rig();
    void r.client.start();
    const connection = await admit(r, joined(host));
    const ended = r.client.end();
    assert.equal(connection.lastControl?.type, 'end');
    await connection.closeFromRelay(CloseCode.SessionEnded, 'ended by host');
    await ended;
    assert.equal(r.states.at(-1)?.reason, 'You ended the session.');
  });

  it('a garbage frame from the relay is ignored, not fatal', async () => {
    const r = rig();
    void r.client.start();
    const connection = await admit(r, joined(host));
    await connection.receive('{not json');
    await connection.receive('{"type":"mystery"}');
    assert.equal(r.client.state, 'connected');
  });
});
