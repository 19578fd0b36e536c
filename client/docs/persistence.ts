/**
 * The host's document state on disk, so that a host process restart (a VS Code window reload, a
 * CLI host started again with its state file) keeps each shared document's Yjs history and epoch:
 * guests then merge by state vectors as after any reconnect, and every edit either side made is
 * in both copies exactly once.
 *
 * The engine writes through {@link DocumentJournal}: every update the host's copy integrates
 * (its own edits, guests' edits, the initial text) is appended as it is applied, synchronously,
 * so what is persisted never lags what the host holds by more than the instant between
 * publishing an edit and appending it; the log is replaced by one compacted state now and then.
 */
import { Y, type Doc } from './yjs';
import type { Logger } from '../ports';

export interface PersistedDocument {
  /** The host's document instance id (see StateSchema.epoch): kept across restarts. */
  readonly epoch: string;
  /** The text the host's source held when last known to be in step with the document. */
  readonly sourceText: string;
  /** Yjs updates, oldest first; applying all of them rebuilds the document. */
  readonly updates: readonly Uint8Array[];
}

export interface PersistedRecord {
  readonly epoch: string;
  readonly sourceText: string;
  /** The whole document state (`Y.encodeStateAsUpdate`). */
  readonly state: Uint8Array;
}

/**
 * Where the host keeps document state, keyed by session id and workspace-relative path. Writes
 * are synchronous: once `write` or `append` returns, the bytes are with the operating system (a
 * killed process loses nothing; a power cut may). Implementations bound their size and drop other
 * sessions' state (see FileDocumentStateStore).
 */
export interface DocumentStateStore {
  load(session: string, path: string): PersistedDocument | undefined;
  /** Replaces whatever is kept for the path with one compacted record. */
  write(session: string, path: string, record: PersistedRecord): void;
  /** Adds one update after the last record. Only called after a `write` for the path. */
  append(session: string, path: string, update: Uint8Array): void;
  /** Forgets a session (it ended). */
  removeSession(session: string): void;
}

export interface DocumentPersistence {
  readonly store: DocumentStateStore;
  /** The session documents are kept for; undefined until it is known (nothing is kept then). */
  session(): string | undefined;
}

/** Log bytes appended since the last compaction before compacting again (at least this much). */
const MIN_COMPACT_BYTES = 64 * 1024;

/** One host document's persistence: appends what it integrates, compacts now and then. */
export class DocumentJournal {
  private appendedBytes = 0;
  private stateBytes = 0;
  /** Set when a write failed or had no session yet: the next update writes the whole state. */
  private needsFullWrite = true;
  private writtenSession: string | undefined;
  private warned = false;
  private readonly onUpdate = (update: Uint8Array): void => this.append(update);

  constructor(
    private readonly persistence: DocumentPersistence,
    private readonly path: string,
    private readonly epoch: string,
    private sourceText: string,
    private readonly doc: Doc,
    private readonly logger: Logger,
  ) {}

  /** Writes the document as it is now, and from then on every update it integrates. */
  start(): void {
    this.writeFull();
    this.doc.on('update', this.onUpdate);
  }

  stop(): void {
    this.doc.off('update', this.onUpdate);
  }

  /** The source now holds `text` (the host saved it): a later restart compares against it. */
  sourceChanged(text: string): void {
    this.sourceText = text;
    this.writeFull();
  }

  private append(update: Uint8Array): void {
    const session = this.persistence.session();
    if (this.needsFullWrite || session !== this.writtenSession || session === undefined) {
      this.writeFull();
      return;
    }
    try {
      this.persistence.store.append(session, this.path, update);
    } catch (err) {
      this.failed(err);
      return;
    }
    this.appendedBytes += update.byteLength;
    if (this.appendedBytes > Math.max(MIN_COMPACT_BYTES, this.stateBytes)) this.writeFull();
  }

  private writeFull(): void {
    const session = this.persistence.session();
    if (session === undefined) {
      this.needsFullWrite = true;
      return;
    }
    const state = Y.encodeStateAsUpdate(this.doc);
    try {
      this.persistence.store.write(session, this.path, { epoch: this.epoch, sourceText: this.sourceText, state });
    } catch (err) {
      this.failed(err);
      return;
    }
    this.writtenSession = session;
    this.needsFullWrite = false;
    this.appendedBytes = 0;
    this.stateBytes = state.byteLength;
  }

  private failed(err: unknown): void {
    this.needsFullWrite = true;
    if (this.warned) return;
    this.warned = true;
    this.logger.warn('cannot keep a document\'s state on disk: a host restart would reload it afresh', {
      path: this.path, error: err instanceof Error ? err.message : String(err),
    });
  }
}

/**
 * Rebuilds a persisted document into `doc` (empty, fresh client id). Returns false when the
 * record is unusable (then `doc` must be thrown away). Updates whose dependencies are missing
 * stay pending in Yjs and complete when a guest sends what they build on.
 */
export function restoreDocument(doc: Doc, persisted: PersistedDocument): boolean {
  try {
    Y.transact(doc, () => {
      for (const update of persisted.updates) Y.applyUpdate(doc, update);
    });
    return true;
  } catch {
    return false;
  }
}
