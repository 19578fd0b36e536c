/**
 * The document sync engine of one participant. The host is the authority for initial content and
 * answers subscriptions; every edit travels as a Yjs update through the relay; subscriptions are
 * restored on every (re)join and state vectors are exchanged both ways so only what is missing
 * travels; a periodic hash detects corrupt copies, which guests heal from the host.
 *
 * Routing of inbound messages lives here; what the host and the guests do with them lives in
 * {@link HostRole} and {@link GuestRole} (host-role.ts, guest-role.ts).
 */
import type { Participant, Role } from '../../protocol';
import {
  encodeUpdatePayload, LooseDocRequestSchema, parseUpdatePayload, SavePayloadSchema, SyncPayloadSchema,
  type DocErrorCode, type SyncPayload,
} from '../../protocol/doc-payloads';
import { normaliseWorkspacePath } from '../../protocol/paths';
import { encodePayload, parsePayload } from '../../protocol/payloads';
import type { Inbound } from '../api';
import { Emitter, type Disposable, type Event } from '../events';
import type { TimerHandle } from '../ports';
import { GuestRole } from './guest-role';
import { HostRole } from './host-role';
import { SharedDocument, type DocumentOwner } from './shared-document';
import {
  DEFAULT_LIMITS, DocumentError, type DocumentSyncLimits, type DocumentSyncOptions, type HealEvent,
} from './types';
import { Y } from './yjs';
import { checkTextUpdate } from './yjs-codec';

/** What the host and guest halves share with the engine. */
export interface EngineContext {
  readonly options: DocumentSyncOptions;
  readonly limits: DocumentSyncLimits;
  readonly documents: Map<string, SharedDocument>;
  sendSync(payload: SyncPayload, to?: string): boolean;
  /** The effective role of a sender: what our roster says, else what the relay stamped. */
  roleOf(participant: Participant): Role;
  createDocument(path: string): SharedDocument;
  /** Validates and applies a remote update; false (and logged) when refused. */
  applyRemoteUpdate(document: SharedDocument, update: Uint8Array, from: Participant): boolean;
  recordHeal(path: string): void;
}

export class DocumentSync implements Disposable {
  private readonly context: EngineContext;
  private readonly host: HostRole;
  private readonly guest: GuestRole;
  private readonly documents = new Map<string, SharedDocument>();
  private readonly opening = new Map<string, Promise<SharedDocument>>();
  private readonly healEmitter = new Emitter<HealEvent>();
  private readonly listeners: Disposable[] = [];
  private hashTimer: TimerHandle | undefined;
  private healCount = 0;
  private disposed = false;

  /** Fires when a corrupt copy was detected and is being replaced by the host's. */
  readonly onDidHeal: Event<HealEvent> = this.healEmitter.event;

  constructor(private readonly options: DocumentSyncOptions) {
    const limits: DocumentSyncLimits = { ...DEFAULT_LIMITS, ...options.limits };
    const documents = this.documents;
    const owner: DocumentOwner = {
      publishLocal: (path, update) => this.publishLocal(path, update),
      readOnly: () => options.client.role === 'viewer',
      createYDoc: () => {
        const doc = new Y.Doc();
        // Yjs client ids are 32-bit unsigned integers; a collision would corrupt documents.
        doc.clientID = Math.floor((options.random ?? Math.random)() * 0x1_0000_0000) >>> 0;
        return doc;
      },
      save: (path) => this.save(path),
      release: (path) => this.release(path),
    };
    this.context = {
      options,
      limits,
      documents,
      sendSync: (payload, to) => options.client.send('sync', encodePayload(payload), to),
      roleOf: (participant) => options.client.roster.find((entry) => entry.id === participant.id)?.role ?? participant.role,
      createDocument: (path) => new SharedDocument(path, owner),
      applyRemoteUpdate: (document, update, from) => this.applyRemoteUpdate(document, update, from),
      recordHeal: (path) => this.recordHeal(path),
    };
    this.host = new HostRole(this.context);
    this.guest = new GuestRole(this.context);
    const { client } = options;
    this.listeners.push(
      client.onDidReceive((inbound) => this.receive(inbound)),
      client.onDidJoin(() => {
        if (!this.isHost) this.guest.resubscribeAll('rejoined');
      }),
      client.onDidChangeRoster((change) => {
        if (this.isHost) this.host.rosterChanged(change);
        else this.guest.rosterChanged(change);
      }),
    );
    this.armHashTimer();
  }

  /** Heals so far (a heal is a bug report: it should stay 0). */
  get heals(): number {
    return this.healCount;
  }

  /** Paths of the documents this participant currently holds. */
  get paths(): string[] {
    return [...this.documents.keys()];
  }

  /** The open document at `path`, without opening it. */
  get(path: string): SharedDocument | undefined {
    const normalised = normaliseWorkspacePath(path);
    return normalised.ok ? this.documents.get(normalised.path) : undefined;
  }

