/**
 * The `pairline` CLI (dist/cli.js) as a child process for relay trust tests: JSON commands on
 * stdin, JSON events on stdout, awaited with bounded timeouts. Stopped by the test (by pid).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

export type CliEvent = Record<string, unknown> & { event: string };

export class CliParticipant {
  readonly events: CliEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private stderr = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PAIRLINE_')));
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...inherited, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let pending = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          this.events.push(JSON.parse(line) as CliEvent);
        } catch {
          continue;
        }
        for (const wake of [...this.waiters]) wake();
      }
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-3000);
    });
  }

  waitFor(predicate: (event: CliEvent) => boolean, what: string, timeoutMs = 10_000): Promise<CliEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.find(predicate);
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  send(command: unknown): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
