/**
 * An in-memory relay double for document sync tests: several participants exchange relayed
 * messages through it, and the test controls delivery — hold a participant's inbox, drop or
 * reorder what is queued, tamper with a message in flight, cut a participant off and bring it
 * back (firing `onDidJoin`, with `needsResync` when messages were lost), or restart the relay.
 *
 * Partitions hold the messages between two groups (in order) until healed.
 *
 * Each participant gets a {@link MemoryClient} implementing the slice of `SessionClientApi` the
 * document engine uses (client/docs/types.ts `DocumentSyncClient`). Nothing is delivered until the
 * test says so (`deliverAll`, `deliverOne`, `settle`), which makes interleavings explicit.
 */
import type { Participant, RelayedKind, Role } from '../../protocol';
import { WRITE_KINDS } from '../../protocol';
import type { ConnectionState, Inbound, JoinInfo, RosterChange } from '../../client/api';
import type { DocumentSyncClient } from '../../client/docs/types';
import { Emitter } from '../../client/events';

type SendKind = Exclude<RelayedKind, 'presence'>;

export interface Envelope {
  readonly seq: number;
  readonly from: Participant;
  readonly recipient: string;
  readonly kind: SendKind;
  readonly payload: Uint8Array;
  readonly direct: boolean;
}

/** What to do with a message about to be delivered: deliver it, drop it, or deliver other bytes. */
export type Interception = 'deliver' | 'drop' | Uint8Array;

export interface MemoryRelayOptions {
  /** Refuse `update`/`file-write` from viewers, as the real relay does. Default true. */
  readonly enforceRoles?: boolean;
}

interface Member {
  participant: Participant;
  client: MemoryClient;
  online: boolean;
  /** Whether its place (and queued messages) survive the current disconnection. */
  resumable: boolean;
  held: boolean;
  inbox: Envelope[];
}

export class MemoryRelay {
  private readonly members = new Map<string, Member>();
  /** `from>to` links whose messages wait (a partition); per-link order is kept. */
  private readonly blocked = new Set<string>();
  private seq = 0;
  private readonly enforceRoles: boolean;
  /** Messages the relay refused (viewer writes). */
  readonly refused: Envelope[] = [];
  /** Called for each message about to be delivered; default delivers. */
  intercept: (envelope: Envelope) => Interception = () => 'deliver';

  constructor(options: MemoryRelayOptions = {}) {
    this.enforceRoles = options.enforceRoles ?? true;
  }

  /** Adds a participant, online and joined (its `onDidJoin` fires on the first `reconnect`). */
  join(name: string, role: Role): MemoryClient {
    const id = `p-${name}`;
    if (this.members.has(id)) throw new Error(`${id} already joined`);
    const participant: Participant = { id, name, color: this.members.size, role, state: 'online' };
    const client = new MemoryClient(this, id);
    this.members.set(id, { participant, client, online: true, resumable: true, held: false, inbox: [] });
    this.announce({ change: 'joined', participant }, id);
    client.fireJoin({ resumed: false, needsResync: false });
    return client;
  }

  client(id: string): MemoryClient {
    return this.member(id).client;
  }

  get ids(): string[] {
    return [...this.members.keys()];
  }

  roster(): Participant[] {
    return [...this.members.values()].map((member) => ({ ...member.participant }));
  }

  participant(id: string): Participant | undefined {
    const member = this.members.get(id);
    return member ? { ...member.participant } : undefined;
  }

  isOnline(id: string): boolean {
    return this.member(id).online;
  }

  setRole(id: string, role: Role): void {
    const member = this.member(id);
    member.participant = { ...member.participant, role };
    this.announce({ change: 'updated', participant: { ...member.participant } });
  }

