/**
 * Invites, removals and rejoin proofs over a session record: the rules the routing applies when
 * someone presents an invite secret or claims a participant id. Pure functions over the record,
 * so the rules read in one place.
 */
import { MAX_INVITES, hashSecret, secretsEqual, type GuestRole, type InviteRegistration } from '../protocol';
import type { ParticipantRecord, SessionRecord } from './store';

/** Removed participants a session remembers (the oldest are forgotten beyond this). */
const MAX_REMOVED = 256;

export type InviteCheck =
  | { readonly ok: true; readonly role: GuestRole }
  | { readonly ok: false; readonly reason: string };

/** The invites a session accepts: the primary hash plus the registered ones. */
export function registeredInvites(primaryHash: string, extra: readonly InviteRegistration[] | undefined): InviteRegistration[] {
  const invites: InviteRegistration[] = [{ hash: primaryHash }];
  for (const invite of extra ?? []) {
    if (invites.length >= MAX_INVITES) break;
    if (!invites.some((known) => known.hash === invite.hash)) invites.push(invite);
  }
  return invites;
}

/** Which invite, if any, an invite secret matches, and the role it gives. */
export function checkInvite(record: SessionRecord, inviteSecret: string, now: number): InviteCheck {
  const hash = hashSecret(inviteSecret);
  const invites = record.invites ?? [{ hash: record.inviteHash }];
  const invite = invites.find((candidate) => secretsEqual(candidate.hash, hash));
  if (!invite) return { ok: false, reason: 'the invite secret is wrong or no longer valid (the host may have replaced the link)' };
  if (invite.expiresAt !== undefined && invite.expiresAt <= now) {
    return { ok: false, reason: `this invite link expired on ${new Date(invite.expiresAt).toISOString()}; ask the host for a new one` };
  }
  return { ok: true, role: invite.role ?? record.settings.defaultRole };
}

/** Remembers a removed participant so neither its resume token nor its id brings it back. */
export function rememberRemoved(record: SessionRecord, participant: ParticipantRecord): void {
  const removed = record.removed ?? [];
  removed.push(participant.resumeTokenHash !== undefined ? { id: participant.id, resumeTokenHash: participant.resumeTokenHash } : { id: participant.id });
  record.removed = removed.slice(-MAX_REMOVED);
}

export function wasRemovedId(record: SessionRecord, id: string): boolean {
  return (record.removed ?? []).some((entry) => entry.id === id);
}

export function wasRemovedToken(record: SessionRecord, tokenHash: string): boolean {
  return (record.removed ?? []).some((entry) => entry.resumeTokenHash !== undefined && secretsEqual(entry.resumeTokenHash, tokenHash));
}

/**
 * Whether a join may take `previous`'s place. A place whose rejoin hash is known needs the
 * matching secret; a place without one (registered by a host that predates rejoin proofs) is
 * still given back on the invite alone, as before.
 */
export function rejoinAllowed(previous: ParticipantRecord, rejoinSecret: string | undefined): boolean {
  if (previous.rejoinHash === undefined) return true;
  return rejoinSecret !== undefined && secretsEqual(hashSecret(rejoinSecret), previous.rejoinHash);
}
