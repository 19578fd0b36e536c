/**
 * The wire message catalogue (protocol v1). Every WebSocket frame is one JSON text message of
 * this catalogue; docs/PROTOCOL.md describes each one. Frames are parsed and validated once, at
 * the edge, with {@link parseClientMessage} / {@link parseRelayMessage}; nothing downstream sees
 * unchecked input.
 *
 * Two families:
 * - control messages, read by the relay (hello, create, join, resume, approve, …);
 * - relayed messages (`send` from a client, `relayed` from the relay), whose `body` is opaque
 *   base64 bytes the relay never parses, so it can be encrypted end to end.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Session ids: 128 bits, base64url (22 characters), derived from the host secret. */
export const SessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'session id must be 22 base64url characters');
/** Participant ids are assigned by the relay. */
export const ParticipantIdSchema = z.string().regex(/^[A-Za-z0-9_-]{4,32}$/, 'participant id must be 4–32 base64url characters');
/** Secrets and hashes: base64url, at least 128 bits. */
export const SecretSchema = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, 'secret must be 22–128 base64url characters');
export const DisplayNameSchema = z.string().trim().min(1).max(64);

export const RoleSchema = z.enum(['host', 'editor', 'viewer']);
export type Role = z.infer<typeof RoleSchema>;
/** Roles the host can give a guest. */
export const GuestRoleSchema = z.enum(['editor', 'viewer']);
export type GuestRole = z.infer<typeof GuestRoleSchema>;

export const ParticipantStateSchema = z.enum(['online', 'reconnecting']);
export type ParticipantState = z.infer<typeof ParticipantStateSchema>;

export const ParticipantSchema = z.object({
  id: ParticipantIdSchema,
  name: DisplayNameSchema,
  /** Index into the palette of participant colours, assigned by the relay, stable for the session. */
  color: z.number().int().min(0).max(63),
  role: RoleSchema,
  state: ParticipantStateSchema,
  /**
   * SHA-256 of the participant's rejoin secret. Sent by the relay to the host only (in `joined`
   * and `roster`), so a host can re-register it after a relay restart; never to guests.
   */
  rejoinHash: z.string().regex(/^[A-Za-z0-9_-]{22,128}$/).optional(),
});
export type Participant = z.infer<typeof ParticipantSchema>;

export const SessionSettingsSchema = z.object({
  /** `auto`: anyone with the invite secret joins at once; `prompt`: the host approves each guest. */
  approval: z.enum(['auto', 'prompt']),
  defaultRole: GuestRoleSchema,
});
export type SessionSettings = z.infer<typeof SessionSettingsSchema>;

/**
 * Kinds of relayed message. The relay enforces roles by kind only (it never reads bodies):
 * `update` and `file-write` are writes, refused for viewers. `presence` is volatile.
 */
export const RelayedKindSchema = z.enum(['presence', 'sync', 'update', 'file', 'file-write']);
export type RelayedKind = z.infer<typeof RelayedKindSchema>;
export const WRITE_KINDS: ReadonlySet<RelayedKind> = new Set<RelayedKind>(['update', 'file-write']);
export const VOLATILE_KINDS: ReadonlySet<RelayedKind> = new Set<RelayedKind>(['presence']);

/** Standard base64 (with padding). Bodies are opaque to the relay beyond this shape. */
const Base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'body must be base64');

/** A participant as the host remembers it, used to re-register a session after a relay restart. */
export const RosterEntrySchema = z.object({
  id: ParticipantIdSchema,
  name: DisplayNameSchema,
  role: GuestRoleSchema,
  color: z.number().int().min(0).max(63),
  /** The guest's rejoin-secret hash as the host learnt it; a guest claiming this id must prove it. */
  rejoinHash: SecretSchema.optional(),
});
export type RosterEntry = z.infer<typeof RosterEntrySchema>;

/**
 * An invite the relay accepts for new joins, registered by the host (the secret stays in the
 * link). The relay enforces `role` (the role a guest joining with it gets) and `expiresAt`
 * (epoch ms; joins after it are refused with 4401).
 */
export const InviteRegistrationSchema = z.object({
  hash: SecretSchema,
  role: GuestRoleSchema.optional(),
  expiresAt: z.number().int().min(0).optional(),
});
export type InviteRegistration = z.infer<typeof InviteRegistrationSchema>;
/** Invites one session may have registered at once. */
export const MAX_INVITES = 16;

