/**
 * Session state and fan-out, behind one small interface so a shared implementation (Redis: a
 * hash per session, INCR + XADD for sequence numbers and the resume buffer, pub/sub per session
 * for fan-out) can replace the in-memory one without touching the routing in sessions.ts.
 *
 * Methods return {@link Awaitable} values: the in-memory store answers synchronously, a networked
 * one with promises, and the routing awaits either. Records are plain data (serialisable);
 * the routing reads one, changes it and writes it back with {@link SessionStore.save}. The hot
 * path (every relayed message) reads only what it needs through {@link SessionStore.participants},
 * read-only and without a copy of the whole record.
 */
import type { InviteRegistration, Participant, RelayedKind, SessionSettings } from '../protocol';
import { ResumeBuffer, type BufferedMessage, type Replay } from './resume-buffer';

export type Awaitable<T> = T | Promise<T>;

export interface ParticipantRecord extends Participant {
  /** SHA-256 of the current single-use resume token; the token itself is never stored. */
  resumeTokenHash?: string;
  /** While `reconnecting`: when its place is given up (epoch ms). */
  expiresAt?: number;
  /** SHA-256 of the participant's rejoin secret: needed to claim this id again with `join`. */
  rejoinHash?: string;
}

export interface KnockRecord {
  readonly id: string;
  readonly name: string;
  readonly expiresAt: number;
  readonly rejoinHash?: string;
}

export interface SessionRecord {
  readonly id: string;
  inviteHash: string;
  settings: SessionSettings;
  hostId: string;
  /** SHA-256 of the host access token that created the session (token mode), for per-token limits. */
  readonly hostTokenHash?: string;
  participants: Record<string, ParticipantRecord>;
  /** Guests waiting for the host's answer. */
  knocks: KnockRecord[];
  /** Latest sequence number assigned to a relayed non-volatile message. */
  seq: number;
  /** Every invite accepted for new joins (the primary `inviteHash` first); absent in older records. */
  invites?: InviteRegistration[];
  /** Participants the host removed: their ids and last resume tokens stay refused (4403). */
  removed?: Array<{ id: string; resumeTokenHash?: string }>;
}

/** What the fan-out carries to every relay process that has connections in the session. */
export type Delivery =
  /**
   * A serialised relay message for participants: to one (`to`), or to all but `except`. `label`
   * names it for metrics and backpressure (`relayed:presence` may be dropped for a slow reader).
   */
  | {
    readonly type: 'message'; readonly frame: string; readonly label: string; readonly seq?: number; readonly to?: string;
    /** One participant, or several, that must not receive it. */
    readonly except?: string | readonly string[];
    /** The sender of a relayed message: a slow reader's presence is coalesced per sender. */
    readonly from?: string;
  }
  /** Close one participant's (or waiting guest's) connection; every connection when `participant` is absent. */
  | { readonly type: 'close'; readonly participant?: string; readonly except?: string; readonly code: number; readonly reason: string }
  /** The host approved a waiting guest: its connection completes the join. */
  | { readonly type: 'admit'; readonly participant: string };

export type DeliveryListener = (delivery: Delivery) => void;

export interface RelayedInput {
  readonly kind: RelayedKind;
  readonly from: string;
  readonly to?: string;
  /** Builds the frame once the sequence number is known. */
  readonly frame: (seq: number) => string;
}

export interface SessionStore {
  /** A copy of the record, for the caller to change and {@link save}. */
  get(session: string): Awaitable<SessionRecord | undefined>;
  /**
   * The session's participants with these ids, in the same order (undefined for an id that is not
   * in the session, and for every id when the session is gone). Read-only and possibly the store's
   * own objects: never change them; change a participant through {@link get} and {@link save}.
   */
  participants(session: string, ids: readonly string[]): Awaitable<ReadonlyArray<Readonly<ParticipantRecord> | undefined>>;
  save(record: SessionRecord): Awaitable<void>;
  /** Removes the session with its buffer and presence. */
  delete(session: string): Awaitable<void>;
  /** Live sessions created with the host access token whose hash is given. */
  countByToken(tokenHash: string): Awaitable<number>;
  count(): Awaitable<number>;

  /**
   * Atomically assigns the next sequence number, buffers the message for resume and publishes it.
   * Atomic so every participant sees messages in sequence order.
   */
  appendRelayed(session: string, message: RelayedInput): Awaitable<number>;
  replay(session: string, lastSeq: number): Awaitable<Replay>;

