/**
 * Document sync payloads: shared documents are Yjs `Y.Text`s keyed by workspace-relative path.
 * They travel inside relayed bodies (after the body codec opens them), as UTF-8 JSON validated
 * with {@link parsePayload}, with Yjs binary (state vectors, states) as standard base64 — except
 * `update`, the one sent per edit, which is binary: {@link encodeUpdatePayload}.
 *
 * Kinds:
 * - `sync` (any role): subscribe / state / unsubscribe / hash / resync / saved / doc-error;
 * - `update` (a write: the relay refuses it from viewers, and every participant checks again);
 * - `file-write`: `save`, a guest asking the host to write the document to disk. Other payloads
 *   of that kind belong to the file server (protocol/file-payloads.ts); each side ignores the
 *   other's `type`s.
 *
 * The exchange: a guest sends `subscribe{doc, sv}` to the host; the host answers `state{doc,
 * update, sv, digest}` with what the guest lacks plus its own state vector, so the guest can send
 * back (as an `update`) what the host lacks. From then on every edit is an `update` broadcast.
 */
import { z } from 'zod';
import { normaliseWorkspacePath } from './paths';
import { parsePayload, WorkspacePathSchema, type PayloadParseResult } from './payloads';

const Base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
/** Digests: base64 of SHA-1 (28 characters); a little slack for other algorithms later. */
const DigestSchema = z.string().regex(/^[A-Za-z0-9+/]{16,88}={0,2}$/, 'digest must be base64');
/** A host document instance id (see StateSchema.epoch). */
const EpochSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'epoch must be 8–64 base64url characters');

// ---------------------------------------------------------------------------------------------
// kind `sync`

/** Guest → host, direct: send me the document, I already have `sv` (empty state vector at first). */
export const SubscribeSchema = z.object({ type: z.literal('subscribe'), doc: WorkspacePathSchema, sv: Base64Schema });

/**
 * Host → guest, direct: the answer to `subscribe` or `resync`. `update` holds what the guest's
 * state vector lacks (everything for `reset`); `sv` and `digest` describe the host's state so the
 * guest can tell whether the host lacks anything of its own.
 */
export const StateSchema = z.object({
  type: z.literal('state'),
  doc: WorkspacePathSchema,
  update: Base64Schema,
  sv: Base64Schema,
  /** SHA-1 of the host's encoded Yjs snapshot (state vector + delete set). */
  digest: DigestSchema,
  /** Set in answer to `resync`: drop the local copy and take this full state. */
  reset: z.boolean().optional(),
  /**
   * Identifies the host's copy of the document (new each time the host loads it). When it
   * changes — the host's process restarted and loaded the file afresh — the guest's copy shares
   * no history with the host's and must be replaced, not merged (merging would duplicate text).
   */
  epoch: EpochSchema,
});

/** Guest → host, direct: I closed the document. */
export const UnsubscribeSchema = z.object({ type: z.literal('unsubscribe'), doc: WorkspacePathSchema });

/**
 * Host → everyone, periodically, for documents with subscribers: cheap desync detection. A guest
 * whose snapshot digest equals `digest` must have the same text; if its `hash` differs, its copy
 * is corrupt and it resyncs. Different digests just mean updates are still in flight.
 */
export const HashSchema = z.object({
  type: z.literal('hash'),
  doc: WorkspacePathSchema,
  /** SHA-1 of the UTF-8 text. */
  hash: DigestSchema,
  /** Length of the text in UTF-16 code units. */
  length: z.number().int().min(0),
  digest: DigestSchema,
  /** The host's state vector, for anti-entropy (a guest notices what either side still lacks). */
  sv: Base64Schema,
  epoch: EpochSchema,
});

/** Guest → host, direct: my copy is corrupt; send me your full state (answered with `state{reset}`). */
export const ResyncSchema = z.object({ type: z.literal('resync'), doc: WorkspacePathSchema });

/** Host → everyone: the document was written to disk; `hash` is the text that was saved. */
export const SavedSchema = z.object({ type: z.literal('saved'), doc: WorkspacePathSchema, hash: DigestSchema });

export const DocErrorCodeSchema = z.enum([
  'not-found', 'excluded', 'too-large', 'outside-workspace', 'read-only', 'save-failed', 'unavailable',
]);
export type DocErrorCode = z.infer<typeof DocErrorCodeSchema>;

/** Host → guest, direct: the request for `doc` was refused. Never contains document text. */
export const DocErrorSchema = z.object({
  type: z.literal('doc-error'),
  /** The path as the guest sent it, when it could not be validated (then `code` is outside-workspace). */
  doc: z.string().max(1024),
  code: DocErrorCodeSchema,
  message: z.string().max(500),
  /** For `too-large`: the host's limit in bytes. */
  limit: z.number().int().min(0).optional(),
});

export const SyncPayloadSchema = z.discriminatedUnion('type', [
  SubscribeSchema, StateSchema, UnsubscribeSchema, HashSchema, ResyncSchema, SavedSchema, DocErrorSchema,
]);
export type SyncPayload = z.infer<typeof SyncPayloadSchema>;
export type SyncPayloadOf<T extends SyncPayload['type']> = Extract<SyncPayload, { type: T }>;

/**
 * The same catalogue with `doc` unchecked, used only to answer a refused path with `doc-error`
 * (the strict schema would reject the whole message, losing who asked for what).
 */
export const LooseDocRequestSchema = z.object({ type: z.string().max(40), doc: z.string().max(1024) });

