/**
 * Starts a real `redis-server` (the Debian package) for integration tests: on a free port of
 * 127.0.0.1, in its own temporary directory, with persistence off (`--save '' --appendonly no`),
 * so a restart starts empty, like a Redis that lost its data. Every server a test starts must be
 * stopped by that test (`stop()` or `kill9()`, both safe to call twice), by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RunningRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM; resolves once the process exited. Removes its temporary directory. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the process is gone. Removes its temporary directory. */
  kill9(): Promise<void>;
}

export interface StartRedisOptions {
  /** Port to listen on; a free one when absent. Used to restart on the same port. */
  readonly port?: number;
  readonly startTimeoutMs?: number;
}

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** A port that was free a moment ago (Redis cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RunningRedis> {
  const port = options.port ?? await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pairline-redis-'));
  const child = spawn(REDIS_SERVER, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      rmSync(dir, { recursive: true, force: true });
      resolve();
    });
  });
  child.once('error', (err) => {
    output += `\n${err.message}`;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${options.startTimeoutMs ?? 10_000} ms: ${output.slice(-2000)}`)), options.startTimeoutMs ?? 10_000);
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8000);
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (code ${String(exitCode)}) before it was ready: ${output.slice(-2000)}`));
    });
  });

  async function signal(name: NodeJS.Signals): Promise<void> {
    if (exitCode === undefined) child.kill(name);
    await exited;
  }

  try {
    await ready;
  } catch (err) {
    await signal('SIGKILL');
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: requirePid(child),
    stop: () => signal('SIGTERM'),
    kill9: () => signal('SIGKILL'),
  };
}

function requirePid(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('redis-server has no pid (spawn failed)');
  return child.pid;
}