  /**
   * Cuts a participant off. With `resume`, messages for it keep queueing and arrive after
   * `reconnect` (the relay's resume buffer); without, what was queued is lost and `reconnect`
   * reports `needsResync`.
   */
  disconnect(id: string, options: { resume?: boolean } = {}): void {
    const member = this.member(id);
    if (!member.online) return;
    member.online = false;
    member.resumable = options.resume ?? false;
    if (!member.resumable) member.inbox = [];
    member.participant = { ...member.participant, state: 'reconnecting' };
    this.announce({ change: 'updated', participant: { ...member.participant } }, id);
  }

  reconnect(id: string): void {
    const member = this.member(id);
    if (member.online) return;
    member.online = true;
    member.participant = { ...member.participant, state: 'online' };
    this.announce({ change: 'updated', participant: { ...member.participant } }, id);
    member.client.fireJoin({ resumed: member.resumable, needsResync: !member.resumable });
  }

  /** A relay restart: every connection drops and every queued message is lost. */
  restart(): void {
    for (const id of this.members.keys()) this.disconnect(id, { resume: false });
  }

  /** Keeps messages for `id` queued (in order) until {@link release}. */
  hold(id: string): void {
    this.member(id).held = true;
  }

  release(id: string): void {
    this.member(id).held = false;
  }

  /**
   * Splits the participants in two: messages between `side` and everyone else wait (in order)
   * until {@link healPartition}; messages within each side flow.
   */
  partition(side: readonly string[]): void {
    const inside = new Set(side);
    for (const from of this.members.keys()) {
      for (const to of this.members.keys()) {
        if (from !== to && inside.has(from) !== inside.has(to)) this.blocked.add(`${from}>${to}`);
      }
    }
  }

  healPartition(): void {
    this.blocked.clear();
  }

  /** Discards what is queued for `id` (a lossy link; the engine's anti-entropy must cope). */
  dropQueued(id: string): number {
    const member = this.member(id);
    const dropped = member.inbox.length;
    member.inbox = [];
    return dropped;
  }

  /** Messages waiting for `id` (or for everyone). */
  queued(id?: string): number {
    if (id !== undefined) return this.member(id).inbox.length;
    let total = 0;
    for (const member of this.members.values()) total += member.inbox.length;
    return total;
  }

  /**
   * Delivers the `index`-th deliverable message of `id`'s queue (0 = the oldest not waiting on a
   * partition). False if there is none.
   */
  deliverOne(id: string, index = 0): boolean {
    const member = this.member(id);
    if (!member.online || member.held) return false;
    const deliverable = this.deliverableIndexes(member);
    if (index >= deliverable.length) return false;
    const [envelope] = member.inbox.splice(deliverable[index], 1);
    const decision = this.intercept(envelope);
    if (decision === 'drop') return true;
    const payload = decision === 'deliver' ? envelope.payload : decision;
    member.client.fireReceive({ kind: envelope.kind, from: envelope.from, payload, direct: envelope.direct });
    return true;
  }

  /**
   * Delivers until nothing deliverable is left. With `random`, picks a random recipient and a
   * random one of its first `window` messages each time (a reordering relay).
   */
  deliverAll(options: { random?: () => number; window?: number } = {}): number {
    let delivered = 0;
    for (;;) {
      const ready = [...this.members.values()].filter((member) => this.deliverableCountOf(member) > 0);
      if (ready.length === 0) return delivered;
      const { random } = options;
      const member = random ? ready[Math.floor(random() * ready.length)] : ready[0];
      const window = Math.min(this.deliverableCountOf(member), options.window ?? 1);
      const index = random ? Math.floor(random() * window) : 0;
      this.deliverOne(member.participant.id, index);
      delivered++;
    }
  }

