/**
 * The changes an editor guest may make to a shared folder: write a file, create a folder,
 * delete, rename. Paths arrive already resolved by {@link SharedFolders.resolve} (inside the
 * folder, not excluded); these functions add the checks each change needs and map file-system
 * errors onto the codes guests understand.
 */
import { constants, promises as fs } from 'node:fs';
import { FileAccessError, type Resolved, type SharedFolders } from './shared-folders';
import { wholeTreeShared } from './folder-listing';

// O_NOFOLLOW: if someone on the host swaps the file for a symlink between our check and the
// open, the open fails instead of following it. Not every platform has it (Windows).
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** Maps a file-system error onto a guest-facing refusal. */
export function accessErrorFrom(err: unknown, what: string): FileAccessError {
  if (err instanceof FileAccessError) return err;
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT': return new FileAccessError('not-found', `${what} does not exist on the host.`);
    case 'EEXIST': return new FileAccessError('exists', `${what} already exists on the host.`);
    case 'ENOTDIR': return new FileAccessError('not-directory', 'A part of the path is a file, not a folder.');
    case 'EISDIR': return new FileAccessError('is-directory', `${what} is a folder.`);
    case 'EACCES':
    case 'EPERM': return new FileAccessError('forbidden', `The host's system does not allow access to ${what.toLowerCase()}.`);
    case 'ENOTEMPTY': return new FileAccessError('io', 'The folder is not empty.');
    case 'ELOOP': return new FileAccessError('outside-workspace', 'The path is a symbolic link; the host does not follow it here.');
    default: return new FileAccessError('io', `The host could not change ${what.toLowerCase()}.`);
  }
}

async function lstatOrUndefined(path: string) {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Checks `create`/`overwrite` before any byte is accepted (VS Code's writeFile semantics). */
export async function checkWritable(target: Resolved, create: boolean, overwrite: boolean): Promise<void> {
  if (target.relative === '.') throw new FileAccessError('is-directory', 'The shared folder itself is a folder.');
  if (target.realPath === undefined) {
    if (!create) throw new FileAccessError('not-found', 'The file does not exist on the host.');
    return;
  }
  const stat = await fs.stat(target.realPath);
  if (stat.isDirectory()) throw new FileAccessError('is-directory', 'The path is a folder, not a file.');
  if (!stat.isFile()) throw new FileAccessError('forbidden', 'The path is not a regular file.');
  if (!overwrite) throw new FileAccessError('exists', 'The file already exists on the host.');
}

/**
 * Writes a guest's file. Bytes the file already holds are not written again: a guest's save of a
 * co-edited document follows the host's own save of the same text, and rewriting it would change
 * the file under the host's editor, which VS Code then reports as "the content of the file is
 * newer" at the host's next save if the host typed in between.
 */
export async function writeFileAt(target: Resolved, data: Uint8Array, create: boolean, overwrite: boolean): Promise<void> {
  await checkWritable(target, create, overwrite);
  try {
    const existing = target.realPath;
    const handle = existing !== undefined
      ? await fs.open(existing, constants.O_RDWR | NO_FOLLOW)
      : await fs.open(target.entryPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o666);
    try {
      if (existing !== undefined) {
        if (await holds(handle, data)) return;
        await handle.truncate(0);
      }
      // Positional reads leave the file position at 0, where this writes.
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw accessErrorFrom(err, 'The file');
  }
}

/** Whether the open file's bytes are exactly `data` (read at explicit positions). */
async function holds(handle: fs.FileHandle, data: Uint8Array): Promise<boolean> {
  if ((await handle.stat()).size !== data.byteLength) return false;
  const chunk = Buffer.alloc(Math.min(data.byteLength, 1 << 20));
  for (let offset = 0; offset < data.byteLength;) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, data.byteLength - offset), offset);
    if (bytesRead === 0 || !chunk.subarray(0, bytesRead).equals(data.subarray(offset, offset + bytesRead))) return false;
    offset += bytesRead;
  }
  return true;
}

export async function createDirectoryAt(target: Resolved): Promise<void> {
  if (target.realPath !== undefined) throw new FileAccessError('exists', 'The folder already exists on the host.');
  try {
    await fs.mkdir(target.entryPath);
  } catch (err) {
    throw accessErrorFrom(err, 'The folder');
  }
}

export async function deleteAt(folders: SharedFolders, target: Resolved, recursive: boolean): Promise<void> {
  if (target.relative === '.') throw new FileAccessError('forbidden', 'A guest cannot delete a shared folder itself.');
  const stat = await lstatOrUndefined(target.entryPath);
  if (!stat) throw new FileAccessError('not-found', 'The file does not exist on the host.');
  try {
    if (stat.isDirectory()) {
      if (!recursive) {
        await fs.rmdir(target.entryPath);
        return;
      }
      if (!(await wholeTreeShared(folders, target.folder, target.entryPath, target.relative))) {
        throw new FileAccessError('forbidden', 'The folder holds files the host does not share, so a guest cannot delete it.');
      }
      await fs.rm(target.entryPath, { recursive: true });
      return;
    }
    // Files and links: unlink removes the link itself, never what it points to.
    await fs.unlink(target.entryPath);
  } catch (err) {
    throw accessErrorFrom(err, 'The file');
  }
}

export async function renameAt(folders: SharedFolders, from: Resolved, to: Resolved, overwrite: boolean): Promise<void> {
  if (from.relative === '.' || to.relative === '.') throw new FileAccessError('forbidden', 'A guest cannot rename a shared folder itself.');
  const source = await lstatOrUndefined(from.entryPath);
  if (!source) throw new FileAccessError('not-found', 'The file to rename does not exist on the host.');
  const target = await lstatOrUndefined(to.entryPath);
  if (target && !overwrite) throw new FileAccessError('exists', 'A file with the new name already exists on the host.');
  if (`${to.entryPath}/`.startsWith(`${from.entryPath}/`)) throw new FileAccessError('io', 'A folder cannot be moved into itself.');
  if (source.isDirectory() && !(await wholeTreeShared(folders, from.folder, from.entryPath, from.relative))) {
    throw new FileAccessError('forbidden', 'The folder holds files the host does not share, so a guest cannot move it.');
  }
  try {
    await fs.rename(from.entryPath, to.entryPath);
  } catch (err) {
    throw accessErrorFrom(err, 'The file');
  }
}
