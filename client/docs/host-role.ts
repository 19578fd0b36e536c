/**
 * The host's half of document sync: loads documents from its source (it is the authority for
 * initial content), answers subscriptions with what each guest lacks, publishes content hashes,
 * saves on a guest's behalf, and enforces roles again behind the relay.
 */
import { Y } from './yjs';
import type { Participant } from '../../protocol';
import { DocErrorCodeSchema, type DocErrorCode, type SyncPayload } from '../../protocol/doc-payloads';
import type { RosterChange } from '../api';
import type { EngineContext } from './document-sync';
import { DocumentJournal, restoreDocument } from './persistence';
import type { SharedDocument } from './shared-document';
import { diffHunks, mergeTexts } from './text-merge';
import { DocumentError } from './types';
import { checkTextUpdate, fromBase64, stateDigest, textHash, toBase64 } from './yjs-codec';

export class HostRole {
  /** Who subscribed to what; kept while a guest is reconnecting, dropped when it leaves. */
  private readonly subscribers = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<SharedDocument>>();
  /** Each document's persistence, when the engine has a store (see DocumentSyncOptions.persistence). */
  private readonly journals = new Map<string, DocumentJournal>();

  constructor(private readonly context: EngineContext) {}

  hasSubscribers(path: string): boolean {
    return (this.subscribers.get(path)?.size ?? 0) > 0;
  }

  /** The document at `path`, created from the source's text the first time. */
  load(path: string): Promise<SharedDocument> {
    const existing = this.context.documents.get(path);
    if (existing) return Promise.resolve(existing);
    let pending = this.loading.get(path);
    if (!pending) {
      pending = this.readSource(path);
      this.loading.set(path, pending);
      const forget = (): void => {
        this.loading.delete(path);
      };
      pending.then(forget, forget);
    }
    return pending;
  }

  receive(payload: SyncPayload, from: Participant): void {
    switch (payload.type) {
      case 'subscribe':
        this.answer(payload.doc, from, payload.sv, false).catch((err: unknown) => this.logFailure(payload.doc, err));
        return;
      case 'resync':
        this.answer(payload.doc, from, '', true).catch((err: unknown) => this.logFailure(payload.doc, err));
        return;
      case 'unsubscribe':
        this.subscribers.get(payload.doc)?.delete(from.id);
        return;
      case 'state':
      case 'hash':
      case 'saved':
      case 'doc-error':
        // Host-to-guest messages: the host is the authority and takes no orders from guests.
        this.context.options.logger.debug('ignored a host message from a guest', { type: payload.type, from: from.id });
        return;
    }
  }

  rosterChanged(change: RosterChange): void {
    if (change.change !== 'left') return;
    for (const ids of this.subscribers.values()) ids.delete(change.participant.id);
  }

  /** Broadcasts a hash of each document somebody subscribed to (see HashSchema). */
  publishHashes(): void {
    for (const [path, ids] of this.subscribers) {
      const document = this.context.documents.get(path);
      if (!document || ids.size === 0) continue;
      const text = document.text;
      this.context.sendSync({
        type: 'hash', doc: path, hash: textHash(text), length: text.length,
        digest: stateDigest(document.yDoc), sv: toBase64(Y.encodeStateVector(document.yDoc)), epoch: epochOf(document),
      });
    }
  }

  async saveLocally(path: string): Promise<void> {
    const document = this.context.documents.get(path);
    const source = this.context.options.source;
    if (!document) throw new DocumentError('not-found', `${path} is not open.`);
    if (!source?.save) throw new DocumentError('save-failed', 'This host cannot save documents.');
    const text = document.text;
    await source.save(path, text);
    this.journals.get(path)?.sourceChanged(text);
    const hash = textHash(text);
    this.context.sendSync({ type: 'saved', doc: path, hash });
    document.notifySaved(hash);
  }

  receiveSave(path: string, from: Participant): void {
    const { logger } = this.context.options;
    if (this.context.roleOf(from) === 'viewer') {
      logger.warn('refused a save from a viewer', { path, from: from.id });
      this.sendError(from.id, path, 'read-only', 'Viewers cannot save.');
      return;
    }
    this.saveLocally(path).catch((err: unknown) => {
      logger.warn('a guest\'s save failed', { path, from: from.id, error: err instanceof Error ? err.message : String(err) });
      const code: DocErrorCode = err instanceof DocumentError && err.code === 'not-found' ? 'not-found' : 'save-failed';
      this.sendError(from.id, path, code, `The host could not save ${path}${err instanceof Error ? `: ${err.message}` : ''}.`);
    });
  }

  sendError(to: string, doc: string, code: DocErrorCode, message: string): void {
    this.context.sendSync({
      type: 'doc-error', doc: doc.slice(0, 1024), code, message: message.slice(0, 500),
      ...(code === 'too-large' ? { limit: this.context.limits.maxDocumentBytes } : {}),
    }, to);
  }

