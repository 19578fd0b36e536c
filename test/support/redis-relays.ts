/**
 * Relay processes sharing one real `redis-server`, for the suites that test the Redis-backed relay.
 * Redis starts with the first relay; `stopAll()` (in `afterEach`) kills every relay, then Redis,
 * by pid. Redis can go down and come back, empty, on the same port, as a restarted Redis would.
 */
import { startRedis, type RunningRedis } from './redis-process';
import { startRelay, type RunningRelay } from './relay-process';

export class RedisRelays {
  private readonly relays: RunningRelay[] = [];
  private running: RunningRedis | undefined;
  private port: number | undefined;

  /** The Redis the relays share; throws before the first relay started it. */
  get redis(): RunningRedis {
    if (!this.running) throw new Error('Redis is not running: start a relay first');
    return this.running;
  }

  /** Starts a relay with `--redis` (and Redis first, if need be) plus `args`. */
  async relay(options: { args?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningRelay> {
    this.running ??= await startRedis(this.port !== undefined ? { port: this.port } : {});
    const started = await startRelay({ args: ['--redis', this.running.url, ...(options.args ?? [])], ...(options.env ? { env: options.env } : {}) });
    this.relays.push(started);
    return started;
  }

  /** Stops Redis (SIGTERM, or SIGKILL as a crash would); the relays keep running. */
  async redisDown(how: 'stop' | 'kill9'): Promise<void> {
    const redis = this.redis;
    this.port = redis.port;
    this.running = undefined;
    await (how === 'stop' ? redis.stop() : redis.kill9());
  }

  /** Starts Redis again on the port it had: empty, like a Redis that restarted and lost its data. */
  async redisUp(): Promise<RunningRedis> {
    if (this.port === undefined) throw new Error('Redis was never taken down');
    this.running = await startRedis({ port: this.port });
    return this.running;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.relays.splice(0).map((running) => running.kill9()));
    await this.running?.kill9();
    this.running = undefined;
    this.port = undefined;
  }
}
