/**
 * Maps workspace paths from the wire onto the host's disk, refusing every path that could
 * reach outside a shared folder. Strings are normalised first, then the real path (symlinks
 * resolved, the file system's own spelling of each name) must lie inside the folder's real
 * path: comparing real paths, not strings, defeats `..`, symlinks and case tricks alike.
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { normaliseWorkspacePath } from '../../protocol';
import type { FileErrorCode } from '../../protocol/file-payloads';
import type { ExcludeMatcher, IgnoreOracle } from './share-filter';

export interface SharedFolderOptions {
  /** Shown to guests; with several folders, the first path segment. Defaults to the basename. */
  readonly name?: string;
  readonly path: string;
}

export interface SharedFolder {
  readonly name: string;
  /** Real path (symlinks resolved) of the folder on the host's disk. */
  readonly realPath: string;
  readonly ignores: IgnoreOracle;
}

/** A refusal with the code the guest sees. */
export class FileAccessError extends Error {
  override readonly name = 'FileAccessError';
  constructor(readonly code: FileErrorCode, message: string, readonly limit?: number) {
    super(message);
  }
}

/** A wire path split into its folder and the path inside it. */
export interface Located {
  /** Undefined for `.` when several folders are shared (the virtual directory of folders). */
  readonly folder: SharedFolder | undefined;
  /** Relative to the folder, POSIX, `.` for the folder itself. */
  readonly relative: string;
  /** The normalised wire path. */
  readonly wirePath: string;
}

/** Where a located path lives on disk. */
export interface Resolved extends Located {
  readonly folder: SharedFolder;
  /** Absolute path: parent's real path joined with the last name (not following a final symlink). */
  readonly entryPath: string;
  /** Real path of the target when it exists (final symlink followed); undefined when absent. */
  readonly realPath: string | undefined;
}

