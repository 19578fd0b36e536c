/**
 * Decides which files of a shared folder a guest may see: exclude patterns (secrets by default)
 * and, when the host asks for it, git-ignored files. Excluded and ignored paths are never
 * listed, served, announced nor writable.
 */
import { execFile } from 'node:child_process';
import picomatch from 'picomatch';
import type { Logger } from '../ports';

/** `pairline.excludeFiles` default: the usual homes of secrets. */
export const DEFAULT_EXCLUDE_PATTERNS: readonly string[] = ['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/id_rsa*'];

/**
 * Never shared whatever the settings say: `.git` holds credentials (remote URLs, config) and
 * hooks, and a guest able to write a hook could run code on the host's machine.
 */
export const ALWAYS_EXCLUDED_PATTERNS: readonly string[] = ['**/.git'];

/**
 * Matches workspace-relative POSIX paths against exclude patterns. A path is excluded when it or
 * any folder above it matches, so `secrets/**` and `**\/secrets` both hide `secrets/a/b.txt`.
 * Matching ignores case: on case-insensitive file systems `.ENV` is the same file as `.env`,
 * and hiding a harmless `.ENV` on Linux costs less than serving a secret on macOS.
 */
export class ExcludeMatcher {
  private readonly matchers: Array<(path: string) => boolean>;

  constructor(patterns: readonly string[] = DEFAULT_EXCLUDE_PATTERNS) {
    const all = [...ALWAYS_EXCLUDED_PATTERNS, ...patterns];
    this.matchers = all.map((pattern) => picomatch(pattern, { dot: true, nocase: true }));
  }

  /** `path` relative to one shared folder, POSIX separators, no leading `./`. */
  isExcluded(path: string): boolean {
    return this.excludedPart(path) !== undefined;
  }

  /** The path itself or the folder above it that an exclude pattern matches; undefined if none. */
  excludedPart(path: string): string | undefined {
    if (path === '.' || path === '') return undefined;
    const segments = path.split('/');
    for (let length = 1; length <= segments.length; length++) {
      const prefix = segments.slice(0, length).join('/');
      if (this.matchers.some((matches) => matches(prefix))) return prefix;
    }
    return undefined;
  }
}

/** Answers "is this path git-ignored?" for one folder. */
export interface IgnoreOracle {
  /** Returns the subset of `paths` (relative to the folder, POSIX) that are ignored. */
  ignored(paths: readonly string[]): Promise<Set<string>>;
  /** Forget cached answers (called after files changed, e.g. a new `.gitignore`). */
  invalidate(): void;
}

/** Nothing is ignored: the host did not ask for it, or the folder is not a git repository. */
export const noIgnores: IgnoreOracle = {
  ignored: () => Promise.resolve(new Set()),
  invalidate() {},
};

const GIT_TIMEOUT_MS = 10_000;
const CACHE_LIMIT = 50_000;

/**
 * Asks `git check-ignore --stdin` in the folder, caching answers until {@link invalidate}.
 * When the folder is not in a git work tree (or git is missing), nothing is ignored.
 * Tracked files are never reported as ignored: git shares what it tracks.
 */
export class GitIgnoreOracle implements IgnoreOracle {
  private readonly cache = new Map<string, boolean>();
  private disabled = false;

  constructor(private readonly folder: string, private readonly logger: Logger) {}

  async ignored(paths: readonly string[]): Promise<Set<string>> {
    const result = new Set<string>();
    if (this.disabled) return result;
    const unknown: string[] = [];
    for (const path of paths) {
      if (path === '.' || path === '') continue;
      const cached = this.cache.get(path);
      if (cached === undefined) unknown.push(path);
      else if (cached) result.add(path);
    }
    if (unknown.length > 0) {
      const found = await this.checkIgnore(unknown);
      if (this.cache.size + unknown.length > CACHE_LIMIT) this.cache.clear();
      for (const path of unknown) {
        const isIgnored = found.has(path);
        this.cache.set(path, isIgnored);
        if (isIgnored) result.add(path);
      }
    }
    return result;
  }

  invalidate(): void {
    this.cache.clear();
  }

  private checkIgnore(paths: readonly string[]): Promise<Set<string>> {
    return new Promise((resolve) => {
      const child = execFile('git', ['check-ignore', '--stdin', '-z'], { cwd: this.folder, timeout: GIT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout) => {
          // Exit code 1 means "none of them is ignored"; 128 means "not a git repository".
          const code: unknown = error ? (error as { code?: unknown }).code : 0;
          if (error && code !== 1) {
            this.disabled = true;
            this.logger.info('git-ignored files are not filtered: the folder is not a git work tree or git is unavailable', { folder: this.folder });
            resolve(new Set());
            return;
          }
          resolve(new Set(stdout.split('\0').filter((path) => path.length > 0)));
        });
      // git exits at once outside a work tree; writing to its closed stdin is then EPIPE.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(paths.join('\0') + '\0');
    });
  }
}
