import * as assert from 'node:assert/strict';
import { Throttle } from '../../client/presence/throttle';
import { FakeClock } from './ext-fake-clock';

describe('presence throttle (50 ms, leading + trailing edge)', () => {
  let clock: FakeClock;
  let sent: { value: number; at: number }[];
  let throttle: Throttle<number>;

  beforeEach(() => {
    clock = new FakeClock();
    sent = [];
    throttle = new Throttle<number>(clock, 50, (value) => sent.push({ value, at: clock.now() }));
  });

  it('sends the first value at once (leading edge)', () => {
    throttle.push(1);
    assert.deepEqual(sent.map((s) => s.value), [1]);
  });

  it('coalesces a burst and sends only the latest value when the interval ends (trailing edge)', () => {
    const start = clock.now();
    throttle.push(1);
    clock.advance(10);
    throttle.push(2);
    clock.advance(10);
    throttle.push(3);
    assert.deepEqual(sent.map((s) => s.value), [1]);
    clock.advance(30);
    assert.deepEqual(sent, [{ value: 1, at: start }, { value: 3, at: start + 50 }]);
  });

  it('never sends more often than every 50 ms under a continuous stream', () => {
    for (let i = 0; i < 100; i++) {
      throttle.push(i);
      clock.advance(7);
    }
    clock.advance(100);
    for (let i = 1; i < sent.length; i++) {
      assert.ok(sent[i]!.at - sent[i - 1]!.at >= 50, `gap ${sent[i]!.at - sent[i - 1]!.at} ms`);
    }
    assert.equal(sent.at(-1)!.value, 99, 'the last position always arrives');
    assert.ok(sent.length >= 13 && sent.length <= 16, `sent ${sent.length} times in 700 ms`);
  });

  it('sends at once again after a quiet interval', () => {
    throttle.push(1);
    clock.advance(200);
    throttle.push(2);
    assert.deepEqual(sent.map((s) => s.value), [1, 2]);
    assert.equal(sent[1]!.at - sent[0]!.at, 200);
  });

  it('cancel drops the pending value; dispose stops everything', () => {
    throttle.push(1);
    throttle.push(2);
    assert.equal(throttle.hasPending, true);
    throttle.cancel();
    clock.advance(100);
    assert.deepEqual(sent.map((s) => s.value), [1]);
    throttle.dispose();
    throttle.push(3);
    clock.advance(100);
    assert.deepEqual(sent.map((s) => s.value), [1]);
    assert.equal(clock.pendingTimers, 0);
  });
});
