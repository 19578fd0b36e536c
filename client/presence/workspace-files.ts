/**
 * Which local files may be announced in presence, and how they are named on the wire:
 * workspace-relative POSIX paths (protocol/paths.ts). A file outside the workspace, or matching
 * one of the exclude globs (secrets such as `.env` or keys), is never announced.
 */
import picomatch from 'picomatch';
import { normaliseWorkspacePath } from '../../protocol/paths';

/** Default for the `pairline.excludeFiles` setting. */
export const DEFAULT_EXCLUDE_FILES: readonly string[] = ['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/id_rsa*'];

/**
 * The workspace-relative POSIX path of `filePath` inside `rootPath`, or undefined when the file is
 * outside it. Both are absolute paths in the same OS notation; backslashes are treated as
 * separators so Windows paths map the same way.
 */
export function relativeWorkspacePath(rootPath: string, filePath: string): string | undefined {
  const root = toPosix(rootPath).replace(/\/+$/, '');
  const file = toPosix(filePath);
  const caseInsensitive = /^[A-Za-z]:\//.test(root);
  const rootKey = caseInsensitive ? root.toLowerCase() : root;
  const fileKey = caseInsensitive ? file.toLowerCase() : file;
  if (!fileKey.startsWith(`${rootKey}/`)) return undefined;
  const result = normaliseWorkspacePath(file.slice(root.length + 1));
  if (!result.ok || result.path === '.') return undefined;
  return result.path;
}

/** Joins a workspace-relative path (already validated on the wire) onto a root path. */
export function absoluteWorkspacePath(rootPath: string, relativePath: string): string | undefined {
  const result = normaliseWorkspacePath(relativePath);
  if (!result.ok || result.path === '.') return undefined;
  const separator = rootPath.includes('\\') && !rootPath.includes('/') ? '\\' : '/';
  const parts = separator === '\\' ? result.path.split('/').join('\\') : result.path;
  return `${rootPath.replace(/[\\/]+$/, '')}${separator}${parts}`;
}

/** Decides whether a workspace-relative path may be announced. */
export class ExcludeFilter {
  private readonly matchers: ((path: string) => boolean)[];

  constructor(globs: readonly string[]) {
    // dot: true so `**/.env` style globs also see dot-directories; invalid globs are skipped rather
    // than disabling the whole filter.
    this.matchers = [];
    for (const glob of globs) {
      try {
        this.matchers.push(picomatch(glob, { dot: true }));
      } catch {
        // A malformed glob excludes nothing; the settings module logs it.
      }
    }
  }

  isExcluded(relativePath: string): boolean {
    return this.matchers.some((match) => match(relativePath));
  }
}

function toPosix(path: string): string {
  return path.replace(/\\/g, '/');
}
