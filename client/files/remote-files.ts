/**
 * A guest's view of the host's shared folders, over the session's relayed `file` and
 * `file-write` messages. Used by the VS Code file system provider and the CLI.
 *
 * Requests go to the participant whose role is `host`. While the host is away (our connection
 * is down, or the host is reconnecting) new requests wait for it, up to a bound, and
 * {@link RemoteFiles.state} says so; reads already in flight start over once the host is back,
 * changes in flight fail (they may or may not have happened). Every exchange also fails when
 * the host stays silent for too long.
 */
import { encodePayload, parsePayload, type Participant } from '../../protocol';
import {
  FILE_CHUNK_BYTES, FilePayloadSchema, type DirectoryEntry, type FileChange, type FilePayloadOf,
  type FileStat, type ResultValue,
} from '../../protocol/file-payloads';
import type { Inbound, SessionClientApi } from '../api';

/** The part of a session client shared files use (a `SessionClientApi` fits). */
export type FileSessionClient = Pick<SessionClientApi, 'state' | 'me' | 'role' | 'roster' | 'send' | 'onDidReceive' | 'onDidChangeRoster' | 'onDidChangeState' | 'onDidJoin'>;
import { Emitter, type Disposable, type Event } from '../events';
import { systemClock, type Clock, type TimerHandle } from '../ports';
import { guestSideMessages, RemoteFileError } from './remote-file-error';

export type RemoteFilesState = 'ready' | 'waiting-for-host';

export interface RemoteFilesOptions {
  readonly clock?: Clock;
  /** An exchange fails when the host sends nothing for this long. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** How long a request waits for an absent host before failing. Default 60 s. */
  readonly hostWaitMs?: number;
}

export interface SharedRoots {
  readonly roots: ReadonlyArray<{ readonly name: string }>;
  /** True when paths start with the root name (several folders shared). */
  readonly prefixed: boolean;
}

const MAX_ATTEMPTS = 5;

type Answer = FilePayloadOf<'result'> | FilePayloadOf<'chunk'> | FilePayloadOf<'file-error'>;

/** What one exchange (request and its answers) does; restarted from `begin` on retry. */
interface ExchangeSteps<T> {
  /** Reads may start over after the host comes back; changes may not. */
  readonly retryable: boolean;
  begin(control: ExchangeControl<T>): void;
  onAnswer(answer: Answer, control: ExchangeControl<T>): void;
}

interface ExchangeControl<T> {
  readonly id: string;
  send(kind: 'file' | 'file-write', payload: Record<string, unknown>): void;
  resolve(value: T): void;
  reject(error: RemoteFileError): void;
}

interface Active {
  readonly id: string;
  readonly host: string;
  timer: TimerHandle;
  answer(answer: Answer): void;
  /** The host went away: retry or fail. */
  interrupt(): void;
  fail(error: RemoteFileError): void;
}

export class RemoteFiles implements Disposable {
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly hostWaitMs: number;
  private readonly active = new Map<string, Active>();
  private readonly waiters = new Set<{ resolve: (host: Participant) => void; reject: (error: RemoteFileError) => void; timer: TimerHandle }>();
  private readonly subscriptions: Disposable[] = [];
  private readonly stateEmitter = new Emitter<{ state: RemoteFilesState }>();
  private readonly changesEmitter = new Emitter<readonly FileChange[]>();
  private counter = 0;
  private currentState: RemoteFilesState;
  private disposed = false;

  /** Fires when requests start or stop waiting for the host. */
  readonly onDidChangeState: Event<{ state: RemoteFilesState }> = this.stateEmitter.event;
  /** The host's batched file changes (created, changed, deleted). */
  readonly onDidChangeFiles: Event<readonly FileChange[]> = this.changesEmitter.event;

  constructor(private readonly client: FileSessionClient, options: RemoteFilesOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.hostWaitMs = options.hostWaitMs ?? 60_000;
    this.currentState = this.availableHost() ? 'ready' : 'waiting-for-host';
    this.subscriptions.push(
      client.onDidReceive((inbound) => this.receive(inbound)),
      client.onDidChangeState(() => this.reviewHost()),
      client.onDidChangeRoster(() => this.reviewHost()),
      client.onDidJoin(() => this.reviewHost()),
    );
  }

  /** `ready`, or `waiting-for-host` while the host (or our connection) is away. */
  get state(): RemoteFilesState {
    return this.currentState;
  }

  roots(): Promise<SharedRoots> {
    return this.call({ type: 'roots' }, 'roots').then((result) => ({ roots: result.roots, prefixed: result.prefixed }));
  }

  stat(path: string): Promise<FileStat> {
    return this.call({ type: 'stat', path }, 'stat').then((result) => result.stat);
  }

