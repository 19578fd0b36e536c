/**
 * Opening relayed messages at our edge: the body codec (decrypt and authenticate against the
 * relay-stamped sender), then the payload schema. Anything that fails is dropped with a sentence,
 * never thrown: one bad message from one peer must not take the session down.
 */
import {
  BodyError, parsePayload, PresencePayloadSchema,
  type BodyCodec, type Participant, type RelayMessageOf,
} from '../protocol';
import type { Inbound, RemotePresence } from './api';

export type Opened =
  | { readonly type: 'presence'; readonly value: RemotePresence }
  | { readonly type: 'message'; readonly value: Inbound }
  /** `code` set: worth telling the person; absent: routine, log only. */
  | { readonly type: 'dropped'; readonly code?: string; readonly reason: string };

export function openRelayed(codec: BodyCodec, message: RelayMessageOf<'relayed'>, sender: Participant | undefined): Opened {
  const who = sender?.name ?? message.from;
  let payload: Uint8Array;
  try {
    payload = codec.open(message.kind, message.from, message.body);
  } catch (err) {
    const detail = err instanceof BodyError ? err.message : 'it could not be read';
    return { type: 'dropped', code: 'bad-body', reason: `Dropped a ${message.kind} message from ${who}: ${detail}.` };
  }
  if (message.kind !== 'presence') {
    // A sender missing from our roster is a race with its roster message; the payload still matters.
    const from = sender ?? { id: message.from, name: message.from, color: 0, role: 'viewer', state: 'online' };
    return { type: 'message', value: { kind: message.kind, from, payload, direct: message.to !== undefined } };
  }
  const parsed = parsePayload(PresencePayloadSchema, payload);
  if (!parsed.ok) return { type: 'dropped', code: 'bad-presence', reason: `Ignored presence from ${who}: ${parsed.error}.` };
  // A cursor for someone not on the roster would be a ghost nobody can remove.
  if (!sender) return { type: 'dropped', reason: 'presence from someone not on the roster' };
  return { type: 'presence', value: { from: sender, presence: parsed.payload } };
}
