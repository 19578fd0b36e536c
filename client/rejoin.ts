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
 * - host command "rotate invite": `const next = rotatedInvite(); write(next.message)`, then use
 *   `next.secret` in new links and in later `create` re-registrations (`inviteHash`).
 */
import { hashSecret, newSecret, type ClientMessageOf, type InviteRegistration } from '../protocol';

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
