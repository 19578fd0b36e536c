/**
 * Watches the shared folders and hands guests batched change events: created, changed,
 * deleted. Editors save in bursts (write, rename, touch), and a `git checkout` touches
 * thousands of files, so events are collected for a short quiet period (debounce) and at most a
 * bounded time, then checked against the share filter and sent in bounded messages. Excluded,
 * git-ignored and outside-pointing paths are never announced.
 */
import { promises as fs, watch } from 'node:fs';
import * as nodePath from 'node:path';
import type { FileChange } from '../../protocol/file-payloads';
import type { Disposable } from '../events';
import type { Clock, Logger, TimerHandle } from '../ports';
import type { SharedFolder, SharedFolders } from './shared-folders';

/** Starts watching `folderPath` recursively; `onChange` gets paths relative to it (native separators). */
export type WatchFolder = (folderPath: string, onChange: (relativePath: string, kind: 'rename' | 'change') => void, onError: (err: unknown) => void) => Disposable;

/** `fs.watch` with `recursive` (Linux needs Node ≥ 20, macOS and Windows have it natively). */
export const watchWithNode: WatchFolder = (folderPath, onChange, onError) => {
  const watcher = watch(folderPath, { recursive: true, persistent: false }, (eventType, filename) => {
    if (filename) onChange(filename.toString(), eventType === 'change' ? 'change' : 'rename');
  });
  watcher.on('error', onError);
  return { dispose: () => watcher.close() };
};

export interface ChangeBatcherOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quiet period before a batch goes out. Default 100 ms. */
  readonly debounceMs?: number;
  /** Longest a change waits while changes keep coming. Default 1000 ms. */
  readonly maxDelayMs?: number;
  /** Replaces `fs.watch` (tests). */
  readonly watchFolder?: WatchFolder;
}

interface Pending {
  readonly folder: SharedFolder;
  readonly relative: string;
  kind: 'rename' | 'change';
}

export class ChangeBatcher implements Disposable {
  private readonly watchers: Disposable[] = [];
  private readonly pending = new Map<string, Pending>();
  private timer: TimerHandle | undefined;
  private firstPendingAt: number | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly folders: SharedFolders,
    private readonly publish: (events: FileChange[]) => void,
    private readonly options: ChangeBatcherOptions,
  ) {
    this.debounceMs = options.debounceMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    const watchFolder = options.watchFolder ?? watchWithNode;
    for (const folder of folders.folders) {
      try {
        this.watchers.push(watchFolder(folder.realPath, (path, kind) => this.record(folder, path, kind), (err) => {
          options.logger.warn('watching a shared folder failed; guests will not see its changes', { folder: folder.name, error: String(err) });
        }));
      } catch (err) {
        options.logger.warn('cannot watch a shared folder; guests will not see its changes', { folder: folder.name, error: String(err) });
      }
    }
  }

  /** Records one raw change (also usable by a poll-based watcher). */
  record(folder: SharedFolder, nativeRelative: string, kind: 'rename' | 'change'): void {
    if (this.disposed) return;
    const relative = nativeRelative.split(nodePath.sep).join('/').replace(/^\.\//, '');
    if (relative === '' || relative.startsWith('../')) return;
    const key = `${folder.name}\0${relative}`;
    const existing = this.pending.get(key);
    if (existing) {
      if (kind === 'rename') existing.kind = 'rename';
    } else {
      this.pending.set(key, { folder, relative, kind });
    }
    const now = this.options.clock.now();
    this.firstPendingAt ??= now;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstPendingAt + this.maxDelayMs - now));
    this.timer = this.options.clock.setTimeout(() => void this.flush(), wait);
  }

  /** Sends what is pending now; resolves once sent (tests await it). */
  flush(): Promise<void> {
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.firstPendingAt = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.announce(batch)).catch((err: unknown) => {
      this.options.logger.warn('could not announce file changes', { error: String(err) });
    });
    return this.flushing;
  }

  private async announce(batch: Pending[]): Promise<void> {
    // A new or changed .gitignore (or any new file) can change what is ignored.
    for (const folder of new Set(batch.map((item) => item.folder))) folder.ignores.invalidate();
    const events: FileChange[] = [];
    for (const item of batch) {
      const event = await this.classify(item);
      if (event) events.push(event);
    }
    if (events.length > 0 && !this.disposed) this.publish(events);
  }

  private async classify(item: Pending): Promise<FileChange | undefined> {
    const { folder, relative } = item;
    if (this.folders.isExcluded(relative)) return undefined;
    const segments = relative.split('/');
    const ancestors = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
    if ((await folder.ignores.ignored(ancestors)).size > 0) return undefined;
    const path = this.folders.wirePathOf(folder, relative);
    const absolute = nodePath.join(folder.realPath, ...segments);
    let stat;
    try {
      stat = await fs.lstat(absolute);
    } catch {
      return { type: 'deleted', path };
    }
    if (stat.isSymbolicLink()) {
      const real = await fs.realpath(absolute).catch(() => undefined);
      const realRelative = real === undefined ? undefined : this.folders.relativeInside(folder, real);
      if (realRelative === undefined || this.folders.isExcluded(realRelative)) return undefined;
    }
    return { type: item.kind === 'rename' ? 'created' : 'changed', path };
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.pending.clear();
    for (const watcher of this.watchers) watcher.dispose();
  }
}
