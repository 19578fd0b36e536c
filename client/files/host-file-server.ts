/**
 * The host's side of shared folders: answers guests' file requests (kinds `file` and
 * `file-write`) for one or more folders and pushes batched change events. Every path goes
 * through {@link SharedFolders} (normalised, real path inside the folder, not excluded, not
 * git-ignored when the host asked for that). Writes are accepted from the host and editors
 * only, judged by the role in our roster of the relay-stamped sender; requests from anyone not
 * in the roster are ignored.
 */
import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import { encodePayload, parsePayload, type Participant } from '../../protocol';
import {
  FILE_CHUNK_BYTES, FilePayloadSchema, FileWritePayloadSchema, MAX_CHANGES_PER_MESSAGE, MAX_PAGE_ENTRIES,
  type FileChange, type FileErrorCode, type FilePayload, type FilePayloadOf, type FileWritePayload,
  type FileWritePayloadOf, type ResultValue,
} from '../../protocol/file-payloads';
import type { Inbound } from '../api';
import type { FileSessionClient } from './remote-files';
import type { Disposable } from '../events';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports';
import { ChangeBatcher, type WatchFolder } from './change-batcher';
import { accessErrorFrom, checkWritable, createDirectoryAt, deleteAt, renameAt, writeFileAt } from './folder-changes';
import { shownEntries, walkSharedFiles, type WalkResult } from './folder-listing';
import { ReadStreams } from './read-streams';
import { ExcludeMatcher, GitIgnoreOracle, noIgnores, DEFAULT_EXCLUDE_PATTERNS } from './share-filter';
import { FileAccessError, SharedFolders, type SharedFolderOptions } from './shared-folders';

export interface HostFileServerOptions {
  /** The folders to share (each `{ path, name? }`). */
  readonly folders: readonly SharedFolderOptions[];
  /** Glob patterns never shared (picomatch, `dot: true`, case-insensitive). Default {@link DEFAULT_EXCLUDE_PATTERNS}. */
  readonly exclude?: readonly string[];
  /** Also hide git-ignored files (`git check-ignore`). Default false. */
  readonly hideGitIgnored?: boolean;
  /** Refuse every write, whatever the guest's role. Default false. */
  readonly readOnly?: boolean;
  /** Largest file served or accepted, bytes. Default 50 MiB. */
  readonly maxFileBytes?: number;
  /** Most files `list-files` and {@link HostFileServer.sharedFiles} report. Default 100,000. */
  readonly maxListedFiles?: number;
  /** A read stream or a chunked write that hears nothing from its guest this long is dropped. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Change batching: quiet period, default 100 ms. */
  readonly changeDebounceMs?: number;
  /** Whether to watch the folders at all. Default true. */
  readonly watch?: boolean;
  readonly watchFolder?: WatchFolder;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface PendingWrite {
  readonly path: string;
  readonly create: boolean;
  readonly overwrite: boolean;
  readonly chunks: Buffer[];
  size: number;
  nextIndex: number;
  expiry: ReturnType<Clock['setTimeout']>;
}

const SNAPSHOT_LIFETIME_MS = 60_000;
const MAX_SNAPSHOTS = 8;
const SNAPSHOT_REUSE_MS = 5_000;
const MAX_PENDING_WRITES_PER_SENDER = 4;

export class HostFileServer implements Disposable {
  private readonly subscriptions: Disposable[] = [];
  private readonly batcher: ChangeBatcher | undefined;
  private readonly streams: ReadStreams;
  private readonly writes = new Map<string, PendingWrite>();
  private readonly snapshots = new Map<string, { result: WalkResult; createdAt: number }>();
  private snapshotCounter = 0;
  private walking: Promise<WalkResult> | undefined;
  private changedSinceSnapshot = false;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxFileBytes: number;
  private readonly maxListedFiles: number;
  private readonly idleTimeoutMs: number;

  /** Opens the folders (real paths, names) and starts answering and watching. */
  static async create(client: FileSessionClient, options: HostFileServerOptions): Promise<HostFileServer> {
    const logger = options.logger ?? silentLogger;
    const excludes = new ExcludeMatcher(options.exclude ?? DEFAULT_EXCLUDE_PATTERNS);
    const folders = await SharedFolders.open(options.folders, excludes,
      (realPath) => (options.hideGitIgnored ? new GitIgnoreOracle(realPath, logger) : noIgnores));
    return new HostFileServer(client, folders, options);
  }

