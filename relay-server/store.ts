/**
 * Session state and fan-out, behind one small interface so a shared implementation (Redis: a
 * hash per session, INCR + XADD for sequence numbers and the resume buffer, pub/sub per session
 * for fan-out) can replace the in-memory one without touching the routing in sessions.ts.
 *
 * Methods return {@link Awaitable} values: the in-memory store answers synchronously, a networked
 * one with promises, and the routing awaits either. Records are plain data (serialisable);
 * the routing reads one, changes it and writes it back with {@link SessionStore.save}.
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
  get(session: string): Awaitable<SessionRecord | undefined>;
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

interface SessionExtras {
  readonly buffer: ResumeBuffer;
  readonly presence: Map<string, string>;
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

  save(record: SessionRecord): void {
    this.records.set(record.id, structuredClone(record));
    if (!this.extras.has(record.id)) {
      this.extras.set(record.id, { buffer: new ResumeBuffer(this.limits.bufferMessages, this.limits.bufferBytes), presence: new Map() });
    }
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
    extras.buffer.append(buffered);
    this.publish(session, message.to === undefined
      ? { type: 'message', frame, label: `relayed:${message.kind}`, seq, except: message.from }
      : { type: 'message', frame, label: `relayed:${message.kind}`, seq, to: message.to });
    return seq;
  }

  replay(session: string, lastSeq: number): Replay {
    return this.extras.get(session)?.buffer.since(lastSeq) ?? { gap: lastSeq > 0, messages: [] };
  }

  setPresence(session: string, participant: string, frame: string): void {
    this.extras.get(session)?.presence.set(participant, frame);
  }

  clearPresence(session: string, participant: string): void {
    this.extras.get(session)?.presence.delete(participant);
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