  /** Delivers everything deliverable, letting async handlers (the host's loads) run, until quiet. */
  async settle(options: { random?: () => number; window?: number } = {}): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const delivered = this.deliverAll(options);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (delivered === 0 && this.deliverableCount() === 0) return;
    }
    throw new Error('memory relay did not settle (a message loop?)');
  }

  /** @internal Called by MemoryClient.send. */
  send(fromId: string, kind: SendKind, payload: Uint8Array, to?: string): boolean {
    const sender = this.member(fromId);
    if (!sender.online) return false;
    const envelopeBase = { seq: ++this.seq, from: { ...sender.participant }, kind, payload: payload.slice() };
    if (this.enforceRoles && WRITE_KINDS.has(kind) && sender.participant.role === 'viewer') {
      this.refused.push({ ...envelopeBase, recipient: to ?? '*', direct: to !== undefined });
      return true; // the real relay answers with an error frame; the send itself went out
    }
    const recipients = to !== undefined ? [to] : [...this.members.keys()].filter((id) => id !== fromId);
    for (const recipient of recipients) {
      const member = this.members.get(recipient);
      if (!member || (!member.online && !member.resumable)) continue;
      member.inbox.push({ ...envelopeBase, recipient, direct: to !== undefined });
    }
    return true;
  }

  /** Messages `id` could receive now (online, not held, not waiting on a partition). */
  deliverable(id: string): number {
    return this.deliverableCountOf(this.member(id));
  }

  private deliverableCount(): number {
    let count = 0;
    for (const member of this.members.values()) count += this.deliverableCountOf(member);
    return count;
  }

  private deliverableCountOf(member: Member): number {
    return member.online && !member.held ? this.deliverableIndexes(member).length : 0;
  }

  private deliverableIndexes(member: Member): number[] {
    const indexes: number[] = [];
    member.inbox.forEach((envelope, index) => {
      if (!this.blocked.has(`${envelope.from.id}>${envelope.recipient}`)) indexes.push(index);
    });
    return indexes;
  }

  private announce(change: RosterChange, except?: string): void {
    for (const member of this.members.values()) {
      if (member.participant.id === except || !member.online) continue;
      member.client.fireRoster(change);
    }
  }

  private member(id: string): Member {
    const member = this.members.get(id);
    if (!member) throw new Error(`no participant ${id}`);
    return member;
  }
}

/** One participant's view of the memory relay, shaped like the session client. */
export class MemoryClient implements DocumentSyncClient {
  private readonly receiveEmitter = new Emitter<Inbound>();
  private readonly joinEmitter = new Emitter<JoinInfo>();
  private readonly rosterEmitter = new Emitter<RosterChange>();
  readonly onDidReceive = this.receiveEmitter.event;
  readonly onDidJoin = this.joinEmitter.event;
  readonly onDidChangeRoster = this.rosterEmitter.event;
  /** Every send attempt, with whether it went out. */
  readonly sent: { kind: SendKind; to?: string; accepted: boolean }[] = [];

  constructor(private readonly relay: MemoryRelay, readonly id: string) {}

  get state(): ConnectionState {
    return this.relay.isOnline(this.id) ? 'connected' : 'reconnecting';
  }

  get me(): Participant | undefined {
    return this.relay.participant(this.id);
  }

  get role(): Role | undefined {
    return this.relay.participant(this.id)?.role;
  }

  get roster(): readonly Participant[] {
    return this.relay.roster();
  }

  send(kind: SendKind, payload: Uint8Array, to?: string): boolean {
    const accepted = this.relay.send(this.id, kind, payload, to);
    this.sent.push({ kind, ...(to !== undefined ? { to } : {}), accepted });
    return accepted;
  }

  /** @internal */
  fireReceive(inbound: Inbound): void {
    this.receiveEmitter.fire(inbound);
  }

  /** @internal */
  fireRoster(change: RosterChange): void {
    this.rosterEmitter.fire(change);
  }

  /** @internal */
  fireJoin(info: { resumed: boolean; needsResync: boolean }): void {
    const you = this.relay.participant(this.id);
    if (!you) return;
    this.joinEmitter.fire({
      session: 'memory-session-000000', you, roster: this.relay.roster(),
      settings: { approval: 'auto', defaultRole: 'editor' }, ...info,
    });
  }
}