  private constructor(private readonly client: FileSessionClient, readonly folders: SharedFolders, private readonly options: HostFileServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.maxFileBytes = options.maxFileBytes ?? 50 * 1024 * 1024;
    this.maxListedFiles = options.maxListedFiles ?? 100_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.streams = new ReadStreams(client, this.clock, this.idleTimeoutMs, this.logger);
    this.subscriptions.push(client.onDidReceive((inbound) => this.receive(inbound)));
    this.subscriptions.push(client.onDidChangeRoster((change) => {
      if (change.change === 'left') this.forget(change.participant.id);
    }));
    if (options.watch !== false) {
      this.batcher = new ChangeBatcher(this.folders, (events) => this.announce(events), {
        clock: this.clock, logger: this.logger, debounceMs: options.changeDebounceMs, watchFolder: options.watchFolder,
      });
    }
  }

  /** Every file guests can see, as wire paths (for "Pairline: Show Shared Files"). */
  sharedFiles(): Promise<WalkResult> {
    return walkSharedFiles(this.folders, this.maxListedFiles);
  }

  /** Names of the shared folders, and whether wire paths start with them. */
  get roots(): { names: string[]; prefixed: boolean } {
    return { names: this.folders.folders.map((folder) => folder.name), prefixed: this.folders.prefixed };
  }

  /** Sends any change events still being batched (tests, and before leaving). */
  flushChanges(): Promise<void> {
    return this.batcher?.flush() ?? Promise.resolve();
  }

  /** The change batcher, so a poll-based watcher or a test can feed it. */
  get changes(): ChangeBatcher | undefined {
    return this.batcher;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.batcher?.dispose();
    this.streams.dispose();
    for (const write of this.writes.values()) this.clock.clearTimeout(write.expiry);
    this.writes.clear();
  }

  private announce(events: FileChange[]): void {
    this.changedSinceSnapshot = true;
    for (let start = 0; start < events.length; start += MAX_CHANGES_PER_MESSAGE) {
      this.client.send('file', encodePayload({ type: 'changes', events: events.slice(start, start + MAX_CHANGES_PER_MESSAGE) }));
    }
  }

  private forget(participant: string): void {
    this.streams.cancelAllOf(participant);
    for (const [key, write] of this.writes) {
      if (key.startsWith(`${participant}\0`)) {
        this.clock.clearTimeout(write.expiry);
        this.writes.delete(key);
      }
    }
  }

  private receive(inbound: Inbound): void {
    if (inbound.kind !== 'file' && inbound.kind !== 'file-write') return;
    // The roster is the authority on who is in the session and with which role.
    const sender = this.client.roster.find((participant) => participant.id === inbound.from.id);
    if (!sender || sender.id === this.client.me?.id) return;
    if (inbound.kind === 'file') {
      const parsed = parseRequest(FilePayloadSchema, inbound.payload);
      if (!parsed.ok) return this.refuseMalformed(sender, parsed);
      this.handleRead(sender, parsed.payload).catch((err: unknown) => this.logger.error('file request failed', { error: String(err) }));
    } else {
      const parsed = parseRequest(FileWritePayloadSchema, inbound.payload);
      if (!parsed.ok) return this.refuseMalformed(sender, parsed);
      this.handleWrite(sender, parsed.payload).catch((err: unknown) => this.logger.error('file change failed', { error: String(err) }));
    }
  }

  private refuseMalformed(sender: Participant, parsed: { id: string | undefined; type: unknown; pathIssue: boolean; error: string }): void {
    // `file-write` also carries other components' messages (the document sync's `save`).
    if (!OUR_REQUEST_TYPES.has(String(parsed.type))) return;
    if (parsed.id === undefined) {
      this.logger.warn('ignored a malformed file request', { from: sender.id, error: parsed.error });
      return;
    }
    if (parsed.pathIssue) this.sendError(sender.id, parsed.id, new FileAccessError('outside-workspace', 'The path is outside the shared folder; the host does not serve it.'));
    else this.sendError(sender.id, parsed.id, new FileAccessError('bad-request', 'The request was malformed.'));
  }