  /**
   * Opens a shared document: the host loads it from its source (once; later opens reuse it), a
   * guest subscribes and resolves once the host's state arrived. Each call takes a reference;
   * release it with `dispose()`. Rejects with a {@link DocumentError}: invalid-path, not-found,
   * excluded, too-large, outside-workspace, unavailable, timeout or host-offline.
   */
  async open(path: string): Promise<SharedDocument> {
    if (this.disposed) throw new DocumentError('closed', 'Document sync has stopped.');
    const normalised = normaliseWorkspacePath(path);
    if (!normalised.ok || normalised.path === '.') {
      throw new DocumentError('invalid-path', `Cannot share "${path.slice(0, 200)}": ${normalised.ok ? 'not a file' : normalised.error}.`);
    }
    const key = normalised.path;
    let document = this.opening.has(key) ? undefined : this.documents.get(key);
    if (!document) {
      let pending = this.opening.get(key);
      if (!pending) {
        pending = this.isHost ? this.host.load(key) : this.guest.subscribe(key);
        this.opening.set(key, pending);
        const forget = (): void => {
          if (this.opening.get(key) === pending) this.opening.delete(key);
        };
        pending.then(forget, forget);
      }
      document = await pending;
    }
    document.retain();
    return document;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.hashTimer) this.options.clock.clearTimeout(this.hashTimer);
    for (const listener of this.listeners) listener.dispose();
    this.guest.dispose();
    for (const document of this.documents.values()) document.destroy();
    this.documents.clear();
    this.healEmitter.dispose();
  }

  /**
   * The side is fixed at construction: the host passes its document source, guests do not. (The
   * client's role is unknown until the first join, and a host may open documents before that.)
   */
  private get isHost(): boolean {
    return this.options.source !== undefined;
  }

  private armHashTimer(): void {
    this.hashTimer = this.options.clock.setTimeout(() => {
      if (this.disposed) return;
      if (this.isHost) this.host.publishHashes();
      this.armHashTimer();
    }, this.context.limits.hashIntervalMs);
  }

  private publishLocal(path: string, update: Uint8Array): void {
    if (this.isHost && !this.host.hasSubscribers(path)) return;
    // Runs from a microtask for coalesced updates: nothing may escape as an unhandled error.
    try {
      // False while offline: the edit stays in the document and travels with the next exchange.
      this.options.client.send('update', encodeUpdatePayload(path, update));
    } catch (err) {
      this.options.logger.error('could not publish a local edit', { path, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private save(path: string): Promise<void> {
    if (this.options.client.role === 'viewer') {
      return Promise.reject(new DocumentError('read-only', `${path} is read-only: viewers cannot save.`));
    }
    return this.isHost ? this.host.saveLocally(path) : this.guest.requestSave(path);
  }

  private release(path: string): void {
    // The host keeps its copy: it is the authority while guests may still hold the document.
    if (this.isHost) return;
    this.guest.unsubscribe(path);
  }

  private recordHeal(path: string): void {
    this.healCount++;
    this.options.logger.warn('document desync detected: resyncing from the host', { path, heals: this.healCount });
    this.healEmitter.fire({ path, heals: this.healCount });
  }

  private applyRemoteUpdate(document: SharedDocument, update: Uint8Array, from: Participant): boolean {
    const { logger } = this.options;
    const check = checkTextUpdate(update);
    if (!check.ok) {
      logger.warn('refused a malformed document update', { path: document.path, from: from.id, reason: check.reason });
      return false;
    }
    try {
      document.applyRemote(update);
      return true;
    } catch (err) {
      logger.error('a document update failed to apply', { path: document.path, from: from.id, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  private receive(inbound: Inbound): void {
    if (this.disposed) return;
    switch (inbound.kind) {
      case 'sync':
        this.receiveSync(inbound);
        return;
      case 'update':
        this.receiveUpdate(inbound);
        return;
      case 'file-write':
        this.receiveSave(inbound);
        return;
      case 'file':
        return;
    }
  }

  private receiveSync(inbound: Inbound): void {
    const parsed = parsePayload(SyncPayloadSchema, inbound.payload);
    if (!parsed.ok) {
      this.refuseBadRequest(inbound, parsed.error);
      return;
    }
    if (this.isHost) this.host.receive(parsed.payload, inbound.from);
    else this.guest.receive(parsed.payload, inbound.from);
  }

  private receiveUpdate(inbound: Inbound): void {
    const { logger } = this.options;
    // Binary (sent now) or JSON (older clients); malformed ones never reach a document.
    const parsed = parseUpdatePayload(inbound.payload);
    if (!parsed.ok) {
      logger.warn('refused a malformed update message', { from: inbound.from.id, error: parsed.error });
      return;
    }
    const { doc, update } = parsed.payload;
    const document = this.documents.get(doc);
    if (!document) {
      logger.debug('ignored an update for a document not open here', { path: doc, from: inbound.from.id });
      return;
    }
    if (this.context.roleOf(inbound.from) === 'viewer') {
      logger.warn('refused an edit from a viewer', { path: doc, from: inbound.from.id });
      if (this.isHost) this.host.sendError(inbound.from.id, doc, 'read-only', 'Viewers cannot edit: the host refused your change.');
      return;
    }
    this.context.applyRemoteUpdate(document, update, inbound.from);
  }

  private receiveSave(inbound: Inbound): void {
    // Other `file-write` payloads belong to the file server.
    const parsed = parsePayload(SavePayloadSchema, inbound.payload);
    if (!parsed.ok) return;
    if (this.isHost) this.host.receiveSave(parsed.payload.doc, inbound.from);
  }

  /** Answers a request whose path was refused, so the guest's `open` fails at once and clearly. */
  private refuseBadRequest(inbound: Inbound, error: string): void {
    const { logger } = this.options;
    logger.warn('refused a malformed sync message', { from: inbound.from.id, error });
    if (!this.isHost) return;
    const loose = parsePayload(LooseDocRequestSchema, inbound.payload);
    if (!loose.ok || !['subscribe', 'resync'].includes(loose.payload.type)) return;
    const code: DocErrorCode = normaliseWorkspacePath(loose.payload.doc).ok ? 'unavailable' : 'outside-workspace';
    this.host.sendError(inbound.from.id, loose.payload.doc, code, code === 'outside-workspace'
      ? 'That path is outside the shared workspace.'
      : 'The request was malformed.');
  }
}