function isInside(folderReal: string, candidate: string): boolean {
  const relative = nodePath.relative(folderReal, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${nodePath.sep}`) && !nodePath.isAbsolute(relative));
}

function toPosixRelative(folderReal: string, candidate: string): string {
  const relative = nodePath.relative(folderReal, candidate);
  return relative === '' ? '.' : relative.split(nodePath.sep).join('/');
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export class SharedFolders {
  private constructor(
    readonly folders: readonly SharedFolder[],
    private readonly excludes: ExcludeMatcher,
  ) {}

  /** Resolves each folder's real path; folder names must be unique and valid path segments. */
  static async open(options: readonly SharedFolderOptions[], excludes: ExcludeMatcher, ignoresFor: (realPath: string) => IgnoreOracle): Promise<SharedFolders> {
    if (options.length === 0) throw new Error('share at least one folder');
    const folders: SharedFolder[] = [];
    for (const option of options) {
      const realPath = await fs.realpath(option.path);
      const stat = await fs.stat(realPath);
      if (!stat.isDirectory()) throw new Error(`${option.path} is not a folder`);
      const name = option.name ?? nodePath.basename(realPath);
      if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new Error(`"${name}" cannot name a shared folder`);
      if (folders.some((folder) => folder.name.toLowerCase() === name.toLowerCase())) {
        throw new Error(`two shared folders are named "${name}"; give them distinct names`);
      }
      folders.push({ name, realPath, ignores: ignoresFor(realPath) });
    }
    return new SharedFolders(folders, excludes);
  }

  /** True when wire paths start with the folder name (several folders shared). */
  get prefixed(): boolean {
    return this.folders.length > 1;
  }

  /** Splits a wire path (any string) into folder and relative path; refuses traversal forms. */
  locate(input: string): Located {
    const normal = normaliseWorkspacePath(input);
    if (!normal.ok) throw new FileAccessError('outside-workspace', `The path is outside the shared folder: ${normal.error}.`);
    const wirePath = normal.path;
    if (!this.prefixed) return { folder: this.folders[0], relative: wirePath, wirePath };
    if (wirePath === '.') return { folder: undefined, relative: '.', wirePath };
    const [first, ...rest] = wirePath.split('/');
    const folder = this.folders.find((candidate) => candidate.name === first);
    if (!folder) throw new FileAccessError('not-found', `No shared folder is named "${first ?? ''}".`);
    return { folder, relative: rest.length === 0 ? '.' : rest.join('/'), wirePath };
  }

  /** The wire path of a path relative to `folder`. */
  wirePathOf(folder: SharedFolder, relative: string): string {
    if (!this.prefixed) return relative;
    return relative === '.' ? folder.name : `${folder.name}/${relative}`;
  }

  /** Refuses excluded and git-ignored paths (checked on each of the given relative paths). */
  async assertShared(folder: SharedFolder, ...relatives: string[]): Promise<void> {
    for (const relative of relatives) {
      const part = this.excludes.excludedPart(relative);
      if (part !== undefined) throw excludedError(part);
    }
    const candidates = relatives.flatMap(ancestorsAndSelf);
    const ignored = await folder.ignores.ignored(candidates);
    if (ignored.size > 0) throw new FileAccessError('excluded', 'The host does not share git-ignored files.');
  }

  isExcluded(relative: string): boolean {
    return this.excludes.isExcluded(relative);
  }

  /**
   * Finds `located` on disk. The parent folder must exist and really be inside the shared
   * folder; when the entry exists its real path (final symlink followed) must be inside too.
   * Checks exclusions on both the requested and the real path.
   */
  async resolve(located: Located): Promise<Resolved> {
    const folder = located.folder;
    if (!folder) throw new FileAccessError('forbidden', 'The list of shared folders cannot be changed by a guest.');
    if (located.relative === '.') {
      return { ...located, folder, entryPath: folder.realPath, realPath: folder.realPath };
    }
    await this.assertShared(folder, located.relative);
    const relativeParent = nodePath.posix.dirname(located.relative);
    const parentPath = nodePath.join(folder.realPath, ...relativeParent.split('/'));
    let parentReal: string;
    try {
      parentReal = await fs.realpath(parentPath);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new FileAccessError('not-found', 'The folder does not exist on the host.');
      if (errorCode(err) === 'ENOTDIR') throw new FileAccessError('not-directory', 'A part of the path is a file, not a folder.');
      throw new FileAccessError('io', 'The host could not read the folder.');
    }
    if (!isInside(folder.realPath, parentReal)) throw outsideError();
    const parentRelative = toPosixRelative(folder.realPath, parentReal);
    const entryPath = nodePath.join(parentReal, nodePath.posix.basename(located.relative));
    let realPath: string | undefined;
    try {
      realPath = await fs.realpath(entryPath);
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'ENOENT') {
        if (code === 'ENOTDIR') throw new FileAccessError('not-directory', 'A part of the path is a file, not a folder.');
        if (code === 'ELOOP') throw outsideError();
        throw new FileAccessError('io', 'The host could not read the file.');
      }
      // A dangling symlink must not become a way to create files wherever it points.
      const isLink = await fs.lstat(entryPath).then((stat) => stat.isSymbolicLink(), () => false);
      if (isLink) throw outsideError();
    }
    if (realPath !== undefined && !isInside(folder.realPath, realPath)) throw outsideError();
    const realRelatives = [parentRelative === '.' ? nodePath.posix.basename(located.relative) : `${parentRelative}/${nodePath.posix.basename(located.relative)}`];
    if (realPath !== undefined) realRelatives.push(toPosixRelative(folder.realPath, realPath));
    await this.assertShared(folder, ...realRelatives.filter((relative) => relative !== located.relative && relative !== '.'));
    return { ...located, folder, entryPath, realPath };
  }

  /** Relative path (POSIX) of a real path inside `folder`, or undefined when it is outside. */
  relativeInside(folder: SharedFolder, real: string): string | undefined {
    return isInside(folder.realPath, real) ? toPosixRelative(folder.realPath, real) : undefined;
  }
}

function ancestorsAndSelf(relative: string): string[] {
  const segments = relative.split('/');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

function excludedError(part: string): FileAccessError {
  const name = nodePath.posix.basename(part);
  // ".env" reads naturally as a kind of file; other names are quoted.
  return new FileAccessError('excluded', `The host does not share ${name.startsWith('.') ? name : `"${name}"`} files.`);
}

function outsideError(): FileAccessError {
  return new FileAccessError('outside-workspace', 'The path leads outside the shared folder (through a symbolic link); the host does not serve it.');
}
