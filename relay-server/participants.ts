/**
 * Small pure helpers over participant records, shared by the routing modules.
 */
import { encodeMessage, newSecret, type ErrorCode, type GuestRole, type Participant, type RelayMessage } from '../protocol';
import type { Peer } from './members';
import type { ParticipantRecord, SessionRecord, SessionStore } from './store';

/** Participant colours are indices into an 8-colour palette, lowest free first. */
const PALETTE_SIZE = 8;

export function newParticipantId(): string {
  return newSecret(9);
}

export function markOnline(participant: ParticipantRecord): void {
  participant.state = 'online';
  delete participant.expiresAt;
}

export function lowestFreeColor(record: SessionRecord): number {
  const used = new Set(Object.values(record.participants).map((participant) => participant.color));
  for (let color = 0; color < PALETTE_SIZE; color += 1) if (!used.has(color)) return color;
  return Object.keys(record.participants).length % PALETTE_SIZE;
}

export function addGuest(record: SessionRecord, id: string, name: string, role: GuestRole, rejoinHash?: string): void {
  record.participants[id] = { id, name, color: lowestFreeColor(record), role, state: 'online', ...(rejoinHash !== undefined ? { rejoinHash } : {}) };
}

/** A record as the host sees it: the public view plus the rejoin hash it re-registers after a relay restart. */
export function hostViewOf(participant: ParticipantRecord): Participant {
  const view = publicParticipant(participant);
  return participant.rejoinHash !== undefined ? { ...view, rejoinHash: participant.rejoinHash } : view;
}

/** A record as the wire shows it: no token hashes, no deadlines. */
export function publicParticipant(participant: ParticipantRecord): Participant {
  return { id: participant.id, name: participant.name, color: participant.color, role: participant.role, state: participant.state };
}

export function sendError(peer: Peer, code: ErrorCode, message: string, ref: string): void {
  peer.send({ type: 'error', code, message, ref });
}

export async function sendToHost(store: SessionStore, record: SessionRecord, message: RelayMessage): Promise<void> {
  await store.publish(record.id, { type: 'message', frame: encodeMessage(message), label: message.type, to: record.hostId });
}
