/**
 * Rejoin proofs and invite rotation, client side. A guest makes one random rejoin secret per
 * session and sends its hash at its first join; to take its place back with `join{participant}`
 * (after a relay restart) it sends the secret itself. The host remembers each guest's hash (the
 * relay shows it to the host only) and re-registers it in its roster, so nobody else holding the
 * invite can take a disconnected guest's id.
 *
 * Hooks (files owned elsewhere):
 * - client/resume.ts, building `join`: `...rejoinFields(this.rejoin, previousParticipantId)`
 *   with `this.rejoin = new RejoinSecret()` kept (and persisted with the resume state) per session.
 * - client/resume.ts `rememberRoster`: keep `rejoinHash` from each Participant in the RosterEntry
 *   (`...(p.rejoinHash ? { rejoinHash: p.rejoinHash } : {})`).
 *
 * The host's invite links live in {@link HostInvites}: the main link's secret plus extra links
 * (viewer, expiring). A change is planned, sent as `rotate-invite`, and applied only once the
 * relay confirmed it, so the links we hand out are always ones the relay accepts; SessionClient
 * re-registers the applied set with every `create`.
 */
import {
  CloseCode, formatInviteLink, hashSecret, MAX_INVITES, newSecret,
  type ClientMessage, type ClientMessageOf, type GuestRole, type Invite, type InviteRegistration,
} from '../protocol';
import type { ExtraInvite, InviteLink, ResumeState } from './api';

export class RejoinSecret {
  readonly secret: string;
  readonly hash: string;

  /** `secret`: a saved one (after a reload); a fresh random one otherwise. */
  constructor(secret: string = newSecret()) {
    this.secret = secret;
    this.hash = hashSecret(secret);
  }
}

/** The rejoin fields of a `join`: the hash on a first join, the secret when claiming an id. */
export function rejoinFields(rejoin: RejoinSecret, previousParticipant: string | undefined): Pick<ClientMessageOf<'join'>, 'rejoinHash' | 'rejoinSecret' | 'participant'> {
  return previousParticipant === undefined
    ? { rejoinHash: rejoin.hash }
    : { participant: previousParticipant, rejoinSecret: rejoin.secret, rejoinHash: rejoin.hash };
}

/** A new invite secret and the `rotate-invite` message that registers it (plus optional extra links). */
export function rotatedInvite(extra: readonly InviteRegistration[] = []): { secret: string; message: ClientMessageOf<'rotate-invite'> } {
  const secret = newSecret();
  return { secret, message: { type: 'rotate-invite', inviteHash: hashSecret(secret), ...(extra.length > 0 ? { invites: [...extra] } : {}) } };
}

/** A planned change of the host's invite links: what to send, and what holds once confirmed. */
export interface InviteChange {
  readonly primary: string;
  readonly extras: readonly ExtraInvite[];
  /** The link this change creates (the new main one for a rotation). */
  readonly created: { readonly secret: string; readonly role?: GuestRole; readonly expiresAt?: number };
  readonly message: ClientMessageOf<'rotate-invite'>;
}

/** Host only: the invite links the relay accepts for our session. Holds secrets: never log it. */
export class HostInvites {
  private primarySecret: string;
  private extraInvites: ExtraInvite[];

  constructor(primary: string, extras: readonly ExtraInvite[] = []) {
    this.primarySecret = primary;
    this.extraInvites = [...extras];
  }

  /** The secret of the main invite link. */
  get primary(): string {
    return this.primarySecret;
  }

  get extras(): readonly ExtraInvite[] {
    return this.extraInvites;
  }

  /** The extra invites to register with `create`; ones already expired are left out. */
  registrations(now: number): InviteRegistration[] {
    return live(this.extraInvites, now).map(registration);
  }

  /** A new main link; every other link (the old main one and all extras) stops working for new joins. */
  rotation(): InviteChange {
    const next = rotatedInvite();
    return { primary: next.secret, extras: [], created: { secret: next.secret }, message: next.message };
  }

  /** One more link with a role and/or an expiry; the others keep working. Throws when no more fit. */
  addition(options: { readonly role?: GuestRole; readonly expiresAt?: number }, now: number): InviteChange {
    if (options.expiresAt !== undefined && options.expiresAt <= now) throw new Error('That invite link would already be expired: give an expiry in the future.');
    const kept = live(this.extraInvites, now);
    if (kept.length + 1 >= MAX_INVITES) {
      throw new Error(`The session already has ${kept.length + 1} invite links, the most a relay accepts. Rotate the invite link to start over.`);
    }
    const created = { secret: newSecret(), ...(options.role ? { role: options.role } : {}), ...(options.expiresAt !== undefined ? { expiresAt: Math.floor(options.expiresAt) } : {}) };
    const extras = [...kept, created];
    return {
      primary: this.primarySecret, extras, created,
      message: { type: 'rotate-invite', inviteHash: hashSecret(this.primarySecret), invites: extras.map(registration) },
    };
  }

  /** The relay confirmed the change. */
  apply(change: InviteChange): void {
    this.primarySecret = change.primary;
    this.extraInvites = [...change.extras];
  }

  /** The link for one of our invites, hints (`r=`, `e=`) included. */
  link(session: Pick<Invite, 'relay' | 'session' | 'key'>, invite: ExtraInvite): InviteLink {
    const { relay, key } = session;
    const hints = { ...(invite.role ? { role: invite.role } : {}), ...(invite.expiresAt !== undefined ? { expiresAt: invite.expiresAt } : {}) };
    return { link: formatInviteLink({ relay, session: session.session, inviteSecret: invite.secret, ...(key ? { key } : {}), ...hints }), ...hints };
  }

  /** A `create` (re-registration) carries the links as they are now, not as the session began. */
  intoCreate(message: ClientMessage, now: number): ClientMessage {
    if (message.type !== 'create') return message;
    const extras = this.registrations(now);
    return { ...message, inviteHash: hashSecret(this.primarySecret), ...(extras.length > 0 ? { invites: extras } : {}) };
  }

  /** The resume state with our current links, so a restarted host keeps handing out working ones. */
  intoResumeState(state: ResumeState): ResumeState {
    const extras = this.extraInvites;
    return { ...state, inviteSecret: this.primarySecret, ...(extras.length > 0 ? { invites: [...extras] } : {}) };
  }
}

function live(invites: readonly ExtraInvite[], now: number): ExtraInvite[] {
  return invites.filter((invite) => invite.expiresAt === undefined || invite.expiresAt > now);
}

function registration(invite: ExtraInvite): InviteRegistration {
  return {
    hash: hashSecret(invite.secret),
    ...(invite.role ? { role: invite.role } : {}),
    ...(invite.expiresAt !== undefined ? { expiresAt: invite.expiresAt } : {}),
  };
}

/**
 * A guest's sentence for a relay that refused its invite (close 4401 with an invite reason): the
 * generic "refused the credentials" would send a guest looking for an access token it never had.
 * Undefined for other closes, whose generic sentence stands.
 */
export function inviteRefusal(code: number, reason: string): string | undefined {
  if (code !== CloseCode.Unauthorized || !/invite/i.test(reason)) return undefined;
  return /expired/i.test(reason)
    ? 'The relay refused this invite link: it has expired. Ask the host for a new invite link.'
    : 'The relay refused this invite link: the host has replaced it with a new one (or it was copied incompletely). Ask the host for the current invite link.';
}
