/**
 * The headless participant's file commands, for scripts and bots that browse the host's folder:
 *
 *   {"cmd":"ls","path":"."}          → {"event":"ls","path":".","entries":[{"name":"src","type":"directory"},…]}
 *   {"cmd":"read","file":"src/a.ts"} → {"event":"file","file":"src/a.ts","size":21,"text":"…"}
 *
 * `read` answers `text` when the bytes are UTF-8 without NUL bytes, else `base64`, so binary
 * files survive the JSON line unmangled. Failures throw {@link RemoteFileError}; use
 * {@link fileErrorEvent} to turn one into an error event.
 */
import { z } from 'zod';
import type { DirectoryEntry } from '../../protocol/file-payloads';
import { RemoteFileError } from '../files/remote-file-error';
import type { RemoteFiles } from '../files/remote-files';

export const LsCommandSchema = z.object({ cmd: z.literal('ls'), path: z.string().max(1024).default('.') });
export const ReadCommandSchema = z.object({ cmd: z.literal('read'), file: z.string().min(1).max(1024) });
export type LsCommand = z.input<typeof LsCommandSchema>;
export type ReadCommand = z.input<typeof ReadCommandSchema>;

export interface LsEvent {
  readonly event: 'ls';
  readonly path: string;
  readonly entries: DirectoryEntry[];
}

export type FileEvent = { readonly event: 'file'; readonly file: string; readonly size: number } & ({ readonly text: string } | { readonly base64: string });

export async function runLs(files: Pick<RemoteFiles, 'readDirectory'>, command: LsCommand): Promise<LsEvent> {
  const { path } = LsCommandSchema.parse(command);
  return { event: 'ls', path, entries: await files.readDirectory(path) };
}

export async function runRead(files: Pick<RemoteFiles, 'readFile'>, command: ReadCommand): Promise<FileEvent> {
  const { file } = ReadCommandSchema.parse(command);
  const bytes = Buffer.from(await files.readFile(file));
  const text = asText(bytes);
  return text === undefined
    ? { event: 'file', file, size: bytes.length, base64: bytes.toString('base64') }
    : { event: 'file', file, size: bytes.length, text };
}

/** `{"event":"error","code":…,"message":…}` for a failed file command; other errors are rethrown. */
export function fileErrorEvent(err: unknown): { event: 'error'; code: string; message: string } {
  if (err instanceof RemoteFileError) return { event: 'error', code: err.code, message: err.message };
  throw err;
}

function asText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  const text = bytes.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD and would not encode back to the same bytes.
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}