// ---------------------------------------------------------------------------------------------
// Client → relay

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().min(0),
  /** Free-form client identification for logs, e.g. `pairline-vscode/0.1.0`. */
  client: z.string().max(100),
});

export const CreateSchema = z.object({
  type: z.literal('create'),
  session: SessionIdSchema,
  /** Only the host knows it; the relay checks that `session` derives from it. */
  hostSecret: SecretSchema,
  /** SHA-256 of the invite secret (base64url); the relay never sees the invite secret itself at create. */
  inviteHash: SecretSchema,
  name: DisplayNameSchema,
  settings: SessionSettingsSchema,
  /** When re-registering after a relay restart: the host's previous participant id … */
  participant: ParticipantIdSchema.optional(),
  /** … and the guests it knew, so they get their ids and roles back. */
  roster: z.array(RosterEntrySchema).max(256).optional(),
  /** Further invites (viewer links, expiring links) accepted besides `inviteHash`. */
  invites: z.array(InviteRegistrationSchema).max(MAX_INVITES).optional(),
});

export const JoinSchema = z.object({
  type: z.literal('join'),
  session: SessionIdSchema,
  inviteSecret: SecretSchema,
  name: DisplayNameSchema,
  /** The id this guest had before a relay restart, to get it (and its role) back. */
  participant: ParticipantIdSchema.optional(),
  /** With `participant`: the rejoin secret whose hash the relay (or the host's roster) holds for that id. */
  rejoinSecret: SecretSchema.optional(),
  /** At a first join: SHA-256 of a fresh random rejoin secret the guest keeps for this session. */
  rejoinHash: SecretSchema.optional(),
});

export const ResumeSchema = z.object({
  type: z.literal('resume'),
  session: SessionIdSchema,
  resumeToken: SecretSchema,
  /** The highest sequence number this client has received; the relay replays what came after. */
  lastSeq: z.number().int().min(0),
});

export const ApproveSchema = z.object({ type: z.literal('approve'), participant: ParticipantIdSchema, role: GuestRoleSchema });
export const DenySchema = z.object({ type: z.literal('deny'), participant: ParticipantIdSchema });
export const SetRoleSchema = z.object({ type: z.literal('set-role'), participant: ParticipantIdSchema, role: GuestRoleSchema });
export const RemoveSchema = z.object({ type: z.literal('remove'), participant: ParticipantIdSchema });
export const LeaveSchema = z.object({ type: z.literal('leave') });
export const EndSchema = z.object({ type: z.literal('end') });
export const PingSchema = z.object({ type: z.literal('ping'), id: z.number().int().min(0) });
/**
 * Host only: replaces every registered invite. Old links stop working for new joins; participants
 * already in the session stay.
 */
export const RotateInviteSchema = z.object({
  type: z.literal('rotate-invite'),
  inviteHash: SecretSchema,
  invites: z.array(InviteRegistrationSchema).max(MAX_INVITES).optional(),
});

export const SendSchema = z.object({
  type: z.literal('send'),
  kind: RelayedKindSchema,
  /** One participant, or everyone else in the session when absent. */
  to: ParticipantIdSchema.optional(),
  body: Base64Schema,
});

export const ClientMessageSchema = z.discriminatedUnion('type', [
  HelloSchema, CreateSchema, JoinSchema, ResumeSchema, ApproveSchema, DenySchema, SetRoleSchema,
  RemoveSchema, LeaveSchema, EndSchema, PingSchema, SendSchema, RotateInviteSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

// ---------------------------------------------------------------------------------------------
// Relay → client

export const KindLimitsSchema = z.record(RelayedKindSchema, z.number().int().min(0));

export const WelcomeSchema = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  relay: z.object({ version: z.string() }),
  limits: z.object({
    /** Largest frame the relay accepts, in bytes. */
    maxPayload: z.number().int(),
    /** Largest body per relayed kind, in base64 characters. */
    kinds: KindLimitsSchema,
  }),
  /** How often the relay pings; a client may treat silence well beyond this as a dead link. */
  heartbeatMs: z.number().int(),
});

