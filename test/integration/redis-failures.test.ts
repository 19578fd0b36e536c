/**
 * Failures around relay processes sharing one Redis: a relay dying while a guest it holds waits
 * for approval (the host's prompt must go, not admit a ghost), and this relay losing Redis
 * (/readyz turns 503 so a load balancer moves traffic away, /healthz stays 200). Real
 * `redis-server` and real relay processes; every one is stopped by its test.
 */
import assert from 'node:assert/strict';
import { closeAll, connectHello, hostSession, type RawClient } from '../support/relay-client';
import { RedisRelays } from '../support/redis-relays';
import type { RunningRelay } from '../support/relay-process';

describe('relay processes sharing Redis: failures', function () {
  this.timeout(60_000);
  const cluster = new RedisRelays();
  const raw: RawClient[] = [];
  const relay = (args: string[] = []): Promise<RunningRelay> => cluster.relay({ args });

  afterEach(async () => {
    closeAll(...raw.splice(0));
    await cluster.stopAll();
  });

  it('kill -9 of the relay holding a waiting guest: the host on the other process sees the knock withdrawn and cannot approve it', async () => {
    const [a, b] = [await relay(), await relay()];
    const host = await hostSession(b.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } });
    raw.push(host.client);
    const guest = await connectHello(a.wsUrl);
    raw.push(guest);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Gus' });
    await guest.next('waiting');
    const knock = await host.client.next('knock');
    assert.equal(knock.participant.name, 'Gus');

    await a.kill9();
    // A survivor notices the silent relay (heartbeat expiry, a few seconds) and withdraws its knocks.
    const withdrawn = await host.client.next('knock-withdrawn', 20_000);
    assert.equal(withdrawn.participant, knock.participant.id);
    assert.equal(withdrawn.reason, 'left');
    await b.waitForLog((line) => line.msg === 'a relay process stopped beating: took over its participants' && line.knocks === 1, 5_000);

    host.client.send({ type: 'approve', participant: knock.participant.id, role: 'editor' });
    const refused = await host.client.next('error');
    assert.equal(refused.code, 'unknown-participant');
    await host.client.flush();
    assert.ok(!host.client.pending().some((message) => message.type === 'roster'), 'no ghost joined the roster');

    // The guest, back through the surviving process, knocks again and is let in.
    const again = await connectHello(b.wsUrl);
    raw.push(again);
    again.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Gus' });
    await again.next('waiting');
    const second = await host.client.next('knock');
    host.client.send({ type: 'approve', participant: second.participant.id, role: 'editor' });
    const joined = await again.next('joined');
    assert.equal(joined.you.id, second.participant.id);
  });

  it('a guest approved after its relay died (before a survivor noticed) is let go after its resume window, not kept as a ghost', async () => {
    const args = ['--guest-resume-ms', '1500'];
    const [a, b] = [await relay(args), await relay(args)];
    const host = await hostSession(b.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } });
    raw.push(host.client);
    const guest = await connectHello(a.wsUrl);
    raw.push(guest);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Gus' });
    const knock = await host.client.next('knock');

    await a.kill9();
    // The host answers within the seconds before the heartbeat expires: the knock is still there.
    host.client.send({ type: 'approve', participant: knock.participant.id, role: 'editor' });
    const answered = await host.client.next('knock-withdrawn');
    assert.equal(answered.reason, 'answered');
    // Nobody completes that join; the survivor treats the guest as disconnected and its window runs out.
    const left = await host.client.nextWhere(
      (message) => message.type === 'roster' && message.change === 'left' && message.participant.id === knock.participant.id,
      'the approved guest of the dead relay to leave the roster', 20_000,
    );
    assert.equal(left.type === 'roster' ? left.reason : undefined, 'timeout');
    const next = await connectHello(b.wsUrl);
    raw.push(next);
    next.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Vera' });
    const second = await host.client.next('knock');
    host.client.send({ type: 'approve', participant: second.participant.id, role: 'viewer' });
    const joined = await next.next('joined');
    assert.deepEqual(joined.roster.map((participant) => participant.name).sort(), ['Host', 'Vera']);
  });

  it('/readyz answers 503 while this relay\'s Redis connection is down and 200 once it is back; /healthz stays 200', async () => {
    const a = await relay();
    const ready = await fetch(`${a.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });

    await cluster.redisDown('stop');
    const down = await untilReadyz(a.url, 503, 10_000);
    assert.deepEqual(down, { status: 'shared state unreachable' });
    const health = await fetch(`${a.url}/healthz`);
    assert.equal(health.status, 200, 'the process itself is alive');

    await cluster.redisUp();
    assert.deepEqual(await untilReadyz(a.url, 200, 15_000), { status: 'ready' });
    // And it serves sessions again.
    const host = await hostSession(a.wsUrl);
    raw.push(host.client);
  });
});

/** Polls /readyz until it answers `status` (there is no event to wait for from outside the process). */
async function untilReadyz(base: string, status: number, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) });
    const body: unknown = await response.json();
    if (response.status === status) return body;
    if (Date.now() > deadline) throw new Error(`/readyz still answered ${response.status}, not ${status}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
