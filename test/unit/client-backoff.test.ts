/** Reconnect backoff: full jitter within bounds, the cap, and the reset after a stable connection. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from '../../protocol';
import { ReconnectScheduler } from '../../client/reconnect';
import { TransportError } from '../../client/transport-error';
import { FakeClock } from '../support/fake-clock';
import { admit, joined, participant, rig } from '../support/fake-transport';

const host = participant('host1', 'Hana', 'host');

describe('client reconnect backoff', () => {
  it('property: every delay lies in [0, min(cap, base·2^n))', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 200 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.integer({ min: 1, max: 5_000 }),
      fc.integer({ min: 1, max: 120_000 }),
      (attempt, random, baseMs, capMs) => {
        const delay = backoffDelay(attempt, () => random, { baseMs, capMs });
        const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
        return Number.isInteger(delay) && delay >= 0 && delay < ceiling;
      },
    ));
  });

  it('the scheduler uses the injected random: jitter spreads, cap holds', () => {
    const clock = new FakeClock();
    const high = new ReconnectScheduler(clock, () => 0.999, { backoff: DEFAULT_BACKOFF, stableAfterMs: 5_000 });
    const ceilings = [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000];
    for (const [index, ceiling] of ceilings.entries()) {
      const next = high.schedule(() => undefined);
      assert.equal(next.attempt, index + 1);
      assert.equal(next.retryInMs, Math.floor(0.999 * ceiling));
      assert.ok(next.retryInMs < backoffCeiling(index));
    }
    const low = new ReconnectScheduler(clock, () => 0, { backoff: DEFAULT_BACKOFF, stableAfterMs: 5_000 });
    assert.equal(low.schedule(() => undefined).retryInMs, 0);
    high.dispose();
    low.dispose();
  });

  it('retry delays through the client follow 250, 500, 1000 … capped at 5000 with random 0.5', async () => {
    const r = rig();
    r.transport.fallback = { fail: new TransportError('refused') };
    void r.client.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await r.clock.advance(0);
      delays.push(r.states.at(-1)!.retryInMs!);
      await r.clock.advanceToNext();
    }
    assert.deepEqual(delays, [250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    r.client.dispose();
  });

  it('the attempt count survives a connection shorter than 5 s and resets after 5 s stable', async () => {
    const r = rig();
    void r.client.start();
    let connection = await admit(r, joined(host));
    await connection.closeFromRelay(1006);
    assert.equal(r.states.at(-1)?.attempt, 1);
    await r.clock.advanceToNext();
    connection = await admit(r, joined(host, [], { resumed: true }));
    await r.clock.advance(4_999);
    await connection.closeFromRelay(1006);
    assert.equal(r.states.at(-1)?.attempt, 2, 'up 4.999 s is not stable');
    assert.equal(r.states.at(-1)?.retryInMs, 500);
    await r.clock.advanceToNext();
    connection = await admit(r, joined(host, [], { resumed: true }));
    await r.clock.advance(5_000);
    await connection.closeFromRelay(1006);
    assert.equal(r.states.at(-1)?.attempt, 1, 'up 5 s is stable: the count starts again');
    assert.equal(r.states.at(-1)?.retryInMs, 250);
    r.client.dispose();
  });
});
