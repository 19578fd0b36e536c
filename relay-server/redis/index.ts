/**
 * Shared relay state in Redis (`--redis redis://…`): opens the two connections the store needs
 * (commands, and one in subscriber mode), the store, the liveness beat, and closes them again.
 */
import { Redis } from 'ioredis';
import { newSecret } from '../../protocol';
import type { RelayConfig } from '../config';
import type { RelayLogger } from '../logger';
import { RedisAdmission } from './admission';
import { RedisCounters, SharedConnectLimiter } from './counters';
import { RedisKeys } from './keys';
import { RelayLiveness } from './liveness';
import { RedisSessionStore } from './redis-store';

export { RedisCounters, SharedConnectLimiter } from './counters';
export { RedisSessionStore } from './redis-store';

export interface RedisRelayState {
  readonly relayId: string;
  readonly store: RedisSessionStore;
  readonly counters: RedisCounters;
  close(): Promise<void>;
}

/** Heartbeat of a relay process; a relay silent for {@link RELAY_DEAD_AFTER_MS} is taken over. */
const RELAY_BEAT_MS = 1_000;
const RELAY_DEAD_AFTER_MS = 4_000;

export async function startRedisRelayState(url: string, config: RelayConfig, logger: RelayLogger): Promise<RedisRelayState> {
  const relayId = newSecret(9);
  const log = logger.child({ relay: relayId });
  const connect = (role: string): Redis => {
    const redis = new Redis(url, {
      // Fail a command after a few retries instead of queueing it for ever: the connection's
      // handler errors out and the client reconnects, which beats a frozen session.
      maxRetriesPerRequest: 3,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
      lazyConnect: true,
      connectionName: `pairline-relay-${role}-${relayId}`,
    });
    redis.on('error', (err: Error) => log.warn({ error: err.message, role }, 'Redis connection error'));
    redis.on('ready', () => log.info({ role }, 'Redis connection ready'));
    return redis;
  };
  const redis = connect('commands');
  const subscriber = connect('fanout');
  await Promise.all([redis.connect(), subscriber.connect()]);
  const keys = new RedisKeys();
  const counters = new RedisCounters(redis, keys);
  const store = new RedisSessionStore({
    redis, subscriber, keys, relayId, logger: log,
    maxSessionsPerToken: config.maxSessionsPerToken,
    admission: new RedisAdmission([redis, subscriber], new SharedConnectLimiter(counters, config.connectsPerMinute)),
    bufferMessages: config.resumeBufferMessages,
    // A session nobody serves any more outlives its host's resume window, then Redis drops it.
    sessionTtlMs: Math.max(config.hostResumeMs, config.guestResumeMs) + 60_000,
  });
  const liveness = new RelayLiveness({
    redis, store, keys, relayId, config, logger: log, beatMs: RELAY_BEAT_MS, deadAfterMs: RELAY_DEAD_AFTER_MS,
  });
  await liveness.start();
  log.info({ beatMs: RELAY_BEAT_MS, deadAfterMs: RELAY_DEAD_AFTER_MS }, 'sharing sessions through Redis');
  return {
    relayId, store, counters,
    async close() {
      await liveness.dispose();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
