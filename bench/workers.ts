/** The orchestrator's handle on the load worker processes: fork, request/response over IPC, stop. */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ProcessRegistry } from './processes';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';

type Command = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (response: WorkerResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (response.ok) waiter.resolve(response.result);
      else waiter.reject(new Error(`worker ${child.pid}: ${response.error}`));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`worker ${child.pid} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }


  request<T>(command: Command, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.child.pid}: "${command.cmd}" took more than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => { clearTimeout(timer); resolve(value as T); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      });
      this.child.send({ ...command, id });
    });
  }
}

/** Forks `count` load workers (TypeScript through tsx, like the orchestrator) and waits until they run. */
export async function startWorkers(registry: ProcessRegistry, count: number): Promise<WorkerHandle[]> {
  const entry = path.join(__dirname, 'load-worker.ts');
  const workers = Array.from({ length: count }, () => {
    const child = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    registry.add(child);
    return new WorkerHandle(child);
  });
  // A no-op round trip proves each worker loaded its modules and listens.
  await Promise.all(workers.map((worker) => worker.request({ cmd: 'storm-stop' }, 60_000)));
  return workers;
}

export async function stopWorkers(workers: readonly WorkerHandle[]): Promise<void> {
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
    worker.child.once('exit', () => resolve());
    worker.child.disconnect();
    setTimeout(() => worker.child.kill('SIGKILL'), 5000).unref();
  })));
}
