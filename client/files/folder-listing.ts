/**
 * Listing what a shared folder shows a guest: one directory page at a time, or every shared
 * file (for "Go to File…" and the host's "Show Shared Files"). Excluded and git-ignored entries,
 * special files (sockets, FIFOs, devices) and symlinks leading outside are left out; symlinked
 * folders are not descended into by the full walk, so a link loop cannot trap it.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as nodePath from 'node:path';
import type { DirectoryEntry, FileType } from '../../protocol/file-payloads';
import type { SharedFolder, SharedFolders } from './shared-folders';

export interface ShownEntry extends DirectoryEntry {
  /** Relative to the shared folder. */
  readonly relative: string;
  /** True when the entry is a symbolic link (to something inside the folder). */
  readonly link: boolean;
}

function joinRelative(parent: string, name: string): string {
  return parent === '.' ? name : `${parent}/${name}`;
}

/**
 * The entries of `directoryReal` (a real path inside `folder`, at `relative`) a guest may see,
 * sorted by name (code points, so pages are stable).
 */
export async function shownEntries(folders: SharedFolders, folder: SharedFolder, directoryReal: string, relative: string): Promise<ShownEntry[]> {
  const dirents = await fs.readdir(directoryReal, { withFileTypes: true });
  const candidates: Array<{ dirent: Dirent; relative: string }> = [];
  for (const dirent of dirents) {
    const entryRelative = joinRelative(relative, dirent.name);
    if (folders.isExcluded(entryRelative)) continue;
    candidates.push({ dirent, relative: entryRelative });
  }
  const ignored = await folder.ignores.ignored(candidates.map((candidate) => candidate.relative));
  const shown: ShownEntry[] = [];
  for (const { dirent, relative: entryRelative } of candidates) {
    if (ignored.has(entryRelative)) continue;
    const type = await entryType(folders, folder, nodePath.join(directoryReal, dirent.name), dirent);
    if (type === undefined) continue;
    shown.push({ name: dirent.name, type, relative: entryRelative, link: dirent.isSymbolicLink() });
  }
  shown.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return shown;
}

/** File or directory as a guest sees it; undefined when the entry must stay hidden. */
async function entryType(folders: SharedFolders, folder: SharedFolder, entryPath: string, dirent: Dirent): Promise<FileType | undefined> {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'directory';
  if (!dirent.isSymbolicLink()) return undefined;
  try {
    const real = await fs.realpath(entryPath);
    const realRelative = folders.relativeInside(folder, real);
    if (realRelative === undefined || folders.isExcluded(realRelative)) return undefined;
    if (realRelative !== '.' && (await folder.ignores.ignored([realRelative])).size > 0) return undefined;
    const stat = await fs.stat(real);
    if (stat.isFile()) return 'file';
    if (stat.isDirectory()) return 'directory';
    return undefined;
  } catch {
    // Dangling or unreadable links are not shown.
    return undefined;
  }
}

export interface WalkResult {
  /** Wire paths of shared files, sorted. */
  readonly files: string[];
  /** True when the walk stopped at `limit`. */
  readonly truncated: boolean;
}

/** Every shared file of every folder, up to `limit`. */
export async function walkSharedFiles(folders: SharedFolders, limit: number): Promise<WalkResult> {
  const files: string[] = [];
  for (const folder of folders.folders) {
    const pending: Array<{ real: string; relative: string }> = [{ real: folder.realPath, relative: '.' }];
    while (pending.length > 0) {
      const directory = pending.shift();
      if (!directory) break;
      let entries: ShownEntry[];
      try {
        entries = await shownEntries(folders, folder, directory.real, directory.relative);
      } catch {
        continue; // Unreadable folders are simply not listed.
      }
      for (const entry of entries) {
        if (entry.type === 'directory') {
          if (!entry.link) pending.push({ real: nodePath.join(directory.real, entry.name), relative: entry.relative });
          continue;
        }
        if (files.length >= limit) return { files: files.sort(), truncated: true };
        files.push(folders.wirePathOf(folder, entry.relative));
      }
    }
  }
  return { files: files.sort(), truncated: false };
}

/**
 * True when everything under `directoryPath` (not following links) is shown to guests. A guest
 * may only delete or move a folder whose whole content it can see: otherwise a rename could
 * move an excluded file out from under a path-specific pattern, or a delete remove secrets.
 */
export async function wholeTreeShared(folders: SharedFolders, folder: SharedFolder, directoryPath: string, relative: string): Promise<boolean> {
  const pending: Array<{ path: string; relative: string }> = [{ path: directoryPath, relative }];
  while (pending.length > 0) {
    const directory = pending.shift();
    if (!directory) break;
    const dirents = await fs.readdir(directory.path, { withFileTypes: true });
    const relatives = dirents.map((dirent) => joinRelative(directory.relative, dirent.name));
    if (relatives.some((entryRelative) => folders.isExcluded(entryRelative))) return false;
    if ((await folder.ignores.ignored(relatives)).size > 0) return false;
    dirents.forEach((dirent, index) => {
      if (dirent.isDirectory()) pending.push({ path: nodePath.join(directory.path, dirent.name), relative: relatives[index] ?? dirent.name });
    });
  }
  return true;
}
