/**
 * The upgrade-time side of sharing a relay through Redis: readiness follows this process's Redis
 * connections, and connects per address per minute are counted across every process.
 */
import type { Redis } from 'ioredis';
import type { SharedAdmission } from '../admission';
import type { SharedConnectLimiter } from './counters';

/** How long an upgrade waits for the shared count before it is let through (the limit is a brake, not a gate). */
const COUNT_TIMEOUT_MS = 500;

export class RedisAdmission implements SharedAdmission {
  constructor(
    private readonly connections: readonly Redis[],
    private readonly limiter: SharedConnectLimiter,
  ) {}

  /** Both connections (commands and fan-out) must be up: without either, sessions here go deaf or stall. */
  isReady(): boolean {
    return this.connections.every((connection) => connection.status === 'ready');
  }

  allowConnect(address: string): Promise<boolean> {
    // While Redis is away a command would wait in ioredis's offline queue: do not hold upgrades on it.
    if (!this.isReady()) return Promise.resolve(true);
    return this.limiter.allow(address, COUNT_TIMEOUT_MS);
  }

  retryAfterSeconds(): number {
    return this.limiter.retryAfterSeconds();
  }
}