  private async readSource(path: string): Promise<SharedDocument> {
    const { source } = this.context.options;
    if (!source) throw new DocumentError('unavailable', 'This participant has no documents to share.');
    const text = await source.read(path);
    this.checkSize(path, text);
    // Another load may have finished first (only possible if the source is re-entrant).
    const existing = this.context.documents.get(path);
    if (existing) return existing;
    const document = this.restore(path, text) ?? this.context.createDocument(path);
    if (document.epoch === undefined) {
      document.epoch = newEpoch(this.context.options.random ?? Math.random);
      document.initialise(text);
    }
    this.context.documents.set(path, document);
    const { persistence, logger } = this.context.options;
    if (persistence) {
      const journal = new DocumentJournal(persistence, path, document.epoch, text, document.yDoc, logger);
      journal.start();
      this.journals.set(path, journal);
    }
    return document;
  }

  /**
   * The document as this host held it before its process restarted, with the same epoch, so
   * guests merge by state vectors instead of replacing their copies (which lost their unsent
   * edits). Undefined when nothing usable was kept for this session and path.
   */
  private restore(path: string, text: string): SharedDocument | undefined {
    const { persistence, logger } = this.context.options;
    const session = persistence?.session();
    if (!persistence || session === undefined) return undefined;
    let persisted;
    try {
      persisted = persistence.store.load(session, path);
    } catch (err) {
      logger.warn('cannot read a document\'s kept state: loading it afresh', { path, error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
    if (!persisted) return undefined;
    const document = this.context.createDocument(path);
    if (!persisted.updates.every((update) => checkTextUpdate(update).ok) || !restoreDocument(document.yDoc, persisted)) {
      logger.warn('a document\'s kept state is damaged: loading it afresh', { path });
      document.destroy();
      return undefined;
    }
    document.epoch = persisted.epoch;
    // The source changed while the engine was down (the host typed in its editor before a guest
    // asked for the document, or the file changed on disk): bring that change in as the host's
    // own edit, merged with what the document gained meanwhile (guests' edits the source never
    // saw). Compared against the source's text when last in step, not the document's: a CLI
    // host's file lacks every unsaved edit, which must not read as the host deleting them.
    if (text !== persisted.sourceText && text !== document.text) {
      const current = document.text;
      const merged = mergeTexts(persisted.sourceText, current, text);
      document.applyLocalEdits(diffHunks(current, merged).map((hunk) => ({
        offset: hunk.start, deleteCount: hunk.end - hunk.start, insert: hunk.insert,
      })));
    }
    logger.info('restored a document kept from before a restart', { path });
    return document;
  }

  private checkSize(path: string, text: string): void {
    const limit = this.context.limits.maxDocumentBytes;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limit) {
      throw new DocumentError('too-large', `${path} is too large to share (${bytes} bytes; the limit is ${limit}).`);
    }
  }

  /** Sends a guest what its state vector lacks (everything for a resync), plus our state. */
  private async answer(path: string, from: Participant, sv: string, reset: boolean): Promise<void> {
    let document: SharedDocument;
    try {
      document = await this.load(path);
      this.checkSize(path, document.text);
    } catch (err) {
      const code: DocErrorCode = err instanceof DocumentError && isDocErrorCode(err.code) ? err.code : 'unavailable';
      this.context.options.logger.info('refused a document to a guest', { path, from: from.id, code });
      this.sendError(from.id, path, code, err instanceof DocumentError ? err.message : `The host could not read ${path}.`);
      return;
    }
    let ids = this.subscribers.get(path);
    if (!ids) this.subscribers.set(path, ids = new Set());
    ids.add(from.id);
    const doc = document.yDoc;
    let update: Uint8Array;
    try {
      update = reset ? Y.encodeStateAsUpdate(doc) : Y.encodeStateAsUpdate(doc, fromBase64(sv));
    } catch {
      // A malformed state vector costs the guest a full state, nothing worse.
      update = Y.encodeStateAsUpdate(doc);
    }
    this.context.sendSync({
      type: 'state', doc: path, update: toBase64(update), sv: toBase64(Y.encodeStateVector(doc)),
      digest: stateDigest(doc), epoch: epochOf(document), ...(reset ? { reset: true } : {}),
    }, from.id);
  }

  private logFailure(path: string, err: unknown): void {
    this.context.options.logger.error('answering a document request failed', { path, error: err instanceof Error ? err.message : String(err) });
  }
}

const EPOCH_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** 16 base64url characters (96 bits): a new id for each copy of a document the host loads. */
function newEpoch(random: () => number): string {
  let epoch = '';
  for (let i = 0; i < 16; i++) epoch += EPOCH_ALPHABET[Math.floor(random() * 64)];
  return epoch;
}

function epochOf(document: SharedDocument): string {
  if (document.epoch === undefined) throw new Error(`${document.path} has no epoch on the host`);
  return document.epoch;
}

function isDocErrorCode(code: string): code is DocErrorCode {
  return DocErrorCodeSchema.safeParse(code).success;
}
