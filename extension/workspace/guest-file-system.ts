/**
 * The `pairline:` file system: a guest's window browses, reads and (as an editor) changes the
 * host's shared folders through {@link RemoteFiles}. `pairline://<session>/<wire path>`.
 *
 * Read-only for viewers is per file (`FilePermission.Readonly` in `stat`), not fixed at
 * registration: the provider is registered once at activation, before anyone knows the role, and
 * a role can change during the session. Changes a viewer tries anyway fail with NoPermissions and
 * the sentence saying why.
 */
import * as vscode from 'vscode';
import type { FileChange } from '../../protocol/file-payloads';
import { RemoteFileError } from '../../client/files/remote-file-error';
import type { RemoteFiles } from '../../client/files/remote-files';
import {
  authorityOf, errorKindOf, LARGE_READ_BYTES, PAIRLINE_SCHEME, progressText, uriPathOf, wirePathOf,
} from './remote-paths';

/** Where the provider finds the session behind a URI. */
export interface RemoteFilesSource {
  /** The session's files; waits while it is being (re)joined, throws a FileSystemError when it is gone. */
  filesFor(authority: string): Promise<RemoteFiles>;
  /** True while we may not change the host's files (viewer). */
  readonly readOnly: boolean;
}

export class PairlineFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  constructor(private readonly source: RemoteFilesSource) {}

  /** Passes the host's batched changes on to VS Code (open editors reload, the Explorer refreshes). */
  announce(session: string, changes: readonly FileChange[]): void {
    const types = { created: vscode.FileChangeType.Created, changed: vscode.FileChangeType.Changed, deleted: vscode.FileChangeType.Deleted } as const;
    this.changed.fire(changes.map((change) => ({
      type: types[change.type],
      uri: vscode.Uri.from({ scheme: PAIRLINE_SCHEME, authority: authorityOf(session), path: uriPathOf(change.path) }),
    })));
  }

  /** Every folder or file whose read-only state may have changed (a role change). */
  announceAllChanged(uris: readonly vscode.Uri[]): void {
    if (uris.length > 0) this.changed.fire(uris.map((uri) => ({ type: vscode.FileChangeType.Changed, uri })));
  }

  watch(): vscode.Disposable {
    // The host pushes changes of the whole share; there is nothing to subscribe per folder.
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.run(uri, async (files, path) => {
      const stat = await files.stat(path);
      const readonly = stat.readonly === true || this.source.readOnly;
      return {
        type: stat.type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File,
        size: stat.size,
        mtime: stat.mtime,
        ctime: stat.ctime,
        ...(readonly ? { permissions: vscode.FilePermission.Readonly } : {}),
      };
    });
  }

  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.run(uri, async (files, path) => (await files.readDirectory(path))
      .map((entry): [string, vscode.FileType] => [entry.name, entry.type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File]));
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.run(uri, async (files, path) => {
      let progress: ReadProgress | undefined;
      try {
        return await files.readFile(path, (received, total) => {
          if (!progress && total >= LARGE_READ_BYTES) progress = new ReadProgress(uri);
          progress?.report(received, total);
        });
      } finally {
        progress?.finish();
      }
    });
  }

  writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    return this.run(uri, (files, path) => files.writeFile(path, content, { create: options.create, overwrite: options.overwrite }));
  }

  createDirectory(uri: vscode.Uri): Promise<void> {
    return this.run(uri, (files, path) => files.createDirectory(path));
  }

  delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    return this.run(uri, (files, path) => files.delete(path, { recursive: options.recursive }));
  }

  rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    if (oldUri.authority !== newUri.authority) {
      return Promise.reject(vscode.FileSystemError.NoPermissions('Files can only be moved within the same Pairline session.'));
    }
    const target = wirePathOf(newUri.path);
    if (!target.ok) return Promise.reject(vscode.FileSystemError.FileNotFound(`Not a path in the shared folder: ${target.error}.`));
    return this.run(oldUri, (files, path) => files.rename(path, target.path, { overwrite: options.overwrite }));
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** Resolves the session and the wire path, runs `action`, and turns refusals into FileSystemErrors. */
  private async run<T>(uri: vscode.Uri, action: (files: RemoteFiles, path: string) => Promise<T>): Promise<T> {
    const path = wirePathOf(uri.path);
    if (!path.ok) throw vscode.FileSystemError.FileNotFound(`Not a path in the shared folder: ${path.error}.`);
    const files = await this.source.filesFor(uri.authority);
    try {
      return await action(files, path.path);
    } catch (error) {
      throw toFileSystemError(error);
    }
  }
}

/** A RemoteFileError becomes the matching FileSystemError carrying the host's (or our) sentence. */
export function toFileSystemError(error: unknown): unknown {
  if (!(error instanceof RemoteFileError)) return error;
  return vscode.FileSystemError[errorKindOf(error.code)](error.message);
}

/** A notification with a bar for one large read; ends when the read does. */
class ReadProgress {
  private reportTo: ((received: number, total: number) => void) | undefined;
  private end: (() => void) | undefined;
  private reported = 0;
  private finished = false;

  constructor(uri: vscode.Uri) {
    const name = uri.path.split('/').pop() ?? uri.path;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Pairline: loading ${name} from the host` },
      (progress) => new Promise<void>((resolve) => {
        // The task may start after the read already ended.
        if (this.finished) resolve();
        this.end = resolve;
        this.reportTo = (received, total) => {
          const percent = total > 0 ? (received / total) * 100 : 0;
          progress.report({ increment: percent - this.reported, message: progressText(received, total) });
          this.reported = percent;
        };
      }),
    );
  }

  report(received: number, total: number): void {
    this.reportTo?.(received, total);
  }

  finish(): void {
    this.finished = true;
    this.end?.();
  }
}
