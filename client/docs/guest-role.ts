/**
 * A guest's half of document sync: subscribes (again after every rejoin and whenever the host
 * comes back), merges the host's answer and sends back what the host lacks, checks the host's
 * periodic hashes, heals a corrupt copy, and asks the host to save.
 */
import { Y } from './yjs';
import type { Participant } from '../../protocol';
import { encodeUpdatePayload, type SyncPayload, type SyncPayloadOf } from '../../protocol/doc-payloads';
import { encodePayload } from '../../protocol/payloads';
import type { RosterChange } from '../api';
import type { Disposable } from '../events';
import type { TimerHandle } from '../ports';
import type { EngineContext } from './document-sync';
import { rebaseInsertions, unconfirmedInsertions } from './rebase';
import type { SharedDocument } from './shared-document';
import { diffHunks } from './text-merge';
import { DocumentError } from './types';
import { TEXT_NAME, checkTextUpdate, fromBase64, stateDigest, textHash, toBase64 } from './yjs-codec';

interface Pending<T> {
  resolve(value: T): void;
  reject(error: DocumentError): void;
  timer: TimerHandle;
}

/**
 * Hash rounds in a row with a different state before a guest asks for a state-vector exchange:
 * one round of difference is normal while edits are in flight; two suggest something was lost.
 */
const MISMATCH_ROUNDS_BEFORE_CATCH_UP = 2;

export class GuestRole implements Disposable {
  private readonly pendingOpens = new Map<string, Pending<SharedDocument>>();
  private readonly pendingSaves = new Map<string, Pending<void>[]>();
  private readonly mismatchRounds = new Map<string, number>();
  /**
   * Per document, our Yjs client ids and the clock up to which the host confirmed each (from the
   * state vectors in its `state` and `hash`, current epoch): what a rebase leaves out.
   */
  private readonly confirmed = new Map<string, Map<number, number>>();
  /** Documents whose host came back with a new epoch: their resync is in flight. */
  private readonly reloading = new Set<string>();
  private hostOnline = false;

  constructor(private readonly context: EngineContext) {}

