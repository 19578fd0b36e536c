/**
 * Workspace-relative paths as they travel between participants: POSIX separators, normalised,
 * never absolute and never escaping the workspace. Each side maps them to its own folder.
 */

export type PathResult = { ok: true; path: string } | { ok: false; error: string };

const MAX_PATH_LENGTH = 1024;

/**
 * Normalises a workspace-relative path and refuses anything that could reach outside the
 * workspace: `..` segments (also `..\\` and percent-encoded forms), absolute POSIX or Windows
 * paths, drive letters, UNC paths, NUL bytes. `.` means the workspace root.
 */
export function normaliseWorkspacePath(input: string): PathResult {
  if (typeof input !== 'string') return { ok: false, error: 'path must be a string' };
  if (input.length > MAX_PATH_LENGTH) return { ok: false, error: 'path is too long' };
  if (input.includes('\0')) return { ok: false, error: 'path contains a NUL byte' };
  // Decoded forms are refused outright rather than decoded: a literal "%2e%2e" file name is
  // rare, and accepting it would make the check depend on who decodes what.
  if (/%2e|%2f|%5c/i.test(input)) return { ok: false, error: 'path contains percent-encoded separators or dots' };
  const unified = input.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) {
    return { ok: false, error: 'path must be relative to the workspace' };
  }
  const segments: string[] = [];
  for (const segment of unified.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { ok: false, error: 'path must not leave the workspace' };
    segments.push(segment);
  }
  return { ok: true, path: segments.length === 0 ? '.' : segments.join('/') };
}
