/**
 * Shared counters in a real Redis: two relay processes (two connections here) count into the same
 * window, so a per-address connect limit holds across the deployment.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisCounters, SharedConnectLimiter } from '../../relay-server/redis/counters';
import { RedisKeys } from '../../relay-server/redis/keys';
import { startRedis, type RunningRedis } from '../support/redis-process';

describe('shared counters in Redis', function () {
  this.timeout(20_000);
  let redis: RunningRedis | undefined;
  const connections: Redis[] = [];

  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.disconnect();
    await redis?.kill9();
    redis = undefined;
  });

  it('counts connects per address across processes, per one-minute window', async () => {
    redis = await startRedis();
    let now = 120_000;
    const limiters = [0, 1].map(() => {
      const connection = new Redis(redis!.url, { maxRetriesPerRequest: 1 });
      connections.push(connection);
      return new SharedConnectLimiter(new RedisCounters(connection, new RedisKeys(), () => now), 3, () => now);
    });
    const [a, b] = limiters as [SharedConnectLimiter, SharedConnectLimiter];
    assert.deepEqual([await a.allow('10.0.0.1'), await b.allow('10.0.0.1'), await a.allow('10.0.0.1')], [true, true, true]);
    assert.equal(await b.allow('10.0.0.1'), false, 'the fourth connect in the minute, on the other process');
    assert.equal(await b.allow('10.0.0.2'), true, 'another address has its own count');
    assert.equal(a.retryAfterSeconds(), 60);
    now += 60_000;
    assert.equal(await b.allow('10.0.0.1'), true, 'a new minute starts a new count');
  });
});
