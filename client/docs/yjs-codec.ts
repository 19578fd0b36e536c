/**
 * Small Yjs helpers shared by the document sync engine: base64 for the wire, digests that let two
 * replicas compare state cheaply, and a validator that refuses updates a `Y.Text` document could
 * not have produced before they touch a real document.
 */
import { createHash } from 'node:crypto';
import { Y, type Doc } from './yjs';

/** The one root type every shared document holds. */
export const TEXT_NAME = 'text';

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function sha1(data: Uint8Array | string): string {
  return createHash('sha1').update(data).digest('base64');
}

/** SHA-1 of the UTF-8 text: what `hash` and `saved` carry. */
export function textHash(text: string): string {
  return sha1(text);
}

/**
 * SHA-1 of the encoded snapshot (state vector and delete set, both encoded in a canonical order
 * by Yjs). Two replicas with the same digest integrated the same operations, so their texts must
 * be equal; unlike the state vector alone it also tells apart a replica still missing a deletion
 * (deletions do not advance the state vector).
 */
export function stateDigest(doc: Doc): string {
  return sha1(Y.encodeSnapshot(Y.snapshot(doc)));
}

export type UpdateCheck = { ok: true } | { ok: false; reason: string };

/**
 * Parses an update without applying it and refuses anything but plain text content in the root
 * `Y.Text`: garbage bytes, other root types, nested types, embeds and formatting. Cheap (one
 * decode, no clone of the document), so it runs for every inbound update.
 */
export function checkTextUpdate(update: Uint8Array): UpdateCheck {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (err) {
    return { ok: false, reason: `not a Yjs update (${err instanceof Error ? err.message : 'decode failed'})` };
  }
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) continue; // GC and Skip carry no content
    const parent: unknown = struct.parent;
    if (parent !== null && parent !== TEXT_NAME) return { ok: false, reason: 'update touches a type other than the shared text' };
    if (struct.parentSub !== null) return { ok: false, reason: 'update holds map entries, not text' };
    if (!(struct.content instanceof Y.ContentString) && !(struct.content instanceof Y.ContentDeleted)) {
      return { ok: false, reason: `update holds ${struct.content.constructor.name}, not plain text` };
    }
  }
  return { ok: true };
}

/** True when `a` has integrated everything `b` has (per client clock). */
export function dominates(a: Map<number, number>, b: Map<number, number>): boolean {
  for (const [client, clock] of b) {
    if ((a.get(client) ?? 0) < clock) return false;
  }
  return true;
}