  subscribe(path: string): Promise<SharedDocument> {
    const { clock, client } = this.context.options;
    const document = this.context.createDocument(path);
    this.context.documents.set(path, document);
    return new Promise<SharedDocument>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        const hostPresent = client.roster.some((entry) => entry.role === 'host' && entry.state === 'online');
        const seconds = Math.round(this.context.limits.openTimeoutMs / 1000);
        this.failOpen(path, hostPresent
          ? new DocumentError('timeout', `The host did not send ${path} within ${seconds} s. Try again; if it keeps failing, the host may be overloaded.`)
          : new DocumentError('host-offline', `Cannot open ${path}: the host is offline. It opens once the host is back.`));
      }, this.context.limits.openTimeoutMs);
      this.pendingOpens.set(path, { resolve, reject, timer });
      // Offline now: the subscription goes out with the next (re)join.
      this.sendSubscribe(document);
    });
  }

  unsubscribe(path: string): void {
    const document = this.context.documents.get(path);
    if (!document) return;
    this.context.documents.delete(path);
    this.mismatchRounds.delete(path);
    this.confirmed.delete(path);
    this.reloading.delete(path);
    document.destroy();
    const host = this.hostId();
    if (host) this.context.sendSync({ type: 'unsubscribe', doc: path }, host);
  }

  /** Restores every subscription: only what either side lacks travels (state vectors). */
  resubscribeAll(reason: string): void {
    this.hostOnline = this.context.options.client.roster.some((entry) => entry.role === 'host' && entry.state === 'online');
    this.mismatchRounds.clear();
    if (this.context.documents.size === 0) return;
    this.context.options.logger.debug('restoring document subscriptions', { reason, documents: this.context.documents.size });
    for (const document of this.context.documents.values()) {
      if (document.healing || this.reloading.has(document.path)) this.sendResync(document);
      else this.sendSubscribe(document);
    }
  }

  rosterChanged(change: RosterChange): void {
    if (change.participant.role !== 'host') return;
    const online = change.change !== 'left' && change.participant.state === 'online';
    // The host may have missed our edits while it was away: guests drive the exchange.
    if (online && !this.hostOnline) this.resubscribeAll('host is back');
    this.hostOnline = online;
  }

  receive(payload: SyncPayload, from: Participant): void {
    if (this.context.roleOf(from) !== 'host') {
      this.context.options.logger.debug('ignored a sync message from a guest', { type: payload.type, from: from.id });
      return;
    }
    switch (payload.type) {
      case 'state':
        this.receiveState(payload, from);
        return;
      case 'hash':
        this.receiveHash(payload);
        return;
      case 'saved':
        this.context.documents.get(payload.doc)?.notifySaved(payload.hash);
        for (const pending of this.takeSaves(payload.doc)) pending.resolve();
        return;
      case 'doc-error':
        this.receiveError(payload);
        return;
      case 'subscribe':
      case 'unsubscribe':
      case 'resync':
        return;
    }
  }

  requestSave(path: string): Promise<void> {
    const document = this.context.documents.get(path);
    if (!document || this.pendingOpens.has(path)) return Promise.reject(new DocumentError('not-found', `${path} is not open.`));
    const host = this.hostId();
    const sent = host !== undefined
      && this.context.options.client.send('file-write', encodePayload({ type: 'save', doc: path }), host);
    if (!sent) return Promise.reject(new DocumentError('host-offline', `Cannot save ${path} now: the host is offline. Your edits are kept; save again once it is back.`));
    return new Promise<void>((resolve, reject) => {
      const pending: Pending<void> = {
        resolve, reject, timer: this.context.options.clock.setTimeout(() => {
          const list = this.pendingSaves.get(path) ?? [];
          this.pendingSaves.set(path, list.filter((entry) => entry !== pending));
          reject(new DocumentError('timeout', `The host did not confirm saving ${path}.`));
        }, this.context.limits.saveTimeoutMs),
      };
      const list = this.pendingSaves.get(path) ?? [];
      list.push(pending);
      this.pendingSaves.set(path, list);
    });
  }

  dispose(): void {
    const closed = new DocumentError('closed', 'Document sync has stopped.');
    for (const path of [...this.pendingOpens.keys()]) this.failOpen(path, closed);
    for (const path of [...this.pendingSaves.keys()]) {
      for (const pending of this.takeSaves(path)) pending.reject(closed);
    }
  }

  private hostId(): string | undefined {
    return this.context.options.client.roster.find((entry) => entry.role === 'host')?.id;
  }

  private sendSubscribe(document: SharedDocument): boolean {
    const host = this.hostId();
    if (!host) return false;
    return this.context.sendSync({ type: 'subscribe', doc: document.path, sv: toBase64(Y.encodeStateVector(document.yDoc)) }, host);
  }

  private sendResync(document: SharedDocument): void {
    const host = this.hostId();
    // Stays in the healing state; the next rejoin asks again.
    if (host) this.context.sendSync({ type: 'resync', doc: document.path }, host);
  }

  private receiveState(payload: SyncPayloadOf<'state'>, from: Participant): void {
    const { logger, client } = this.context.options;
    const document = this.context.documents.get(payload.doc);
    if (!document) return; // closed meanwhile
    const update = fromBase64(payload.update);
    if (!payload.reset && document.epoch !== undefined && document.epoch !== payload.epoch) {
      this.hostReloaded(document);
      return;
    }
    if (payload.reset) {
      const check = checkTextUpdate(update);
      if (!check.ok) {
        logger.warn('refused a malformed document state', { path: payload.doc, from: from.id, reason: check.reason });
        return;
      }
      if (this.reloading.delete(payload.doc)) {
        this.rebaseOnto(document, update);
      } else {
        this.confirmed.delete(payload.doc);
        document.replaceWith(update);
      }
      document.epoch = payload.epoch;
    } else if (!this.context.applyRemoteUpdate(document, update, from)) {
      return;
    }
    document.epoch ??= payload.epoch;
    this.noteConfirmed(document, payload.sv);
    const pending = this.pendingOpens.get(payload.doc);
    if (pending) {
      this.pendingOpens.delete(payload.doc);
      this.context.options.clock.clearTimeout(pending.timer);
      pending.resolve(document);
    }
    // We now hold everything the host had; if our state still differs, the host lacks something.
    if (client.role === 'viewer' || stateDigest(document.yDoc) === payload.digest) return;
    let missing: Uint8Array;
    try {
      missing = Y.encodeStateAsUpdate(document.yDoc, fromBase64(payload.sv));
    } catch {
      missing = Y.encodeStateAsUpdate(document.yDoc);
    }
    client.send('update', encodeUpdatePayload(payload.doc, missing));
  }

  private receiveHash(payload: SyncPayloadOf<'hash'>): void {
    const document = this.context.documents.get(payload.doc);
    if (!document || this.pendingOpens.has(payload.doc) || document.healing) return;
    if (this.reloading.has(payload.doc)) return;
    if (document.epoch !== payload.epoch) {
      this.hostReloaded(document);
      return;
    }
    this.noteConfirmed(document, payload.sv);
    if (stateDigest(document.yDoc) === payload.digest) {
      this.mismatchRounds.delete(payload.doc);
      const text = document.text;
      if (text.length === payload.length && textHash(text) === payload.hash) return;
      // Same operations integrated, different text: our copy is corrupt.
      this.context.recordHeal(payload.doc);
      document.startRecording();
      this.sendResync(document);
      return;
    }
    const rounds = (this.mismatchRounds.get(payload.doc) ?? 0) + 1;
    if (rounds < MISMATCH_ROUNDS_BEFORE_CATCH_UP) {
      this.mismatchRounds.set(payload.doc, rounds);
      return;
    }
    this.mismatchRounds.delete(payload.doc);
    this.context.options.logger.debug('document state still differs from the host: exchanging state vectors', { path: payload.doc });
    this.sendSubscribe(document);
  }

  /**
   * The host's copy is a new one (its process restarted without its kept state and loaded the
   * document afresh): ours shares no history with it, and merging would duplicate the text. Ask
   * for the host's copy whole; our unconfirmed insertions are rebased onto it when it arrives
   * ({@link rebaseOnto}). A host that keeps its state (DocumentSyncOptions.persistence) keeps
   * its epoch, and never gets here.
   */
  private hostReloaded(document: SharedDocument): void {
    if (this.reloading.has(document.path)) return;
    this.context.options.logger.warn('the host reloaded a document without its history: rebasing our unconfirmed edits onto the host\'s copy', { path: document.path });
    this.mismatchRounds.delete(document.path);
    this.reloading.add(document.path);
    this.sendResync(document);
  }

  /**
   * Replaces our copy with the host's new one plus our insertions it never confirmed (see
   * rebase.ts for what this guarantees and what not); the caller then sends the host what it
   * lacks, those insertions. They are computed now, not when the new epoch was noticed, so that
   * typing during the round trip is kept too.
   */
  private rebaseOnto(document: SharedDocument, hostState: Uint8Array): void {
    const { client, logger, random } = this.context.options;
    const own = client.role === 'viewer' ? undefined : unconfirmedInsertions(document.yDoc, this.ownClients(document));
    const scratch = new Y.Doc();
    scratch.clientID = Math.floor((random ?? Math.random)() * 0x1_0000_0000) >>> 0;
    let rebased = false;
    try {
      Y.applyUpdate(scratch, hostState);
      const text = scratch.getText(TEXT_NAME);
      const hostText = text.toString();
      const merged = own ? rebaseInsertions(own, hostText) : hostText;
      if (merged !== hostText) {
        scratch.transact(() => {
          for (const hunk of diffHunks(hostText, merged).reverse()) {
            if (hunk.end > hunk.start) text.delete(hunk.start, hunk.end - hunk.start);
            if (hunk.insert !== '') text.insert(hunk.start, hunk.insert);
          }
        });
        rebased = true;
        logger.info('rebased our unconfirmed edits onto the host\'s new copy', { path: document.path, characters: merged.length - hostText.length });
      }
      document.replaceWith(Y.encodeStateAsUpdate(scratch));
    } finally {
      scratch.destroy();
    }
    // The rebased text is ours from now on: the scratch client's items count as our own.
    const clients = new Map<number, number>();
    if (rebased) clients.set(scratch.clientID, 0);
    this.confirmed.set(document.path, clients);
    // Other guests' rebased text may have reached us before this reset, on the copy we just
    // dropped: one more state-vector exchange fetches what the host holds of it by now.
    this.sendSubscribe(document);
  }

  /** Our client ids in this document, with the clock up to which the host confirmed each. */
  private ownClients(document: SharedDocument): Map<number, number> {
    let clients = this.confirmed.get(document.path);
    if (!clients) this.confirmed.set(document.path, clients = new Map());
    if (!clients.has(document.yDoc.clientID)) clients.set(document.yDoc.clientID, 0);
    return clients;
  }

  /** Records what the host's state vector says it holds of our edits. */
  private noteConfirmed(document: SharedDocument, sv: string): void {
    let vector: Map<number, number>;
    try {
      vector = Y.decodeStateVector(fromBase64(sv));
    } catch {
      return;
    }
    const clients = this.ownClients(document);
    for (const [id, clock] of clients) clients.set(id, Math.max(clock, vector.get(id) ?? 0));
  }

  private receiveError(payload: SyncPayloadOf<'doc-error'>): void {
    const error = new DocumentError(payload.code, payload.message);
    if (this.pendingOpens.has(payload.doc)) {
      this.failOpen(payload.doc, error);
      return;
    }
    const saves = this.pendingSaves.get(payload.doc);
    if (saves && saves.length > 0 && payload.code !== 'read-only') {
      const first = saves.shift();
      if (first) {
        this.context.options.clock.clearTimeout(first.timer);
        first.reject(error);
      }
      return;
    }
    this.context.options.logger.warn('the host refused a document operation', { path: payload.doc, code: payload.code });
  }

  private failOpen(path: string, error: DocumentError): void {
    const pending = this.pendingOpens.get(path);
    if (!pending) return;
    this.pendingOpens.delete(path);
    this.context.options.clock.clearTimeout(pending.timer);
    this.unsubscribe(path);
    pending.reject(error);
  }

  private takeSaves(path: string): Pending<void>[] {
    const list = this.pendingSaves.get(path) ?? [];
    this.pendingSaves.delete(path);
    for (const pending of list) this.context.options.clock.clearTimeout(pending.timer);
    return list;
  }
}
