/**
 * The shapes the document sync engine works with: the slice of the session client it uses, the
 * host's document source, limits and errors.
 */
import type { DocErrorCode } from '../../protocol/doc-payloads';
import type { SessionClientApi } from '../api';
import type { Clock, Logger, Random } from '../ports';
import type { DocumentPersistence } from './persistence';

/** What the engine needs of a session client; `SessionClient` (and test doubles) provide it. */
export type DocumentSyncClient = Pick<
  SessionClientApi,
  'send' | 'onDidReceive' | 'onDidJoin' | 'onDidChangeRoster' | 'roster' | 'me' | 'role'
>;

/** Where the host's documents come from and go to. */
export interface DocumentSource {
  /**
   * The authoritative text of a workspace-relative path (the editor's buffer if open, else the
   * file). Throw a {@link DocumentError} with `not-found`, `excluded` or `outside-workspace` to
   * refuse; any other error is reported to the guest as `unavailable`.
   */
  read(path: string): Promise<string>;
  /** Writes the text to disk. Without it, saves are refused with `save-failed`. */
  save?(path: string, text: string): Promise<void>;
}

export interface DocumentSyncLimits {
  /** Largest document (UTF-8 bytes) the host shares. Default 512 KiB, so its state fits a relay frame. */
  readonly maxDocumentBytes: number;
  /** How long `open` waits for the host's answer. Default 15 s. */
  readonly openTimeoutMs: number;
  /** How long `save` waits for the host's confirmation. Default 15 s. */
  readonly saveTimeoutMs: number;
  /** How often the host publishes content hashes for desync detection. Default 10 s. */
  readonly hashIntervalMs: number;
}

export const DEFAULT_LIMITS: DocumentSyncLimits = {
  maxDocumentBytes: 512 * 1024,
  openTimeoutMs: 15_000,
  saveTimeoutMs: 15_000,
  hashIntervalMs: 10_000,
};

export interface DocumentSyncOptions {
  readonly client: DocumentSyncClient;
  /** The host passes its source (which makes this engine the host's); guests pass none. */
  readonly source?: DocumentSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits?: Partial<DocumentSyncLimits>;
  /** Picks Yjs client ids (tests pass a seeded one so runs replay exactly). Default Math.random. */
  readonly random?: Random;
  /**
   * Host only: where each shared document's Yjs state is kept, so that after a host process
   * restart the document comes back with its history and epoch and guests merge instead of
   * replacing their copies. Without it a restarted host loads documents afresh (new epoch) and
   * guests rebase their unconfirmed edits onto its copy (see GuestRole).
   */
  readonly persistence?: DocumentPersistence;
}

export type DocumentErrorCode = DocErrorCode | 'invalid-path' | 'timeout' | 'host-offline' | 'closed';

/** A refused or failed document operation, with a sentence a person can act on. */
export class DocumentError extends Error {
  constructor(readonly code: DocumentErrorCode, message: string) {
    super(message);
    this.name = 'DocumentError';
  }
}

export interface HealEvent {
  readonly path: string;
  /** Total heals of this engine so far, this one included. */
  readonly heals: number;
}