  private async handleRead(sender: Participant, request: FilePayload): Promise<void> {
    switch (request.type) {
      case 'read-ack': return this.streams.acknowledge(sender.id, request.id, request.index);
      case 'cancel': {
        this.streams.cancel(sender.id, request.id);
        this.dropWrite(`${sender.id}\0${request.id}`);
        return;
      }
      case 'result': case 'chunk': case 'file-error': case 'changes':
        return; // Answers are for guests; a guest sending them to us is ignored.
      default: break;
    }
    try {
      switch (request.type) {
        case 'roots': return this.answer(sender.id, request.id, { op: 'roots', roots: this.roots.names.map((name) => ({ name })), prefixed: this.roots.prefixed });
        case 'stat': return this.answer(sender.id, request.id, { op: 'stat', stat: await this.stat(sender, request.path) });
        case 'readdir': return this.answer(sender.id, request.id, await this.readDirectory(request));
        case 'list-files': return this.answer(sender.id, request.id, this.listFiles(await this.snapshot(request.cursor), request));
        case 'read': return await this.startRead(sender, request);
      }
    } catch (err) {
      this.sendError(sender.id, request.id, accessErrorFrom(err, 'The file'));
    }
  }

  private async stat(sender: Participant, path: string) {
    const located = this.folders.locate(path);
    const readonly = this.options.readOnly === true || sender.role === 'viewer' ? true : undefined;
    if (!located.folder) return { type: 'directory' as const, size: 0, mtime: 0, ctime: 0, readonly };
    const resolved = await this.folders.resolve(located);
    if (resolved.realPath === undefined) throw new FileAccessError('not-found', 'The file does not exist on the host.');
    const stat = await fs.stat(resolved.realPath);
    if (!stat.isFile() && !stat.isDirectory()) throw new FileAccessError('not-found', 'The path is not a regular file or folder.');
    return { type: stat.isDirectory() ? 'directory' as const : 'file' as const, size: stat.isDirectory() ? 0 : stat.size, mtime: stat.mtimeMs, ctime: stat.ctimeMs, readonly };
  }

  private async readDirectory(request: FilePayloadOf<'readdir'>): Promise<ResultValue> {
    const located = this.folders.locate(request.path);
    const limit = Math.min(request.limit ?? MAX_PAGE_ENTRIES, MAX_PAGE_ENTRIES);
    let entries: Array<{ name: string; type: 'file' | 'directory' }>;
    if (!located.folder) {
      entries = this.folders.folders.map((folder) => ({ name: folder.name, type: 'directory' as const }));
    } else {
      const resolved = await this.folders.resolve(located);
      if (resolved.realPath === undefined) throw new FileAccessError('not-found', 'The folder does not exist on the host.');
      if (!(await fs.stat(resolved.realPath)).isDirectory()) throw new FileAccessError('not-directory', 'The path is a file, not a folder.');
      entries = (await shownEntries(this.folders, resolved.folder, resolved.realPath, resolved.relative)).map(({ name, type }) => ({ name, type }));
    }
    // The cursor is the last name sent: pages stay consistent while entries come and go.
    const after = request.cursor;
    const remaining = after === undefined ? entries : entries.filter((entry) => entry.name > after);
    const page = remaining.slice(0, limit);
    const last = page.at(-1);
    return { op: 'readdir', entries: page, cursor: remaining.length > limit && last ? last.name : undefined };
  }

