/**
 * A host and guests running the document sync engine over the memory relay, with a fake clock,
 * an in-memory document source and recording loggers. For test/unit/docs-*.test.ts.
 */
import { DocumentSync } from '../../client/docs/document-sync';
import { DocumentError, type DocumentSource, type DocumentSyncLimits } from '../../client/docs/types';
import type { Logger } from '../../client/ports';
import type { Role } from '../../protocol';
import { FakeClock } from './fake-clock';
import { MemoryRelay, type MemoryClient } from './memory-relay';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];
  debug(message: string, fields?: Record<string, unknown>): void { this.lines.push({ level: 'debug', message, fields }); }
  info(message: string, fields?: Record<string, unknown>): void { this.lines.push({ level: 'info', message, fields }); }
  warn(message: string, fields?: Record<string, unknown>): void { this.lines.push({ level: 'warn', message, fields }); }
  error(message: string, fields?: Record<string, unknown>): void { this.lines.push({ level: 'error', message, fields }); }

  at(level: LogLine['level']): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }
}

/** The host's files, in memory. */
export class MemorySource implements DocumentSource {
  readonly files = new Map<string, string>();
  readonly excluded = new Set<string>();
  readonly saves: { path: string; text: string }[] = [];
  reads = 0;

  constructor(files: Record<string, string> = {}) {
    for (const [path, text] of Object.entries(files)) this.files.set(path, text);
  }

  read(path: string): Promise<string> {
    this.reads++;
    if (this.excluded.has(path)) return Promise.reject(new DocumentError('excluded', `${path} is excluded from sharing.`));
    const text = this.files.get(path);
    if (text === undefined) return Promise.reject(new DocumentError('not-found', `${path} does not exist on the host.`));
    return Promise.resolve(text);
  }

  save(path: string, text: string): Promise<void> {
    this.saves.push({ path, text });
    this.files.set(path, text);
    return Promise.resolve();
  }
}

export interface Peer {
  readonly name: string;
  readonly id: string;
  readonly client: MemoryClient;
  readonly sync: DocumentSync;
  readonly logger: RecordingLogger;
}

export interface DocsSession {
  readonly relay: MemoryRelay;
  readonly clock: FakeClock;
  readonly source: MemorySource;
  readonly host: Peer;
  readonly guests: Peer[];
  readonly all: Peer[];
  dispose(): void;
}

export function createDocsSession(options: {
  files?: Record<string, string>;
  guests?: { name: string; role: Role }[];
  limits?: Partial<DocumentSyncLimits>;
  enforceRoles?: boolean;
  /** Seeds each participant's Yjs client ids, so a run replays exactly. */
  seed?: number;
} = {}): DocsSession {
  const relay = new MemoryRelay({ enforceRoles: options.enforceRoles ?? true });
  const clock = new FakeClock();
  const source = new MemorySource(options.files ?? {});
  let created = 0;
  const peer = (name: string, role: Role): Peer => {
    const index = created++;
    const client = relay.join(name, role);
    const logger = new RecordingLogger();
    const sync = new DocumentSync({
      client, clock, logger, limits: options.limits,
      ...(options.seed !== undefined ? { random: seededRandom(options.seed * 31 + index) } : {}),
      ...(role === 'host' ? { source } : {}),
    });
    return { name, id: client.id, client, sync, logger };
  };
  const host = peer('host', 'host');
  const guests = (options.guests ?? [{ name: 'alice', role: 'editor' }, { name: 'bob', role: 'editor' }])
    .map((guest) => peer(guest.name, guest.role));
  const all = [host, ...guests];
  return {
    relay, clock, source, host, guests, all,
    dispose: () => {
      for (const each of all) each.sync.dispose();
    },
  };
}

/** Applies edits to a plain string the way an editor applies a WorkspaceEdit (pre-change offsets). */
export function applyEditsToString(text: string, edits: readonly { offset: number; deleteCount: number; insert: string }[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.offset - a.offset)) {
    result = result.slice(0, edit.offset) + edit.insert + result.slice(edit.offset + edit.deleteCount);
  }
  return result;
}

/** mulberry32: a small seeded PRNG, for reproducible tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
