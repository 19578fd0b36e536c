/**
 * Resume bookkeeping: who we are in the session and how to get our place back. Decides what the
 * client says after `welcome` — `resume` with the latest single-use token when it has one, else a
 * `create` (host) or `join` (guest) that carries our previous participant id, so that even after a
 * relay restart (soft state lost) everybody keeps their ids.
 */
import {
  deriveSessionId, hashSecret, type ClientMessage, type Participant, type RelayMessageOf,
  type RosterEntry, type SessionSettings,
} from '../protocol';
import type { ResumeState } from './api';
import { RejoinSecret, rejoinFields } from './rejoin';

/** The fixed facts of our membership (secrets included: never log this object). */
export interface Membership {
  readonly side: 'host' | 'guest';
  readonly relay: string;
  readonly session: string;
  readonly name: string;
  readonly inviteSecret: string;
  readonly key?: string;
  readonly hostSecret?: string;
  readonly settings?: SessionSettings;
}

export class ResumeBook {
  private participant: string | undefined;
  private resumeToken: string | undefined;
  private lastSeqSeen = 0;
  private joinedBefore = false;
  /** Host only: guests as last seen, offered to a restarted relay. */
  private knownGuests: RosterEntry[] = [];
  /** Guest only: proves to a restarted relay that a previous participant id is really ours. */
  private readonly rejoin: RejoinSecret;

  constructor(readonly membership: Membership, saved?: ResumeState) {
    this.rejoin = new RejoinSecret(saved?.rejoinSecret);
    if (membership.side === 'host' && membership.hostSecret && deriveSessionId(membership.hostSecret) !== membership.session) {
      throw new Error('the host secret does not certify this session id');
    }
    if (saved) {
      this.participant = saved.participant;
      this.resumeToken = saved.resumeToken;
      this.lastSeqSeen = saved.lastSeq;
      this.knownGuests = [...(saved.roster ?? [])];
      // A saved state means we were in the session: whatever we get back needs a resync unless resumed.
      this.joinedBefore = saved.participant !== undefined;
    }
  }

  get lastSeq(): number {
    return this.lastSeqSeen;
  }

  get participantId(): string | undefined {
    return this.participant;
  }

  get hasResumeToken(): boolean {
    return this.resumeToken !== undefined;
  }

  /** What to send once the relay has welcomed us. */
  openingMessage(): ClientMessage {
    const { session } = this.membership;
    if (this.resumeToken) return { type: 'resume', session, resumeToken: this.resumeToken, lastSeq: this.lastSeqSeen };
    return this.rejoinMessage();
  }

  /** The relay refused the resume (token spent or unknown, relay restarted): join or re-register instead. */
  fallback(): ClientMessage {
    this.resumeToken = undefined;
    return this.rejoinMessage();
  }

  /** Forget the token (e.g. the relay no longer has the session, so the token is worthless). */
  dropToken(): void {
    this.resumeToken = undefined;
  }

  /** Records a `joined`; returns whether relayed messages may have been missed. */
  noteJoined(joined: RelayMessageOf<'joined'>): { needsResync: boolean } {
    const needsResync = joined.gap || (!joined.resumed && this.joinedBefore);
    this.participant = joined.you.id;
    this.resumeToken = joined.resumeToken;
    // On a resume the replay follows `joined`, so lastSeq advances as it arrives. A fresh join
    // starts from the relay's current number (a restarted relay counts from zero again).
    if (!joined.resumed) this.lastSeqSeen = joined.seq;
    this.joinedBefore = true;
    return { needsResync };
  }

  /** Accepts a relayed sequence number; false for a duplicate of one already delivered. */
  acceptSeq(seq: number | undefined): boolean {
    if (seq === undefined) return true;
    if (seq <= this.lastSeqSeen) return false;
    this.lastSeqSeen = seq;
    return true;
  }

  /** Host: remember the guests so a re-registration can hand them their places back. */
  rememberRoster(roster: readonly Participant[]): void {
    if (this.membership.side !== 'host') return;
    this.knownGuests = roster
      .filter((entry): entry is Participant & { role: 'editor' | 'viewer' } => entry.role !== 'host')
      .map(({ id, name, role, color, rejoinHash }) => ({ id, name, role, color, ...(rejoinHash ? { rejoinHash } : {}) }));
  }

  snapshot(): ResumeState {
    const { side, relay, session, name, inviteSecret, key, hostSecret, settings } = this.membership;
    return {
      version: 1, relay, session, name, side, inviteSecret, lastSeq: this.lastSeqSeen,
      ...(this.participant ? { participant: this.participant } : {}),
      ...(this.resumeToken ? { resumeToken: this.resumeToken } : {}),
      ...(key ? { key } : {}),
      ...(side === 'host' ? { hostSecret, settings, roster: [...this.knownGuests] } : { rejoinSecret: this.rejoin.secret }),
    };
  }

  private rejoinMessage(): ClientMessage {
    const { side, session, name, inviteSecret, hostSecret, settings } = this.membership;
    if (side === 'guest') return { type: 'join', session, inviteSecret, name, ...rejoinFields(this.rejoin, this.participant) };
    const participant = this.participant ? { participant: this.participant } : {};
    if (!hostSecret || !settings) throw new Error('a host needs its host secret and settings');
    const roster = this.participant && this.knownGuests.length > 0 ? { roster: [...this.knownGuests] } : {};
    return { type: 'create', session, hostSecret, inviteHash: hashSecret(inviteSecret), name, settings, ...participant, ...roster };
  }
}
