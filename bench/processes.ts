/**
 * Starting, measuring and stopping the processes under test. Every child is recorded in a
 * {@link ProcessRegistry} so the orchestrator can stop each one by pid on exit or Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { monoMs } from './clock';

export const ROOT = path.resolve(__dirname, '..');
export const RELAY_ENTRY = path.join(ROOT, 'dist', 'relay.js');

/**
 * Copies the built relay (and its source map) into `directory`, so every relay of this run is the
 * same build even if dist/ is rebuilt meanwhile, and profiles map through the matching source map.
 */
export function snapshotRelay(directory: string): string {
  const target = path.join(directory, 'dist');
  mkdirSync(target, { recursive: true });
  for (const name of ['relay.js', 'relay.js.map']) {
    if (existsSync(path.join(ROOT, 'dist', name))) copyFileSync(path.join(ROOT, 'dist', name), path.join(target, name));
  }
  // The relay reports the version of the package.json next to its dist/ folder.
  copyFileSync(path.join(ROOT, 'package.json'), path.join(directory, 'package.json'));
  return path.join(target, 'relay.js');
}

/** Children started by this run; each is stopped by its own pid, never by name. */
export class ProcessRegistry {
  private readonly children = new Set<ChildProcess>();

  add(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** SIGKILL to every child still running (exit path and Ctrl-C). */
  killAll(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

export interface RunningServer {
  readonly kind: 'pairline' | 'floor';
  readonly pid: number;
  readonly port: number;
  /** The WebSocket base: `ws://127.0.0.1:PORT` (Pairline clients add `/ws`, floor clients a room path). */
  readonly wsBase: string;
  readonly httpBase: string;
  /** Inspector WebSocket URL when started with `inspect`. */
  readonly inspectorUrl: string | undefined;
  /** SIGTERM, bounded wait, then SIGKILL. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export interface StartOptions {
  readonly port?: number;
  /** Extra node flags (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** Extra relay flags (Pairline only). */
  readonly args?: readonly string[];
  /** Start with the inspector on a free loopback port, to force GC from outside. */
  readonly inspect?: boolean;
}

const LISTENING = /listening on (http:\/\/[0-9.]+:(\d+))/;
const FLOOR_LISTENING = /floor relay listening on (http:\/\/[0-9.]+:(\d+))/;
const INSPECTOR = /Debugger listening on (ws:\/\/\S+)/;

export function startPairline(registry: ProcessRegistry, relayEntry: string, options: StartOptions = {}): Promise<RunningServer> {
  const args = [...(options.nodeFlags ?? []), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : []),
    relayEntry, '--host', '127.0.0.1', '--port', String(options.port ?? 0), ...(options.args ?? [])];
  return launch(registry, 'pairline', args, LISTENING, options);
}

export function startFloor(registry: ProcessRegistry, floorBundle: string, options: StartOptions = {}): Promise<RunningServer> {
  const args = [...(options.nodeFlags ?? []), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : []),
    floorBundle, '--port', String(options.port ?? 0)];
  return launch(registry, 'floor', args, FLOOR_LISTENING, options);
}

function launch(registry: ProcessRegistry, kind: 'pairline' | 'floor', args: string[], listening: RegExp, options: StartOptions): Promise<RunningServer> {
  // The relay reads PAIRLINE_* variables; the benchmark runs it with its documented defaults only.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PAIRLINE_')));
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  registry.add(child);
  return new Promise<RunningServer>((resolve, reject) => {
    let output = '';
    let inspectorUrl: string | undefined;
    let done = false;
    const timer = setTimeout(() => fail(new Error(`${kind} relay did not start within 20 s: ${output.slice(-500)}`)), 20_000);
    const exited = new Promise<void>((resolveExit) => {
      if (child.exitCode !== null || child.signalCode !== null) resolveExit();
      else child.once('exit', () => resolveExit());
    });
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const scan = (chunk: Buffer): void => {
      if (done) return;
      // Keep a bounded tail: enough to find the start lines and to explain a failed start.
      output = (output + chunk.toString('utf8')).slice(-8000);
      inspectorUrl ??= INSPECTOR.exec(output)?.[1];
      const match = listening.exec(output);
      if (!match || (options.inspect && !inspectorUrl)) return;
      done = true;
      clearTimeout(timer);
      const port = Number(match[2]);
      const pid = child.pid ?? 0;
      const stop = async (): Promise<void> => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(forced);
      };
      const kill9 = async (): Promise<void> => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      };
      resolve({ kind, pid, port, wsBase: `ws://127.0.0.1:${port}`, httpBase: `http://127.0.0.1:${port}`, inspectorUrl, stop, kill9 });
    };
    // Logs keep flowing after start; reading them keeps the pipes from filling up.
    child.stdout?.on('data', scan);
    child.stderr?.on('data', scan);
    child.once('exit', (code, signal) => fail(new Error(`${kind} relay exited (${code ?? signal}) before listening: ${output.slice(-500)}`)));
  });
}

/** Starts the relays of this run: Pairline from the snapshot of its build, the floor from its bundle. */
export class Launcher {
  /** Relay flags every Pairline relay of the run gets (see {@link benchRelayFlags}). */
  readonly relayFlags: readonly string[];

  constructor(readonly registry: ProcessRegistry, readonly relayEntry: string, readonly floorBundle: string) {
    this.relayFlags = benchRelayFlags(relayEntry);
  }

  pairline(options: StartOptions = {}): Promise<RunningServer> {
    return startPairline(this.registry, this.relayEntry, { ...options, args: [...this.relayFlags, ...(options.args ?? [])] });
  }

  floor(options: StartOptions = {}): Promise<RunningServer> {
    return startFloor(this.registry, this.floorBundle, options);
  }

  start(kind: 'pairline' | 'floor', options: StartOptions = {}): Promise<RunningServer> {
    return kind === 'pairline' ? this.pairline(options) : this.floor(options);
  }
}

/**
 * Every simulated participant connects from 127.0.0.1, which a relay with a per-address connection
 * limit would take for one abusive client: the limit is turned off when this build has it.
 */
function benchRelayFlags(relayEntry: string): string[] {
  const help = spawnSync(process.execPath, [relayEntry, '--help'], { encoding: 'utf8', timeout: 30_000 });
  return `${help.stdout}${help.stderr}`.includes('--connects-per-minute') ? ['--connects-per-minute', '0'] : [];
}

export interface ProcessSample {
  /** utime + stime, seconds. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly at: number;
}

const CLOCK_TICKS = 100; // USER_HZ; Linux reports /proc times in 1/100 s on every common build.

/** CPU time and RSS of a process, from /proc. */
export function sampleProcess(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: rssKb * 1024, at: monoMs() };
}

/** CPU seconds per wall second between two samples. */
export function cpuRate(before: ProcessSample, after: ProcessSample): number {
  return (after.cpuSeconds - before.cpuSeconds) / ((after.at - before.at) / 1000);
}
