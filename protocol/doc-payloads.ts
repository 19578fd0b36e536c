/**
 * Document sync payloads: shared documents are Yjs `Y.Text`s keyed by workspace-relative path.
 * They travel inside relayed bodies (after the body codec opens them), as UTF-8 JSON validated
 * with {@link parsePayload}. Yjs binary (updates, state vectors) is carried as standard base64.
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
import { WorkspacePathSchema } from './payloads';

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

/** Anyone with write access → everyone: a Yjs update of `doc`. */
export const UpdatePayloadSchema = z.object({ type: z.literal('update'), doc: WorkspacePathSchema, update: Base64Schema });
export type UpdatePayload = z.infer<typeof UpdatePayloadSchema>;

// ---------------------------------------------------------------------------------------------
// kind `file-write`

/** Guest (editor) → host, direct: write the document's current text to disk. */
export const SavePayloadSchema = z.object({ type: z.literal('save'), doc: WorkspacePathSchema });
export type SavePayload = z.infer<typeof SavePayloadSchema>;
