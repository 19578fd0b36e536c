/**
 * The two-process row of the presence fan-out: two relay processes sharing sessions through one
 * `redis-server`, with the participants of every session split across both, measured next to one
 * relay process under the same load.
 *
 * The load workers connect each session to one address, so the split happens below them: a
 * round-robin TCP splitter in this process hands each new connection to the next relay. The
 * single-process figure goes through the same splitter (with one relay behind it), so the extra
 * hop is in both figures and the difference is the cost of sharing through Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { until } from './clock';
import { connectLoad, describeShape, disconnectLoad, runLoad, type FanoutFigures, type LoadShape, type Timing } from './fanout';
import { cpuRate, sampleProcess, type Launcher, type ProcessRegistry, type ProcessSample, type RunningServer } from './processes';
import { cpuPerMessage, fanoutRow, mb, ms, num, pct, ratio } from './report';
import type { WorkerHandle } from './workers';

export interface RedisFanoutOptions {
  readonly launcher: Launcher;
  readonly workers: readonly WorkerHandle[];
  /** Use participants ≥ 4 per session so every session spans both processes. */
  readonly shape: LoadShape;
  readonly timing: Timing;
  /** The `redis-server` binary (default: `redis-server` on the PATH, or $REDIS_SERVER). */
  readonly redisServer?: string;
  readonly progress?: (text: string) => void;
}

const EMPTY_CELLS = ' | | | | | | | | | | | |';

/**
 * Markdown rows in the columns of the fan-out table (FANOUT_HEADER): one relay process, two relay
 * processes + Redis, and their ratio. Never throws: without `redis-server` the row says
 * "skipped: redis-server not found", and a failure is printed as "not measured: …".
 */
export async function redisFanoutRows(options: RedisFanoutOptions): Promise<string[]> {
  const label = `${describeShape(options.shape)} (${options.shape.sessions * options.shape.participants} conns)`;
  const binary = options.redisServer ?? process.env.REDIS_SERVER ?? 'redis-server';
  if (spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 }).error) {
    return [`| ${label} | skipped: redis-server not found${EMPTY_CELLS}`];
  }
  try {
    return await measure(options, binary, label);
  } catch (err) {
    return [`| ${label} | two processes + Redis not measured: ${(err as Error).message.replace(/\|/g, '/').split('\n')[0]}${EMPTY_CELLS}`];
  }
}

