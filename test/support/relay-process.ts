/**
 * Starts the built relay (`dist/relay.js`) as a child process for integration tests.
 * Run `npm run build` first (`npm test` does). Every relay a test starts must be stopped by that
 * test: call `stop()` (or `kill9()`) in an `afterEach`/`finally`; both are safe to call twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export type LogLine = Record<string, unknown>;

export interface RunningRelay {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** WebSocket endpoint, e.g. `ws://127.0.0.1:41234/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Every JSON log line the relay printed so far, parsed. */
  readonly logs: LogLine[];
  /** Everything the relay wrote to stdout and stderr so far, verbatim (the first 16 MiB of each). */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first log line (already printed or still to come) that matches. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code once the process exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill9(): Promise<void>;
}

export interface StartRelayOptions {
  /** Extra command-line arguments, appended after `--host 127.0.0.1 --port N`. */
  args?: string[];
  /** Extra environment; merged over the test process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Port to listen on (0, the default, lets the system pick one). Used to restart on the same port. */
  port?: number;
  /** How long to wait for the relay to announce it listens. */
  startTimeoutMs?: number;
}

export const RELAY_ENTRY = path.resolve(__dirname, '..', '..', 'dist', 'relay.js');

/** True for the log line the relay prints once it accepts connections. */
export function isListeningLine(line: LogLine): boolean {
  return line.msg === 'relay listening' && typeof line.url === 'string';
}

export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  if (!existsSync(RELAY_ENTRY)) {
    throw new Error(`${RELAY_ENTRY} does not exist: run \`npm run build\` before the integration tests`);
  }
  const args = [RELAY_ENTRY, '--host', '127.0.0.1', '--port', String(options.port ?? 0), ...(options.args ?? [])];
  // Tests start from a clean relay configuration unless they pass one explicitly.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PAIRLINE_')));
  const child = spawn(process.execPath, args, {
    env: { ...inherited, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  let fullStdout = '';
  let fullStderr = '';
  const FULL_LIMIT = 16 * 1024 * 1024;
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
  });

  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    if (fullStdout.length < FULL_LIMIT) fullStdout += chunk;
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      let line: LogLine;
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null) continue;
        line = parsed as LogLine;
      } catch {
        continue;
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (fullStderr.length < FULL_LIMIT) fullStderr += chunk;
    // Keep the tail only: enough to explain a failed start.
    stderr = (stderr + chunk).slice(-4000);
  });

  function waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`relay did not log the expected line within ${timeoutMs} ms; last lines: ${JSON.stringify(logs.slice(-5))}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then(() => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`relay exited (code ${String(exitCode)}) before logging the expected line; stderr: ${stderr}`));
      });
    });
  }

  async function stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (exitCode === undefined) child.kill(signal);
    return exited;
  }

  async function kill9(): Promise<void> {
    if (exitCode === undefined) child.kill('SIGKILL');
    await exited;
  }

  let listening: LogLine;
  try {
    listening = await waitForLog(isListeningLine, options.startTimeoutMs ?? 20_000);
  } catch (err) {
    await kill9();
    throw err;
  }
  const url = String(listening.url);
  const port = Number(new URL(url).port);
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    port,
    pid: requirePid(child),
    logs,
    output: () => ({ stdout: fullStdout, stderr: fullStderr }),
    waitForLog,
    stop,
    kill9,
  };
}

function requirePid(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('relay process has no pid (spawn failed)');
  return child.pid;
}