  /** Keeps `frame` as the participant's latest presence (volatile: overwritten, never buffered). */
  setPresence(session: string, participant: string, frame: string): Awaitable<void>;
  clearPresence(session: string, participant: string): Awaitable<void>;
  presence(session: string): Awaitable<ReadonlyMap<string, string>>;

  publish(session: string, delivery: Delivery): Awaitable<void>;
  /** Receives every delivery published to the session (by this process or another); returns an unsubscribe. */
  subscribe(session: string, listener: DeliveryListener): () => void;
}

export interface MemoryStoreLimits {
  readonly bufferMessages: number;
  readonly bufferBytes: number;
}

/** Made on first use: many sessions never relay a non-volatile message or a presence frame. */
interface SessionExtras {
  buffer?: ResumeBuffer;
  presence?: Map<string, string>;
}

/** The default store: everything in this process's memory. A relay restart loses it by design (soft state). */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private readonly extras = new Map<string, SessionExtras>();
  private readonly listeners = new Map<string, Set<DeliveryListener>>();

  constructor(private readonly limits: MemoryStoreLimits) {}

  get(session: string): SessionRecord | undefined {
    const record = this.records.get(session);
    // Hand out copies so a caller's unsaved changes never leak into the shared state.
    return record ? structuredClone(record) : undefined;
  }

  participants(session: string, ids: readonly string[]): ReadonlyArray<Readonly<ParticipantRecord> | undefined> {
    // No copy: this runs for every relayed message, and a clone of the whole record was a fifth of
    // the relay's CPU. The stored participants are frozen (see save), so a caller cannot change them.
    const participants = this.records.get(session)?.participants;
    // Own properties only: an id such as `constructor` must not find Object.prototype's.
    return ids.map((id) => (participants && Object.hasOwn(participants, id) ? participants[id] : undefined));
  }

  save(record: SessionRecord): void {
    const stored = structuredClone(record);
    for (const participant of Object.values(stored.participants)) Object.freeze(participant);
    this.records.set(record.id, stored);
    if (!this.extras.has(record.id)) this.extras.set(record.id, {});
  }

  delete(session: string): void {
    this.records.delete(session);
    this.extras.delete(session);
  }

  countByToken(tokenHash: string): number {
    let count = 0;
    for (const record of this.records.values()) if (record.hostTokenHash === tokenHash) count += 1;
    return count;
  }

  count(): number {
    return this.records.size;
  }

  appendRelayed(session: string, message: RelayedInput): number {
    const record = this.records.get(session);
    const extras = this.extras.get(session);
    if (!record || !extras) throw new Error(`appendRelayed on a missing session ${session}`);
    record.seq += 1;
    const seq = record.seq;
    const frame = message.frame(seq);
    const buffered: BufferedMessage = message.to === undefined
      ? { seq, kind: message.kind, from: message.from, frame }
      : { seq, kind: message.kind, from: message.from, to: message.to, frame };
    extras.buffer ??= new ResumeBuffer(this.limits.bufferMessages, this.limits.bufferBytes);
    extras.buffer.append(buffered);
    this.publish(session, message.to === undefined
      ? { type: 'message', frame, label: `relayed:${message.kind}`, seq, except: message.from }
      : { type: 'message', frame, label: `relayed:${message.kind}`, seq, to: message.to });
    return seq;
  }

  replay(session: string, lastSeq: number): Replay {
    const extras = this.extras.get(session);
    // A live session without a buffer has relayed nothing yet: nothing missed.
    if (extras) return extras.buffer?.since(lastSeq) ?? { gap: false, messages: [] };
    return { gap: lastSeq > 0, messages: [] };
  }

  setPresence(session: string, participant: string, frame: string): void {
    const extras = this.extras.get(session);
    if (!extras) return;
    extras.presence ??= new Map();
    extras.presence.set(participant, frame);
  }

  clearPresence(session: string, participant: string): void {
    this.extras.get(session)?.presence?.delete(participant);
  }

  presence(session: string): ReadonlyMap<string, string> {
    return new Map(this.extras.get(session)?.presence ?? []);
  }

  publish(session: string, delivery: Delivery): void {
    for (const listener of [...(this.listeners.get(session) ?? [])]) listener(delivery);
  }

  subscribe(session: string, listener: DeliveryListener): () => void {
    let set = this.listeners.get(session);
    if (!set) {
      set = new Set();
      this.listeners.set(session, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(session) === set) this.listeners.delete(session);
    };
  }
}
