/**
 * How a guest's `pairline:` URIs meet the host's wire paths, and which workspace folders a
 * session needs. Imports no vscode, so plain node tests cover it.
 *
 * The URI authority names the session and the URI path is `/` + the wire path, so one rule serves
 * both shapes of a share: one folder (`pairline://S/` is the folder, `/src/a.ts` ↔ `src/a.ts`) and
 * several (`pairline://S/api/` is the folder `api`, `/api/src/a.ts` ↔ `api/src/a.ts`).
 */
import { normaliseWorkspacePath, type PathResult } from '../../protocol/paths';
import type { FileErrorCode } from '../../protocol/file-payloads';

export const PAIRLINE_SCHEME = 'pairline';

/** The wire path of a `pairline:` URI path (`/` is `.`). */
export function wirePathOf(uriPath: string): PathResult {
  const trimmed = uriPath.replace(/^\/+/, '').replace(/\/+$/, '');
  return normaliseWorkspacePath(trimmed === '' ? '.' : trimmed);
}

/** The URI path of a wire path (`.` is `/`). */
export function uriPathOf(wirePath: string): string {
  return wirePath === '.' ? '/' : `/${wirePath}`;
}

/** A workspace folder a guest's window should show for a session. */
export interface PlannedFolder {
  /** URI path inside `pairline://<session>`: `/` for a single shared folder, `/<name>` for each of several. */
  readonly path: string;
  /** The host's folder name, shown in the Explorer. */
  readonly name: string;
}

/** One folder per shared root; a single root is the whole share. */
export function plannedFolders(roots: { readonly roots: ReadonlyArray<{ readonly name: string }>; readonly prefixed: boolean }): PlannedFolder[] {
  if (!roots.prefixed) return [{ path: '/', name: roots.roots[0]?.name ?? 'Shared folder' }];
  return roots.roots.map((root) => ({ path: `/${root.name}`, name: root.name }));
}

/** The part of a workspace folder these decisions need. */
export interface FolderLike {
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
}

/**
 * The URI authority of a session: the hex of its id. Session ids are case-sensitive base64url, and
 * VS Code lowercases authorities when it writes workspace folders to the workspace file.
 */
export function authorityOf(session: string): string {
  return Buffer.from(session, 'utf8').toString('hex');
}

export function sameSession(authority: string, session: string | undefined): boolean {
  return session !== undefined && authority.toLowerCase() === authorityOf(session);
}

/** The planned folders of `session` the workspace does not show yet. */
export function missingFolders(folders: readonly FolderLike[], session: string, planned: readonly PlannedFolder[]): PlannedFolder[] {
  const shown = new Set(folders
    .filter((folder) => folder.scheme === PAIRLINE_SCHEME && sameSession(folder.authority, session))
    .map((folder) => normaliseFolderPath(folder.path)));
  return planned.filter((folder) => !shown.has(normaliseFolderPath(folder.path)));
}

function normaliseFolderPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** The kind of VS Code FileSystemError a refusal becomes (the sentence travels with it). */
export type FileSystemErrorKind = 'FileNotFound' | 'FileExists' | 'FileNotADirectory' | 'FileIsADirectory' | 'NoPermissions' | 'Unavailable';

export function errorKindOf(code: FileErrorCode): FileSystemErrorKind {
  switch (code) {
    case 'not-found': return 'FileNotFound';
    case 'exists': return 'FileExists';
    case 'not-directory': return 'FileNotADirectory';
    case 'is-directory': return 'FileIsADirectory';
    // Excluded files exist on the host but are not shared: a permission matter, said in the sentence.
    case 'excluded': case 'outside-workspace': case 'forbidden': case 'too-large': return 'NoPermissions';
    case 'host-offline': case 'timeout': case 'io': case 'bad-request': return 'Unavailable';
  }
}

/** Reads at least this large show a progress notification. */
export const LARGE_READ_BYTES = 1024 * 1024;

/** "3.2 MB of 12 MB" style progress text. */
export function progressText(received: number, total: number): string {
  return `${formatSize(received)} of ${formatSize(total)}`;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
