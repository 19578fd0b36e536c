/**
 * {@link DocumentStateStore} in a folder: one directory per session, one file per document (named
 * by a hash of its path, so any path is a safe file name), each a series of length-prefixed
 * records: a header (JSON: path, epoch, source text) and Yjs updates. Appends are single
 * `write`s to a file kept open (call {@link FileDocumentStateStore.close} when done); compactions
 * write a temporary file, flush it to the disk and rename it over the old one, so a killed process
 * or a power cut leaves either the old or the new file, and at worst a torn last record, which is
 * ignored. Appends are not flushed one by one: what they guard against is a crashed or reloaded
 * window, whose writes the OS still holds; a power cut may cost the last records, whose edits the
 * guests' copies still have. Files are owner-only: they hold document text.
 *
 * Bounded: the first use of a session deletes every other session's directory (one host runs one
 * session per folder: the CLI's state file, a VS Code workspace), and a session keeps at most
 * `maxDocuments` documents, dropping the least recently written.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as nodePath from 'node:path';
import { SessionIdSchema } from '../../protocol';
import type { DocumentStateStore, PersistedDocument, PersistedRecord } from './persistence';

const HEADER = 1;
const UPDATE = 2;
const EXTENSION = '.ydoc';

export interface FileDocumentStateStoreOptions {
  /** Most documents kept per session. Default 200. */
  readonly maxDocuments?: number;
}

interface Header {
  readonly version: 1;
  readonly path: string;
  readonly epoch: string;
  readonly sourceText: string;
}

export class FileDocumentStateStore implements DocumentStateStore {
  private readonly maxDocuments: number;
  private prunedFor: string | undefined;
  /** Open append handles by file: an append per keystroke costs one write, not open + write + close. */
  private readonly handles = new Map<string, number>();

  constructor(private readonly directory: string, options: FileDocumentStateStoreOptions = {}) {
    this.maxDocuments = options.maxDocuments ?? 200;
  }

  load(session: string, path: string): PersistedDocument | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.fileOf(session, path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const records = readRecords(bytes);
    const first = records[0];
    if (first?.type !== HEADER) return undefined;
    const header = parseHeader(first.payload);
    // A hash collision or a foreign file: not this document's state.
    if (!header || header.path !== path) return undefined;
    const updates = records.slice(1).filter((record) => record.type === UPDATE).map((record) => new Uint8Array(record.payload));
    return { epoch: header.epoch, sourceText: header.sourceText, updates };
  }

  write(session: string, path: string, record: PersistedRecord): void {
    const folder = this.sessionFolder(session);
    const file = this.fileOf(session, path);
    const header: Header = { version: 1, path, epoch: record.epoch, sourceText: record.sourceText };
    const isNew = !exists(file);
    // The handle would write on into the replaced file.
    this.closeHandles((candidate) => candidate === file);
    const temporary = `${file}.${process.pid}.tmp`;
    const handle = openSync(temporary, 'w', 0o600);
    try {
      writeFileSync(handle, Buffer.concat([
        encodeRecord(HEADER, Buffer.from(JSON.stringify(header), 'utf8')), encodeRecord(UPDATE, record.state),
      ]));
      // Renamed over the old file before its bytes reach the disk, a power cut could leave neither.
      fsyncSync(handle);
    } finally {
      closeSync(handle);
    }
    renameSync(temporary, file);
    if (isNew) this.limitDocuments(folder, file);
  }

  append(session: string, path: string, update: Uint8Array): void {
    const file = this.fileOf(session, path);
    let handle = this.handles.get(file);
    if (handle === undefined) {
      handle = openSync(file, 'a', 0o600);
      this.handles.set(file, handle);
    }
    const record = encodeRecord(UPDATE, update);
    try {
      for (let written = 0; written < record.length;) written += writeSync(handle, record, written);
    } catch (err) {
      this.closeHandles((candidate) => candidate === file);
      throw err;
    }
  }

  removeSession(session: string): void {
    if (!SessionIdSchema.safeParse(session).success) return;
    const folder = nodePath.join(this.directory, session);
    this.closeHandles((file) => file.startsWith(folder + nodePath.sep));
    rmSync(folder, { recursive: true, force: true });
  }

  /** Closes the open files (the store stays usable: they reopen on the next append). */
  close(): void {
    this.closeHandles(() => true);
  }

  private closeHandles(which: (file: string) => boolean): void {
    for (const [file, handle] of [...this.handles]) {
      if (!which(file)) continue;
      this.handles.delete(file);
      try {
        closeSync(handle);
      } catch {
        // Already closed: nothing to release.
      }
    }
  }

  private sessionFolder(session: string): string {
    if (!SessionIdSchema.safeParse(session).success) throw new Error('not a session id');
    const folder = nodePath.join(this.directory, session);
    if (this.prunedFor !== session) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      for (const entry of readdirSync(this.directory)) {
        if (entry !== session && SessionIdSchema.safeParse(entry).success) this.removeSession(entry);
      }
      this.prunedFor = session;
    }
    return folder;
  }

  private fileOf(session: string, path: string): string {
    if (!SessionIdSchema.safeParse(session).success) throw new Error('not a session id');
    const name = createHash('sha256').update(path, 'utf8').digest('hex').slice(0, 40);
    return nodePath.join(this.directory, session, `${name}${EXTENSION}`);
  }

  /** Drops the least recently written documents beyond the limit. */
  private limitDocuments(folder: string, keep: string): void {
    const files = readdirSync(folder).filter((name) => name.endsWith(EXTENSION)).map((name) => nodePath.join(folder, name));
    if (files.length <= this.maxDocuments) return;
    const byAge = files.filter((file) => file !== keep)
      .map((file) => ({ file, written: mtimeOf(file) }))
      .sort((a, b) => a.written - b.written);
    for (const { file } of byAge.slice(0, files.length - this.maxDocuments)) {
      this.closeHandles((candidate) => candidate === file);
      rmSync(file, { force: true });
    }
  }
}

function encodeRecord(type: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(payload.byteLength, 1);
  return Buffer.concat([head, payload]);
}

/** The complete records of a file; a torn last record (a write cut short) is left out. */
function readRecords(bytes: Buffer): { type: number; payload: Buffer }[] {
  const records: { type: number; payload: Buffer }[] = [];
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const type = bytes.readUInt8(offset);
    const length = bytes.readUInt32BE(offset + 1);
    if (offset + 5 + length > bytes.length) break;
    records.push({ type, payload: bytes.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return records;
}

function parseHeader(payload: Buffer): Header | undefined {
  try {
    const data = JSON.parse(payload.toString('utf8')) as Partial<Header>;
    if (data.version !== 1 || typeof data.path !== 'string' || typeof data.epoch !== 'string' || typeof data.sourceText !== 'string') {
      return undefined;
    }
    return { version: 1, path: data.path, epoch: data.epoch, sourceText: data.sourceText };
  } catch {
    return undefined;
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