  /** Every entry of a folder (follows the host's pages). */
  async readDirectory(path: string): Promise<DirectoryEntry[]> {
    const entries: DirectoryEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call({ type: 'readdir', path, cursor }, 'readdir');
      entries.push(...page.entries);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return entries;
  }

  /** Every shared file, as paths (for "Go to File…"); `truncated` when the host stopped at its limit. */
  async listFiles(): Promise<{ files: string[]; truncated: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const files: string[] = [];
      let cursor: string | undefined;
      try {
        for (;;) {
          const page = await this.call({ type: 'list-files', cursor }, 'list-files');
          files.push(...page.files);
          cursor = page.cursor;
          if (cursor === undefined) return { files, truncated: page.truncated };
        }
      } catch (err) {
        // The host's snapshot expired (or the host restarted) between pages: start over once.
        if (attempt > 0 || !(err instanceof RemoteFileError) || err.code !== 'bad-request' || files.length === 0) throw err;
      }
    }
  }

  /** The file's bytes, reassembled from the host's chunks; `onProgress` after each chunk. */
  readFile(path: string, onProgress?: (received: number, total: number) => void): Promise<Uint8Array> {
    let parts: Buffer[] = [];
    let received = 0;
    let total = 0;
    return this.exchange<Uint8Array>({
      retryable: true,
      begin: (control) => {
        parts = [];
        received = 0;
        control.send('file', { type: 'read', path });
      },
      onAnswer: (answer, control) => {
        if (answer.type === 'result') {
          if (answer.result.op === 'read') total = answer.result.size;
          return;
        }
        if (answer.type !== 'chunk') return;
        if (answer.index !== parts.length) {
          control.reject(new RemoteFileError('io', 'A part of the file went missing on the way; try again.'));
          return;
        }
        const bytes = Buffer.from(answer.data, 'base64');
        parts.push(bytes);
        received += bytes.length;
        onProgress?.(received, Math.max(total, received));
        if (answer.last) control.resolve(new Uint8Array(Buffer.concat(parts)));
        else control.send('file', { type: 'read-ack', index: answer.index });
      },
    });
  }

  /** Writes (creates or replaces) a file, in chunks the host acknowledges one by one. */
  writeFile(path: string, data: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const chunks = Math.max(1, Math.ceil(bytes.length / FILE_CHUNK_BYTES));
    const sendChunk = (control: ExchangeControl<void>, index: number) => control.send('file-write', {
      type: 'write', path, index, last: index === chunks - 1, create: options.create, overwrite: options.overwrite,
      data: bytes.subarray(index * FILE_CHUNK_BYTES, (index + 1) * FILE_CHUNK_BYTES).toString('base64'),
    });
    return this.exchange<void>({
      retryable: false,
      begin: (control) => sendChunk(control, 0),
      onAnswer: (answer, control) => {
        if (answer.type !== 'result') return;
        if (answer.result.op === 'write-ack' && answer.result.index + 1 < chunks) sendChunk(control, answer.result.index + 1);
        else if (answer.result.op === 'done') control.resolve();
      },
    });
  }

  createDirectory(path: string): Promise<void> {
    return this.change({ type: 'create-directory', path });
  }

  delete(path: string, options: { recursive: boolean }): Promise<void> {
    return this.change({ type: 'delete', path, recursive: options.recursive });
  }

  rename(from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    return this.change({ type: 'rename', from, to, overwrite: options.overwrite });
  }

  dispose(): void {
    this.disposed = true;
    for (const subscription of this.subscriptions) subscription.dispose();
    for (const active of [...this.active.values()]) active.fail(new RemoteFileError('host-offline', guestSideMessages.disposed));
    for (const waiter of [...this.waiters]) {
      this.clock.clearTimeout(waiter.timer);
      waiter.reject(new RemoteFileError('host-offline', guestSideMessages.disposed));
    }
    this.waiters.clear();
    this.stateEmitter.dispose();
    this.changesEmitter.dispose();
  }

  private change(payload: Record<string, unknown>): Promise<void> {
    return this.exchange<void>({
      retryable: false,
      begin: (control) => control.send('file-write', payload),
      onAnswer: (answer, control) => {
        if (answer.type === 'result' && answer.result.op === 'done') control.resolve();
      },
    });
  }

  /** One request answered by one `result` of operation `op`. */
  private call<Op extends ResultValue['op']>(payload: Record<string, unknown>, op: Op): Promise<Extract<ResultValue, { op: Op }>> {
    return this.exchange({
      retryable: true,
      begin: (control) => control.send('file', payload),
      onAnswer: (answer, control) => {
        if (answer.type !== 'result') return;
        if (answer.result.op === op) control.resolve(answer.result as Extract<ResultValue, { op: Op }>);
        else control.reject(new RemoteFileError('io', guestSideMessages.malformed));
      },
    });
  }

  private exchange<T>(steps: ExchangeSteps<T>): Promise<T> {
    // The relay drops a viewer's writes with an error that names no request; fail at once instead
    // of waiting for an answer that will never come.
    if (!steps.retryable && this.client.role === 'viewer') {
      return Promise.reject(new RemoteFileError('forbidden', guestSideMessages.viewer));
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let attempts = 0;
      const settle = (action: () => void) => {
        if (settled) return;
        settled = true;
        action();
      };
      const attempt = (): void => {
        // A connection that flaps must not make a read start over forever.
        if (++attempts > MAX_ATTEMPTS) {
          settle(() => reject(new RemoteFileError('host-offline', guestSideMessages.hostOffline)));
          return;
        }
        this.waitForHost().then((host) => {
          if (settled) return;
          // The host may have gone again between the wait ending and now.
          if (this.availableHost()?.id !== host.id) {
            attempts--;
            attempt();
            return;
          }
          const id = `r${++this.counter}`;
          const finish = () => {
            const current = this.active.get(id);
            if (current) this.clock.clearTimeout(current.timer);
            this.active.delete(id);
          };
          const control: ExchangeControl<T> = {
            id,
            send: (kind, payload) => {
              if (!this.client.send(kind, encodePayload({ ...payload, id }), host.id)) active.interrupt();
            },
            resolve: (value) => settle(() => { finish(); resolve(value); }),
            reject: (error) => settle(() => { finish(); reject(error); }),
          };
          const active: Active = {
            id,
            host: host.id,
            timer: this.clock.setTimeout(() => onTimeout(), this.requestTimeoutMs),
            answer: (answer) => {
              this.clock.clearTimeout(active.timer);
              active.timer = this.clock.setTimeout(() => onTimeout(), this.requestTimeoutMs);
              if (answer.type === 'file-error') control.reject(new RemoteFileError(answer.code, answer.message, answer.limit));
              else steps.onAnswer(answer, control);
            },
            interrupt: () => {
              if (!this.active.has(id)) return;
              finish();
              if (steps.retryable) attempt();
              else control.reject(new RemoteFileError('host-offline', guestSideMessages.hostLeftDuringChange));
            },
            fail: (error) => control.reject(error),
          };
          const onTimeout = () => {
            this.client.send('file', encodePayload({ type: 'cancel', id }), host.id);
            control.reject(new RemoteFileError('timeout', guestSideMessages.timeout));
          };
          this.active.set(id, active);
          steps.begin(control);
        }, (error: RemoteFileError) => settle(() => reject(error)));
      };
      attempt();
    });
  }

  private availableHost(): Participant | undefined {
    if (this.client.state !== 'connected') return undefined;
    const host = this.client.roster.find((participant) => participant.role === 'host' && participant.id !== this.client.me?.id);
    return host && host.state === 'online' ? host : undefined;
  }

  private waitForHost(): Promise<Participant> {
    if (this.disposed) return Promise.reject(new RemoteFileError('host-offline', guestSideMessages.disposed));
    const host = this.availableHost();
    if (host) return Promise.resolve(host);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new RemoteFileError('host-offline', guestSideMessages.hostOffline));
        }, this.hostWaitMs),
      };
      this.waiters.add(waiter);
      this.setState('waiting-for-host');
    });
  }

  /** Our connection or the roster changed: release waiters, or interrupt exchanges with a gone host. */
  private reviewHost(): void {
    const host = this.availableHost();
    for (const active of [...this.active.values()]) {
      if (!host || host.id !== active.host) active.interrupt();
    }
    if (!host) {
      this.setState('waiting-for-host');
      return;
    }
    this.setState('ready');
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve(host);
    }
  }

  private setState(state: RemoteFilesState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.stateEmitter.fire({ state });
  }

  private receive(inbound: Inbound): void {
    if (inbound.kind !== 'file') return;
    const sender = this.client.roster.find((participant) => participant.id === inbound.from.id);
    if (!sender || sender.role !== 'host') return;
    const parsed = parsePayload(FilePayloadSchema, inbound.payload);
    if (!parsed.ok) return;
    const message = parsed.payload;
    switch (message.type) {
      case 'changes':
        this.changesEmitter.fire(message.events);
        return;
      case 'result': case 'chunk': case 'file-error': {
        const active = this.active.get(message.id);
        if (active && active.host === sender.id) active.answer(message);
        return;
      }
      default:
        return; // Requests are for the host.
    }
  }
}