async function measure(options: RedisFanoutOptions, binary: string, label: string): Promise<string[]> {
  const { launcher, workers, shape, timing } = options;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pairline-bench-redis-'));
  const started: RunningServer[] = [];
  let redis: RunningRedis | undefined;
  let splitter: Splitter | undefined;
  try {
    options.progress?.(`fan-out ${describeShape(shape)}: one relay process behind the splitter`);
    const [single, server] = await Promise.all([launcher.pairline(), startRedisServer(launcher.registry, binary, scratch)]);
    started.push(single);
    redis = server;
    splitter = await startSplitter([single.port]);
    const one = await run(workers, { ...single, wsBase: splitter.wsBase }, shape, timing, 'redis-one');
    await single.stop();
    splitter.close();

    options.progress?.(`fan-out ${describeShape(shape)}: two relay processes + redis-server`);
    const [a, b] = await Promise.all([launcher.pairline({ args: ['--redis', server.url] }), launcher.pairline({ args: ['--redis', server.url] })]);
    started.push(a, b);
    splitter = await startSplitter([a.port, b.port]);
    // The figures of `a` come from runLoad; `b` and redis-server are sampled at the same window edges.
    const others = { b: [] as ProcessSample[], redis: [] as ProcessSample[] };
    const sample = (): void => {
      others.b.push(sampleProcess(b.pid));
      others.redis.push(sampleProcess(server.pid));
    };
    let split = 'n/a';
    const two = await run(workers, { ...a, wsBase: splitter.wsBase }, shape, timing, 'redis-two', { onStart: sample, onEnd: sample }, async () => {
      split = await sessionsSplit(server.url);
    });
    const [bBefore, bAfter] = others.b;
    const [redisBefore, redisAfter] = others.redis;
    const combined: FanoutFigures = {
      ...two,
      relayCpu: two.relayCpu + (bBefore && bAfter ? cpuRate(bBefore, bAfter) : Number.NaN),
      relayRssBytes: two.relayRssBytes + (bAfter?.rssBytes ?? Number.NaN),
    };
    const redisCpu = redisBefore && redisAfter ? cpuRate(redisBefore, redisAfter) : Number.NaN;
    options.progress?.(`  two processes p99 ${ms(combined.p99)} ms, one process p99 ${ms(one.p99)} ms; sessions split: ${split}`);
    return [
      fanoutRow(label, 'Pairline, 1 process (through the splitter)', one),
      fanoutRow(label, `Pairline, 2 processes + Redis (${split} sessions split across both; CPU and RSS of both relays; redis-server ${num(redisCpu, 2)} CPU s/s, ${mb(redisAfter?.rssBytes ?? Number.NaN)} MB)`, combined),
      `| ${label} | 2 processes ÷ 1 process | ${ratio(combined.deliveredPerSecond, one.deliveredPerSecond)} | ${pct(combined.deliveryRatio)} vs ${pct(one.deliveryRatio)} | ${ratio(combined.p50, one.p50)} | ${ratio(combined.p99, one.p99)} | ${ratio(combined.p999, one.p999)} | | ${ratio(combined.relayCpu, one.relayCpu)} | ${ratio(cpuPerMessage(combined), cpuPerMessage(one))} | ${ratio(combined.relayRssBytes, one.relayRssBytes)} | | |`,
    ];
  } finally {
    splitter?.close();
    for (const server of started) await server.stop().catch(() => undefined);
    await redis?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function run(
  workers: readonly WorkerHandle[], server: RunningServer, shape: LoadShape, timing: Timing, tag: string,
  hooks: { onStart?: () => void; onEnd?: () => void } = {}, afterConnect?: () => Promise<void>,
): Promise<FanoutFigures> {
  try {
    await connectLoad(workers, server, shape, tag);
    await afterConnect?.();
    return await runLoad(workers, server, shape, timing, hooks);
  } finally {
    // Also after a failure: a half-connected load must not leak into the next measurement.
    await disconnectLoad(workers).catch(() => undefined);
  }
}

/** "N of M": sessions whose participants are held by two relay processes (the `relay` of each participant field). */
async function sessionsSplit(url: string): Promise<string> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let total = 0;
    let split = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'pairline:{*}:session', 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        const fields = await redis.hgetall(key);
        const relays = new Set(Object.entries(fields)
          .filter(([field]) => field.startsWith('p:'))
          .map(([, value]) => (JSON.parse(value) as { relay?: string }).relay));
        total += 1;
        if (relays.size > 1) split += 1;
      }
    } while (cursor !== '0');
    return `${split} of ${total}`;
  } finally {
    redis.disconnect();
  }
}

interface Splitter {
  readonly wsBase: string;
  close(): void;
}

/** A TCP splitter on loopback: connection n goes to backend n mod k, bytes copied both ways untouched. */
async function startSplitter(backends: readonly number[]): Promise<Splitter> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const port = backends[next++ % backends.length] ?? 0;
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    wsBase: `ws://127.0.0.1:${port}`,
    close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

interface RunningRedis {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** redis-server on a free loopback port, persistence off, recorded in the registry (stopped by pid on Ctrl-C). */
async function startRedisServer(registry: ProcessRegistry, binary: string, directory: string): Promise<RunningRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  registry.add(child);
  let output = '';
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(forced);
  };
  try {
    await until(() => exited || /Ready to accept connections/.test(output), 10_000, 'redis-server to start');
    if (exited) throw new Error(`redis-server exited at start: ${output.slice(-300)}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}

/** A port that was free a moment ago (redis-server cannot listen on port 0 and report it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
