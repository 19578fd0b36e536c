/**
 * File payloads: how guests browse, read and (as editors) change the host's shared folders.
 * They travel inside relayed bodies of kind `file` (reads, answers, change events) and
 * `file-write` (changes; the relay refuses this kind from viewers and the host checks again).
 *
 * Paths are workspace-relative and normalised ({@link WorkspacePathSchema}). When the host
 * shares one folder, paths are relative to it (`src/a.ts`, `.` is the folder). When it shares
 * several, the first segment names the folder (`api/src/a.ts`) and `.` is a virtual directory
 * holding one entry per folder — the same convention as VS Code's `asRelativePath`. The `roots`
 * request tells a guest which case applies.
 *
 * Every request carries an `id` the requester chooses; the host answers to the requester only
 * (`result`, `chunk` or `file-error` with the same id). `changes` is broadcast.
 */
import { z } from 'zod';
import { WorkspacePathSchema } from './payloads';

/** Largest page a `readdir` or `list-files` answer holds. */
export const MAX_PAGE_ENTRIES = 500;
/** Raw bytes per `chunk` (256 KiB; about 350,000 base64 characters on the wire). */
export const FILE_CHUNK_BYTES = 256 * 1024;
/** Chunks the host sends ahead of the reader's acknowledgements, so a slow guest is not flooded. */
export const READ_WINDOW_CHUNKS = 4;
/** Most change events in one `changes` message; larger bursts are split. */
export const MAX_CHANGES_PER_MESSAGE = 500;

const RequestIdSchema = z.string().min(1).max(64);
const Base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'data must be base64');
/** Opaque continuation token of a paged answer. */
const CursorSchema = z.string().max(2048);
const PageLimitSchema = z.number().int().min(1).max(MAX_PAGE_ENTRIES);

export const FileTypeSchema = z.enum(['file', 'directory']);
export type FileType = z.infer<typeof FileTypeSchema>;

/** What `stat` answers; times are milliseconds since the epoch. */
export const FileStatSchema = z.object({
  type: FileTypeSchema,
  size: z.number().int().min(0),
  mtime: z.number().min(0),
  ctime: z.number().min(0),
  /** Set when the guest may not change it (viewer role, or the host made the share read-only). */
  readonly: z.boolean().optional(),
});
export type FileStat = z.infer<typeof FileStatSchema>;

export const DirectoryEntrySchema = z.object({
  name: z.string().min(1).max(255),
  type: FileTypeSchema,
});
export type DirectoryEntry = z.infer<typeof DirectoryEntrySchema>;

// ---------------------------------------------------------------------------------------------
// Guest → host, kind `file`

export const RootsRequestSchema = z.object({ type: z.literal('roots'), id: RequestIdSchema });
export const StatRequestSchema = z.object({ type: z.literal('stat'), id: RequestIdSchema, path: WorkspacePathSchema });
export const ReaddirRequestSchema = z.object({
  type: z.literal('readdir'),
  id: RequestIdSchema,
  path: WorkspacePathSchema,
  cursor: CursorSchema.optional(),
  limit: PageLimitSchema.optional(),
});
export const ReadRequestSchema = z.object({ type: z.literal('read'), id: RequestIdSchema, path: WorkspacePathSchema });
/** The reader got chunk `index`; the host may send up to {@link READ_WINDOW_CHUNKS} beyond it. */
export const ReadAckSchema = z.object({ type: z.literal('read-ack'), id: RequestIdSchema, index: z.number().int().min(0) });
/** Every shareable file (not directories), for "Go to File…". */
export const ListFilesRequestSchema = z.object({
  type: z.literal('list-files'),
  id: RequestIdSchema,
  cursor: CursorSchema.optional(),
  limit: PageLimitSchema.optional(),
});
/** The requester gave up (timeout, closed editor): the host stops streaming. */
export const CancelSchema = z.object({ type: z.literal('cancel'), id: RequestIdSchema });

// ---------------------------------------------------------------------------------------------
// Host → guest, kind `file`

export const RootInfoSchema = z.object({ name: z.string().min(1).max(255) });