// ---------------------------------------------------------------------------------------------
// kind `update`

/**
 * Anyone with write access → everyone: a Yjs update of `doc`, in the JSON form. Still accepted
 * (older clients send it, and it carries paths that are not well-formed UTF-16); sent only for such
 * paths. Otherwise an update travels in the binary form below.
 */
export const UpdatePayloadSchema = z.object({ type: z.literal('update'), doc: WorkspacePathSchema, update: Base64Schema });
export type UpdatePayload = z.infer<typeof UpdatePayloadSchema>;

/**
 * First byte of a binary update payload:
 * `0x01 ‖ path length (2, big endian) ‖ path (UTF-8, normalised) ‖ Yjs update (the rest)`.
 * A JSON payload starts with `{` (0x7b), so a receiver tells the two forms apart by that byte.
 * One base64 layer (the body's) instead of two, no JSON names: a one-character edit of
 * `src/shared.ts` is about 40 bytes instead of about 100.
 */
export const BINARY_UPDATE_TAG = 0x01;
const JSON_OPEN_BRACE = 0x7b;
const PATH_LENGTH_BYTES = 2;
/** Paths are at most 1,024 UTF-16 units (protocol/paths.ts), so at most 3,072 UTF-8 bytes. */
const MAX_PATH_BYTES = 3 * 1024;

/** A decoded update, whichever form it came in. */
export interface DocumentUpdate {
  readonly doc: string;
  readonly update: Uint8Array;
}

/** An update payload that cannot be read. The only error {@link decodeUpdatePayload} throws. */
export class DocPayloadError extends Error {
  override readonly name = 'DocPayloadError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes an update of `doc` (a normalised workspace path) for kind `update`: the binary form,
 * or the JSON form when the path does not survive UTF-8 (a lone surrogate). Throws a
 * {@link DocPayloadError} for a path that is not normalised or an empty update.
 */
export function encodeUpdatePayload(doc: string, update: Uint8Array): Uint8Array {
  const normalised = normaliseWorkspacePath(doc);
  if (!normalised.ok || normalised.path !== doc) throw new DocPayloadError('update path must be a normalised workspace path');
  if (update.length === 0) throw new DocPayloadError('update is empty');
  const path = Buffer.from(doc, 'utf8');
  if (path.toString('utf8') !== doc) {
    return Buffer.from(JSON.stringify({ type: 'update', doc, update: Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString('base64') }), 'utf8');
  }
  const out = Buffer.allocUnsafe(1 + PATH_LENGTH_BYTES + path.length + update.length);
  out[0] = BINARY_UPDATE_TAG;
  out.writeUInt16BE(path.length, 1);
  path.copy(out, 1 + PATH_LENGTH_BYTES);
  out.set(update, 1 + PATH_LENGTH_BYTES + path.length);
  return out;
}

/**
 * Decodes an update payload in either form. Strict: an unknown first byte, a truncated or empty
 * path, a path that is not UTF-8, not normalised or outside the workspace, or an empty update is
 * refused with a {@link DocPayloadError}, and nothing else is ever thrown. The Yjs content itself
 * is checked by the engine before it touches a document.
 */
export function decodeUpdatePayload(bytes: Uint8Array): DocumentUpdate {
  if (bytes.length === 0) throw new DocPayloadError('update payload is empty');
  if (bytes[0] === JSON_OPEN_BRACE) {
    const parsed = parsePayload(UpdatePayloadSchema, bytes);
    if (!parsed.ok) throw new DocPayloadError(parsed.error);
    return { doc: parsed.payload.doc, update: new Uint8Array(Buffer.from(parsed.payload.update, 'base64')) };
  }
  if (bytes[0] !== BINARY_UPDATE_TAG) throw new DocPayloadError(`unknown update payload format 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`);
  const start = 1 + PATH_LENGTH_BYTES;
  if (bytes.length < start) throw new DocPayloadError('update payload is truncated');
  const pathBytes = ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
  if (pathBytes === 0 || pathBytes > MAX_PATH_BYTES) throw new DocPayloadError(`update path length ${pathBytes} is out of range`);
  if (bytes.length < start + pathBytes) throw new DocPayloadError('update payload is truncated');
  let doc: string;
  try {
    doc = strictUtf8.decode(bytes.subarray(start, start + pathBytes));
  } catch {
    throw new DocPayloadError('update path is not UTF-8');
  }
  const normalised = normaliseWorkspacePath(doc);
  if (!normalised.ok) throw new DocPayloadError(`update path refused: ${normalised.error}`);
  // Senders write normalised paths; any other spelling did not come from a Pairline encoder.
  if (normalised.path !== doc) throw new DocPayloadError('update path is not normalised');
  const update = bytes.subarray(start + pathBytes);
  if (update.length === 0) throw new DocPayloadError('update payload holds no update');
  return { doc, update };
}

/** {@link decodeUpdatePayload} as a result, like {@link parsePayload}. */
export function parseUpdatePayload(bytes: Uint8Array): PayloadParseResult<DocumentUpdate> {
  try {
    return { ok: true, payload: decodeUpdatePayload(bytes) };
  } catch (err) {
    if (err instanceof DocPayloadError) return { ok: false, error: err.message };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// kind `file-write`

/** Guest (editor) → host, direct: write the document's current text to disk. */
export const SavePayloadSchema = z.object({ type: z.literal('save'), doc: WorkspacePathSchema });
export type SavePayload = z.infer<typeof SavePayloadSchema>;
