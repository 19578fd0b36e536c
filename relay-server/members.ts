/**
 * The participants connected to this relay process, grouped by session, and the delivery of
 * fan-out to them. Each session with at least one local member is subscribed to the store's
 * fan-out; the routing publishes, this module delivers to the sockets it holds.
 */
import type { RelayMessage } from '../protocol';
import type { Delivery, SessionStore } from './store';

/**
 * A serialised relay message bound for several sockets, encoded to UTF-8 once: handed a string,
 * `ws` measures and encodes it again for every receiver. Encoded on first use (a delivery that
 * reaches nobody costs nothing).
 */
export class OutgoingFrame {
  private encoded: Buffer | undefined;

  constructor(readonly text: string) {}

  get data(): Buffer {
    this.encoded ??= Buffer.from(this.text, 'utf8');
    return this.encoded;
  }
}

/** A frame as the routing hands it to a {@link Peer}: plain text, or encoded once for many receivers. */
export type Frame = string | OutgoingFrame;

/** One WebSocket connection, as the routing sees it (implemented by connection.ts). */
export interface Peer {
  /** Short random id for logs. */
  readonly connectionId: string;
  /** SHA-256 of the host access token presented at the upgrade, if any (never the token). */
  readonly tokenHash: string | undefined;
  send(message: RelayMessage): void;
  /** Sends an already serialised relay message; `label` names it for metrics; `from` is a relayed message's sender. */
  sendFrame(frame: Frame, label: string, from?: string): void;
  close(code: number, reason: string): void;
  /** The connection has joined or is waiting for approval: its pre-auth deadline no longer applies. */
  settle(): void;
}

export class Member {
  /** Highest sequence number delivered to this connection; older or equal ones are never sent again. */
  lastSeq = 0;
  /** While set, fan-out is queued here (the joined message and the replay must go first). */
  held: Array<{ frame: Frame; label: string; seq?: number; from?: string }> | undefined;

  constructor(
    readonly peer: Peer,
    readonly session: string,
    readonly participant: string,
    public state: 'waiting' | 'joined',
  ) {}

  deliverFrame(frame: Frame, label: string, seq?: number, from?: string): void {
    if (this.held) {
      this.held.push({ frame, label, ...(seq !== undefined ? { seq } : {}), ...(from !== undefined ? { from } : {}) });
      return;
    }
    if (seq !== undefined) {
      if (seq <= this.lastSeq) return;
      this.lastSeq = seq;
    }
    this.peer.sendFrame(frame, label, from);
  }

  /** Sends what was queued while held, skipping anything a replay already delivered. */
  release(): void {
    const queued = this.held ?? [];
    this.held = undefined;
    for (const item of queued) this.deliverFrame(item.frame, item.label, item.seq, item.from);
  }
}

export interface MemberEvents {
  /** The host admitted this waiting member. */
  onAdmit(member: Member): void;
}

export class LocalMembers {
  private readonly sessions = new Map<string, { unsubscribe: () => void; members: Map<string, Member> }>();
  private readonly byPeer = new Map<Peer, Member>();

  constructor(
    private readonly store: SessionStore,
    private readonly events: MemberEvents,
  ) {}

  of(peer: Peer): Member | undefined {
    return this.byPeer.get(peer);
  }

  get(session: string, participant: string): Member | undefined {
    return this.sessions.get(session)?.members.get(participant);
  }

  /** Participants online on this process (for metrics). */
  onlineCount(): number {
    let count = 0;
    for (const member of this.byPeer.values()) if (member.state === 'joined') count += 1;
    return count;
  }

  add(member: Member): void {
    let local = this.sessions.get(member.session);
    if (!local) {
      const members = new Map<string, Member>();
      local = { members, unsubscribe: this.store.subscribe(member.session, (delivery) => this.deliver(members, delivery)) };
      this.sessions.set(member.session, local);
    }
    local.members.set(member.participant, member);
    this.byPeer.set(member.peer, member);
  }

  /** Forgets a member, so the close of its socket is no longer a disconnect of the participant. */
  remove(member: Member): void {
    if (this.byPeer.get(member.peer) === member) this.byPeer.delete(member.peer);
    const local = this.sessions.get(member.session);
    if (!local || local.members.get(member.participant) !== member) return;
    local.members.delete(member.participant);
    if (local.members.size === 0) {
      local.unsubscribe();
      this.sessions.delete(member.session);
    }
  }

  all(): Member[] {
    return [...this.byPeer.values()];
  }

  private deliver(members: Map<string, Member>, delivery: Delivery): void {
    switch (delivery.type) {
      case 'message': {
        // No copy of the map per message: delivering never adds or removes a member synchronously
        // (a socket closed for falling behind leaves on its close event), and a Map iterates
        // safely past deletions anyway. One encoded frame for all the receivers.
        const frame = new OutgoingFrame(delivery.frame);
        for (const member of members.values()) {
          if (member.state !== 'joined') continue;
          if (delivery.to !== undefined ? member.participant !== delivery.to : excluded(delivery.except, member.participant)) continue;
          member.deliverFrame(frame, delivery.label, delivery.seq, delivery.from);
        }
        return;
      }
      case 'close':
        for (const member of [...members.values()]) {
          if (delivery.participant !== undefined && member.participant !== delivery.participant) continue;
          if (delivery.except !== undefined && member.participant === delivery.except) continue;
          this.remove(member);
          member.peer.close(delivery.code, delivery.reason);
        }
        return;
      case 'admit': {
        const member = members.get(delivery.participant);
        if (member?.state === 'waiting') this.events.onAdmit(member);
        return;
      }
      default: {
        const unreachable: never = delivery;
        throw new Error(`unknown delivery ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

function excluded(except: string | readonly string[] | undefined, participant: string): boolean {
  return typeof except === 'string' ? except === participant : except?.includes(participant) ?? false;
}
