/**
 * Fixed-window counters shared by every relay process, for limits that must hold across the
 * whole deployment rather than per process (connects per IP per minute, for one). Per-connection
 * limits (token buckets) stay local: a connection lives on one process.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys';

export class RedisCounters {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit of `name` in the current window of `windowMs` and returns the window's total so far. */
  async hit(name: string, windowMs: number): Promise<number> {
    const window = Math.floor(this.now() / windowMs);
    const key = this.keys.counter(name, window);
    const results = await this.redis.multi().incr(key).pexpire(key, windowMs * 2).exec();
    return Number(results?.[0]?.[1] ?? 0);
  }
}

/**
 * Connects per client address per minute across every relay process (the shared counterpart of
 * the per-process limiter in admission.ts): one INCR per upgrade, fixed one-minute windows.
 * When Redis cannot answer, the connect is allowed: the limit is a brake, not a gate.
 */
export class SharedConnectLimiter {
  constructor(
    private readonly counters: RedisCounters,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one connect; false when the address is over its limit. Redis failing or slower than `timeoutMs` lets it through. */
  async allow(address: string, timeoutMs?: number): Promise<boolean> {
    if (this.perMinute === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const counted = this.counters.hit(`connects:${address}`, 60_000).then((count) => count <= this.perMinute, () => true);
    if (timeoutMs === undefined) return counted;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    try {
      return await Promise.race([counted, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Seconds until the current window ends, for Retry-After. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((60_000 - (this.now() % 60_000)) / 1000));
  }
}