export const JoinedSchema = z.object({
  type: z.literal('joined'),
  session: SessionIdSchema,
  you: ParticipantSchema,
  roster: z.array(ParticipantSchema),
  settings: SessionSettingsSchema,
  /** The session's latest sequence number at the time of joining (after any replay that follows). */
  seq: z.number().int().min(0),
  /** Single-use token to resume this participant after a dropped connection. */
  resumeToken: SecretSchema,
  /** How long the relay keeps this participant's place after its connection drops. */
  resumeWindowMs: z.number().int().min(0),
  /** True when this is a resume of an earlier connection: same id, role and place. */
  resumed: z.boolean(),
  /**
   * True when the relay's buffer no longer reaches back to the client's last sequence number:
   * some relayed messages were lost to this client, which must resync in full.
   */
  gap: z.boolean(),
});

export const WaitingSchema = z.object({
  type: z.literal('waiting'),
  /** How long the relay waits for the host's answer before giving up (close 4408). */
  timeoutMs: z.number().int().min(0),
});

export const KnockSchema = z.object({
  type: z.literal('knock'),
  participant: z.object({ id: ParticipantIdSchema, name: DisplayNameSchema }),
});

export const KnockWithdrawnSchema = z.object({
  type: z.literal('knock-withdrawn'),
  participant: ParticipantIdSchema,
  reason: z.enum(['left', 'timeout', 'answered']),
});

export const RosterChangeSchema = z.object({
  type: z.literal('roster'),
  change: z.enum(['joined', 'left', 'updated']),
  participant: ParticipantSchema,
  /** For `left`: why (`left`, `removed`, `timeout` after the resume window, `ended`). */
  reason: z.string().max(200).optional(),
});

export const RelayedSchema = z.object({
  type: z.literal('relayed'),
  kind: RelayedKindSchema,
  /** The sender, stamped by the relay: a client cannot claim to be someone else. */
  from: ParticipantIdSchema,
  /** Per-session sequence number of non-volatile messages; absent for presence. */
  seq: z.number().int().min(1).optional(),
  /** Set when the message was addressed to one participant. */
  to: ParticipantIdSchema.optional(),
  body: Base64Schema,
});

export const PongSchema = z.object({ type: z.literal('pong'), id: z.number().int().min(0) });

/** To the host, after `rotate-invite`: how many invites the relay now accepts. */
export const InvitesUpdatedSchema = z.object({ type: z.literal('invites-updated'), count: z.number().int().min(0) });

/** Non-fatal refusals: the connection stays open, the offending message is dropped. */
export const ErrorCodeSchema = z.enum([
  'bad-message', 'forbidden', 'unknown-participant', 'not-joined', 'already-joined',
  'resume-failed', 'not-host',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorSchema = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  /** A sentence a person can act on. */
  message: z.string(),
  /** The `type` of the client message that caused it, when known. */
  ref: z.string().max(40).optional(),
});

export const RelayMessageSchema = z.discriminatedUnion('type', [
  WelcomeSchema, JoinedSchema, WaitingSchema, KnockSchema, KnockWithdrawnSchema, RosterChangeSchema,
  RelayedSchema, PongSchema, ErrorSchema, InvitesUpdatedSchema,
]);
export type RelayMessage = z.infer<typeof RelayMessageSchema>;
export type RelayMessageOf<T extends RelayMessage['type']> = Extract<RelayMessage, { type: T }>;

// ---------------------------------------------------------------------------------------------
// Parsing at the edge

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, raw: string): ParseResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: 'frame is not a JSON object' };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  const type = (data as { type?: unknown }).type;
  const what = typeof type === 'string' ? `"${type.slice(0, 40)}" message` : 'message';
  return { ok: false, error: `invalid ${what}${where}: ${issue?.message ?? 'schema mismatch'}` };
}

/** Parses one frame a client sent. Used by the relay. */
export function parseClientMessage(raw: string): ParseResult<ClientMessage> {
  return parseWith(ClientMessageSchema, raw);
}

/** Parses one frame the relay sent. Used by clients. */
export function parseRelayMessage(raw: string): ParseResult<RelayMessage> {
  return parseWith(RelayMessageSchema, raw);
}

/** Serialises a message of the catalogue. Typed so only catalogue messages can be sent. */
export function encodeMessage(message: ClientMessage | RelayMessage): string {
  return JSON.stringify(message);
}