export const ResultValueSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('roots'), roots: z.array(RootInfoSchema).max(64), prefixed: z.boolean() }),
  z.object({ op: z.literal('stat'), stat: FileStatSchema }),
  z.object({ op: z.literal('readdir'), entries: z.array(DirectoryEntrySchema).max(MAX_PAGE_ENTRIES), cursor: CursorSchema.optional() }),
  z.object({ op: z.literal('list-files'), files: z.array(z.string().max(1024)).max(MAX_PAGE_ENTRIES), cursor: CursorSchema.optional(), truncated: z.boolean() }),
  /** First answer to `read`: the size, before the chunks follow. */
  z.object({ op: z.literal('read'), size: z.number().int().min(0), chunks: z.number().int().min(0) }),
  /** A write chunk arrived; the writer may send the next one. */
  z.object({ op: z.literal('write-ack'), index: z.number().int().min(0) }),
  /** A change request completed. */
  z.object({ op: z.literal('done') }),
]);
export type ResultValue = z.infer<typeof ResultValueSchema>;

export const ResultSchema = z.object({ type: z.literal('result'), id: RequestIdSchema, result: ResultValueSchema });
export const ChunkSchema = z.object({
  type: z.literal('chunk'),
  id: RequestIdSchema,
  index: z.number().int().min(0),
  data: Base64Schema,
  last: z.boolean(),
});

export const FileErrorCodeSchema = z.enum([
  'not-found', 'excluded', 'outside-workspace', 'too-large', 'forbidden', 'is-directory',
  'not-directory', 'exists', 'io', 'host-offline', 'timeout', 'bad-request',
]);
export type FileErrorCode = z.infer<typeof FileErrorCodeSchema>;

export const FileErrorSchema = z.object({
  type: z.literal('file-error'),
  id: RequestIdSchema,
  code: FileErrorCodeSchema,
  /** A sentence a person can read; never contains file content. */
  message: z.string().max(500),
  /** For `too-large`: the host's limit in bytes. */
  limit: z.number().int().min(0).optional(),
});

export const FileChangeSchema = z.object({
  type: z.enum(['created', 'changed', 'deleted']),
  path: WorkspacePathSchema,
});
export type FileChange = z.infer<typeof FileChangeSchema>;

export const ChangesSchema = z.object({
  type: z.literal('changes'),
  events: z.array(FileChangeSchema).min(1).max(MAX_CHANGES_PER_MESSAGE),
});

/** Everything that travels as kind `file`, in either direction. */
export const FilePayloadSchema = z.discriminatedUnion('type', [
  RootsRequestSchema, StatRequestSchema, ReaddirRequestSchema, ReadRequestSchema, ReadAckSchema,
  ListFilesRequestSchema, CancelSchema, ResultSchema, ChunkSchema, FileErrorSchema, ChangesSchema,
]);
export type FilePayload = z.infer<typeof FilePayloadSchema>;

// ---------------------------------------------------------------------------------------------
// Guest → host, kind `file-write` (editors and the host only)

/**
 * Writes a file, in chunks of at most {@link FILE_CHUNK_BYTES}: the host acknowledges each
 * (`write-ack`) and writes the file once the `last` one arrived. `create`/`overwrite` (VS Code's
 * semantics) are read from chunk 0.
 */
export const WriteRequestSchema = z.object({
  type: z.literal('write'),
  id: RequestIdSchema,
  path: WorkspacePathSchema,
  data: Base64Schema,
  index: z.number().int().min(0),
  last: z.boolean(),
  create: z.boolean(),
  overwrite: z.boolean(),
});
export const CreateDirectoryRequestSchema = z.object({ type: z.literal('create-directory'), id: RequestIdSchema, path: WorkspacePathSchema });
export const DeleteRequestSchema = z.object({ type: z.literal('delete'), id: RequestIdSchema, path: WorkspacePathSchema, recursive: z.boolean() });
export const RenameRequestSchema = z.object({
  type: z.literal('rename'),
  id: RequestIdSchema,
  from: WorkspacePathSchema,
  to: WorkspacePathSchema,
  overwrite: z.boolean(),
});

export const FileWritePayloadSchema = z.discriminatedUnion('type', [
  WriteRequestSchema, CreateDirectoryRequestSchema, DeleteRequestSchema, RenameRequestSchema,
]);
export type FileWritePayload = z.infer<typeof FileWritePayloadSchema>;

export type FilePayloadOf<T extends FilePayload['type']> = Extract<FilePayload, { type: T }>;
export type FileWritePayloadOf<T extends FileWritePayload['type']> = Extract<FileWritePayload, { type: T }>;