  /** The whole listing is taken once and paged from memory, so pages agree with each other. */
  private async snapshot(cursor: string | undefined): Promise<{ token: string; offset: number; result: WalkResult }> {
    const now = this.clock.now();
    for (const [token, snapshot] of this.snapshots) {
      if (now - snapshot.createdAt > SNAPSHOT_LIFETIME_MS) this.snapshots.delete(token);
    }
    if (cursor !== undefined) {
      const [token = '', offsetText = ''] = cursor.split(':');
      const snapshot = this.snapshots.get(token);
      const offset = Number(offsetText);
      if (!snapshot || !Number.isInteger(offset) || offset < 0) throw new FileAccessError('bad-request', 'The file list changed or expired; start again.');
      return { token, offset, result: snapshot.result };
    }
    // Guests asking at about the same time share one walk of the tree, so repeated requests
    // cannot make the host walk a large tree over and over; a change starts a fresh one.
    const latest = [...this.snapshots.entries()].at(-1);
    if (latest && !this.changedSinceSnapshot && now - latest[1].createdAt <= SNAPSHOT_REUSE_MS) {
      return { token: latest[0], offset: 0, result: latest[1].result };
    }
    this.walking ??= this.sharedFiles().finally(() => {
      this.walking = undefined;
    });
    this.changedSinceSnapshot = false;
    const result = await this.walking;
    const token = `s${++this.snapshotCounter}`;
    this.snapshots.set(token, { result, createdAt: now });
    while (this.snapshots.size > MAX_SNAPSHOTS) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest === undefined) break;
      this.snapshots.delete(oldest);
    }
    return { token, offset: 0, result };
  }

  private listFiles(snapshot: { token: string; offset: number; result: WalkResult }, request: FilePayloadOf<'list-files'>): ResultValue {
    const limit = Math.min(request.limit ?? MAX_PAGE_ENTRIES, MAX_PAGE_ENTRIES);
    const files = snapshot.result.files.slice(snapshot.offset, snapshot.offset + limit);
    const next = snapshot.offset + files.length;
    return { op: 'list-files', files, truncated: snapshot.result.truncated, cursor: next < snapshot.result.files.length ? `${snapshot.token}:${next}` : undefined };
  }

  private async startRead(sender: Participant, request: FilePayloadOf<'read'>): Promise<void> {
    const located = this.folders.locate(request.path);
    if (!located.folder) throw new FileAccessError('is-directory', 'The path is a folder, not a file.');
    const resolved = await this.folders.resolve(located);
    if (resolved.realPath === undefined) throw new FileAccessError('not-found', 'The file does not exist on the host.');
    const stat = await fs.stat(resolved.realPath);
    if (stat.isDirectory()) throw new FileAccessError('is-directory', 'The path is a folder, not a file.');
    if (!stat.isFile()) throw new FileAccessError('not-found', 'The path is not a regular file.');
    if (stat.size > this.maxFileBytes) throw tooLarge(this.maxFileBytes);
    const chunks = Math.max(1, Math.ceil(stat.size / FILE_CHUNK_BYTES));
    const started = await this.streams.start(sender.id, request.id, resolved.realPath, stat.size);
    if (!started) throw new FileAccessError('io', 'Too many files are being read at once; try again shortly.');
    this.answer(sender.id, request.id, { op: 'read', size: stat.size, chunks });
    this.streams.pump(sender.id, request.id);
  }

  private async handleWrite(sender: Participant, request: FileWritePayload): Promise<void> {
    try {
      if (this.options.readOnly) throw new FileAccessError('forbidden', 'The host shares its folders read-only.');
      if (sender.role !== 'host' && sender.role !== 'editor') throw new FileAccessError('forbidden', 'Viewers cannot change the host\'s files; ask the host to make you an editor.');
      switch (request.type) {
        case 'write': return await this.receiveWriteChunk(sender, request);
        case 'create-directory': await createDirectoryAt(await this.folders.resolve(this.locateForChange(request.path))); break;
        case 'delete': await deleteAt(this.folders, await this.folders.resolve(this.locateForChange(request.path)), request.recursive); break;
        case 'rename': {
          const from = await this.folders.resolve(this.locateForChange(request.from));
          const to = await this.folders.resolve(this.locateForChange(request.to));
          await renameAt(this.folders, from, to, request.overwrite);
          break;
        }
      }
      this.answer(sender.id, request.id, { op: 'done' });
    } catch (err) {
      if (request.type === 'write') this.dropWrite(`${sender.id}\0${request.id}`);
      this.sendError(sender.id, request.id, accessErrorFrom(err, 'The file'));
    }
  }

  private locateForChange(path: string) {
    const located = this.folders.locate(path);
    if (!located.folder) throw new FileAccessError('forbidden', 'The list of shared folders cannot be changed by a guest.');
    return located;
  }

  private async receiveWriteChunk(sender: Participant, request: FileWritePayloadOf<'write'>): Promise<void> {
    const key = `${sender.id}\0${request.id}`;
    const data = Buffer.from(request.data, 'base64');
    let pending = this.writes.get(key);
    if (request.index === 0) {
      if (pending) throw new FileAccessError('bad-request', 'This write was already started.');
      // Check early so a refused write does not make the guest upload the whole file first.
      await checkWritable(await this.folders.resolve(this.locateForChange(request.path)), request.create, request.overwrite);
      const ownWrites = [...this.writes.keys()].filter((other) => other.startsWith(`${sender.id}\0`)).length;
      if (ownWrites >= MAX_PENDING_WRITES_PER_SENDER) throw new FileAccessError('io', 'Too many files are being written at once; try again shortly.');
      pending = { path: request.path, create: request.create, overwrite: request.overwrite, chunks: [], size: 0, nextIndex: 0, expiry: this.clock.setTimeout(() => this.dropWrite(key), this.idleTimeoutMs) };
      this.writes.set(key, pending);
    }
    if (!pending || request.index !== pending.nextIndex || request.path !== pending.path) {
      throw new FileAccessError('bad-request', 'A part of the file went missing; write it again.');
    }
    pending.size += data.length;
    if (pending.size > this.maxFileBytes) throw tooLarge(this.maxFileBytes);
    pending.chunks.push(data);
    pending.nextIndex++;
    this.clock.clearTimeout(pending.expiry);
    pending.expiry = this.clock.setTimeout(() => this.dropWrite(key), this.idleTimeoutMs);
    if (!request.last) {
      this.answer(sender.id, request.id, { op: 'write-ack', index: request.index });
      return;
    }
    this.dropWrite(key);
    // Resolved again: the folder may have changed while the chunks arrived.
    const target = await this.folders.resolve(this.locateForChange(pending.path));
    await writeFileAt(target, Buffer.concat(pending.chunks), pending.create, pending.overwrite);
    this.answer(sender.id, request.id, { op: 'done' });
  }

  private dropWrite(key: string): void {
    const pending = this.writes.get(key);
    if (!pending) return;
    this.clock.clearTimeout(pending.expiry);
    this.writes.delete(key);
  }

  private answer(to: string, id: string, result: ResultValue): void {
    this.client.send('file', encodePayload({ type: 'result', id, result }), to);
  }

  private sendError(to: string, id: string, error: FileAccessError): void {
    const code: FileErrorCode = error.code;
    this.client.send('file', encodePayload({ type: 'file-error', id, code, message: error.message, limit: error.limit }), to);
  }
}

