/**
 * Payloads inside relayed bodies (after the body codec opens them). The relay never sees these;
 * participants validate them at their edge exactly like wire messages.
 */
import { z } from 'zod';
import { normaliseWorkspacePath } from './paths';

export const PositionSchema = z.object({
  line: z.number().int().min(0).max(10_000_000),
  character: z.number().int().min(0).max(10_000_000),
});
export type Position = z.infer<typeof PositionSchema>;

/**
 * Longest relative position, in base64url characters. Yjs encodes one in at most 22 bytes (kind,
 * two 53-bit ids, assoc), 30 characters; the cap keeps 64 anchored selections well inside the
 * relay's 16 KiB presence body.
 */
export const MAX_RELATIVE_POSITION_LENGTH = 32;

/**
 * A Yjs relative position of the shared document (`Y.encodeRelativePosition`), base64url without
 * padding. Only the shape is checked here; what it points at is checked where it is resolved.
 */
export const RelativePositionSchema = z.string()
  .min(2)
  .max(MAX_RELATIVE_POSITION_LENGTH)
  .regex(/^[A-Za-z0-9_-]+$/, 'relative position is not base64url')
  .refine((value) => value.length % 4 !== 1, 'relative position is not base64url');

/**
 * One end of a selection. `relative`, when the file is co-edited, follows its character while
 * others type; line/character stay for documents that are not shared and for older peers.
 */
export const SelectionEndSchema = PositionSchema.extend({ relative: RelativePositionSchema.optional() });
export type SelectionEnd = z.infer<typeof SelectionEndSchema>;

export const SelectionSchema = z.object({ anchor: SelectionEndSchema, head: SelectionEndSchema });
export type Selection = z.infer<typeof SelectionSchema>;

export const LineRangeSchema = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(0),
});
export type LineRange = z.infer<typeof LineRangeSchema>;

/** A workspace-relative path, normalised on parse; paths that escape the workspace fail. */
export const WorkspacePathSchema = z.string().transform((value, ctx) => {
  const result = normaliseWorkspacePath(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.error });
    return z.NEVER;
  }
  return result.path;
});

export const MAX_SELECTIONS = 64;

/** Where a participant is: volatile, latest wins. No file means "not in a shared file". */
export const PresencePayloadSchema = z.object({
  type: z.literal('presence'),
  file: WorkspacePathSchema.optional(),
  selections: z.array(SelectionSchema).max(MAX_SELECTIONS),
  visible: z.array(LineRangeSchema).max(8).optional(),
});
export type PresencePayload = z.infer<typeof PresencePayloadSchema>;

export type PayloadParseResult<T> = { ok: true; payload: T } | { ok: false; error: string };

/** Decodes UTF-8 JSON bytes and validates them against `schema`. */
export function parsePayload<T>(schema: z.ZodType<T>, bytes: Uint8Array): PayloadParseResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, error: 'payload is not valid JSON' };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, payload: result.data };
  const issue = result.error.issues[0];
  return { ok: false, error: `invalid payload${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'schema mismatch'}` };
}

export function encodePayload(payload: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
