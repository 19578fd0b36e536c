/**
 * The `pairline` CLI (dist/cli.js) as a child process: JSON commands on stdin, JSON events on
 * stdout, awaited with bounded timeouts. Stopped by the test that started it (by pid).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

/** Short client timings so reconnect tests finish in seconds. */
export const FAST_ENV = {
  PAIRLINE_PING_MS: '200', PAIRLINE_DEAD_AFTER_MS: '1500', PAIRLINE_BACKOFF_BASE_MS: '50',
  PAIRLINE_BACKOFF_CAP_MS: '300', PAIRLINE_CONNECT_TIMEOUT_MS: '1500', PAIRLINE_STABLE_AFTER_MS: '1000',
};

export type CliEvent = Record<string, unknown> & { event: string };

export class CliProcess {
  readonly events: CliEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private nextId = 0;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PAIRLINE_')));
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...inherited, ...FAST_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let pending = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.events.push(JSON.parse(line) as CliEvent);
        for (const wake of [...this.waiters]) wake();
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => { this.stderr = (this.stderr + chunk).slice(-3000); });
  }

  /** Resolves with the first event (from index `after` on) that matches. */
  waitFor(predicate: (event: CliEvent) => boolean, what: string, options: { after?: number; timeoutMs?: number } = {}): Promise<CliEvent> {
    const from = options.after ?? 0;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find(predicate);
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.stderr}`));
      }, options.timeoutMs ?? 15_000);
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a command with a fresh id and resolves with its result (rejects on its error event). */
  async command(line: Record<string, unknown>, timeoutMs?: number): Promise<CliEvent> {
    const id = `c${this.nextId++}`;
    this.send({ ...line, id });
    const answer = await this.waitFor((event) => (event.event === 'result' || event.event === 'error') && event.id === id,
      `the answer to ${String(line.cmd)}`, timeoutMs === undefined ? {} : { timeoutMs });
    if (answer.event === 'error') throw new Error(`${String(line.cmd)} failed: ${String(answer.code)}: ${String(answer.message)}`);
    return answer;
  }

  send(line: unknown): void {
    this.child.stdin!.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.kill();
    await this.exited;
  }
}

/** The CLI processes a test started; its afterEach stops them all (by pid), also after a failure. */
export class CliProcesses {
  private readonly running: CliProcess[] = [];

  start(args: string[], env?: NodeJS.ProcessEnv): CliProcess {
    const child = new CliProcess(args, env);
    this.running.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((child) => child.stop()));
  }
}

/** Matches an event by name and exact field values. */
export const isEvent = (name: string, fields: Record<string, unknown> = {}) => (event: CliEvent): boolean =>
  event.event === name && Object.entries(fields).every(([key, value]) => event[key] === value);