function tooLarge(limit: number): FileAccessError {
  return new FileAccessError('too-large', `The file is larger than the ${formatBytes(limit)} limit the host set.`, limit);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

type RequestParse<T> = { ok: true; payload: T } | { ok: false; id: string | undefined; type: unknown; pathIssue: boolean; error: string };

const OUR_REQUEST_TYPES: ReadonlySet<string> = new Set([
  'roots', 'stat', 'readdir', 'read', 'read-ack', 'list-files', 'cancel', 'write', 'create-directory', 'delete', 'rename',
]);

/** Protocol `parsePayload`, plus the request id and whether a path was refused, to answer with them. */
function parseRequest<T>(schema: z.ZodType<T>, bytes: Uint8Array): RequestParse<T> {
  const parsed = parsePayload(schema, bytes);
  if (parsed.ok) return parsed;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, id: undefined, type: undefined, pathIssue: false, error: parsed.error };
  }
  const raw = (typeof data === 'object' && data !== null ? data : {}) as { id?: unknown; type?: unknown };
  const id = typeof raw.id === 'string' && raw.id.length > 0 && raw.id.length <= 64 ? raw.id : undefined;
  // WorkspacePathSchema reports a refused path as a custom issue on the path field.
  const issues = schema.safeParse(data).error?.issues ?? [];
  const pathIssue = issues.some((issue) => issue.code === 'custom' && issue.path.length === 1 && ['path', 'from', 'to'].includes(String(issue.path[0])));
  return { ok: false, id, type: raw.type, pathIssue, error: parsed.error };
}
