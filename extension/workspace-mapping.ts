/**
 * The one place where presence paths (workspace-relative, POSIX) meet local URIs. Today the
 * shared workspace is the first workspace folder on both sides (a guest's local checkout), or the
 * guest's `pairline:` folder when there is one.
 */
import * as vscode from 'vscode';
import { ExcludeFilter, relativeWorkspacePath } from '../client/presence/workspace-files';
import { normaliseWorkspacePath } from '../protocol/paths';
import type { Settings } from './settings';
import { PAIRLINE_SCHEME } from './workspace/remote-paths';

export class WorkspaceMapping implements vscode.Disposable {
  private filter: ExcludeFilter;
  private readonly subscription: vscode.Disposable;

  constructor(settings: Settings) {
    this.filter = new ExcludeFilter(settings.values.excludeFiles);
    this.subscription = settings.onDidChange((values) => {
      this.filter = new ExcludeFilter(values.excludeFiles);
    });
  }

  /**
   * The folder presence paths are relative to, or undefined without a workspace. A guest's
   * `pairline:` folder (the host's first shared folder) wins over local folders.
   */
  get root(): vscode.Uri | undefined {
    const folders = vscode.workspace.workspaceFolders;
    return (folders?.find((folder) => folder.uri.scheme === PAIRLINE_SCHEME) ?? folders?.[0])?.uri;
  }

  /** The wire path of a local document, or undefined when it must not be announced. */
  toWire(uri: vscode.Uri): string | undefined {
    const root = this.root;
    if (!root || uri.scheme !== root.scheme || uri.authority !== root.authority) return undefined;
    const relative = relativeWorkspacePath(root.path, uri.path);
    if (relative === undefined || this.filter.isExcluded(relative)) return undefined;
    return relative;
  }

  /** The local URI of a wire path, or undefined when it cannot be mapped (or is excluded). */
  toLocal(path: string): vscode.Uri | undefined {
    const root = this.root;
    const normalised = normaliseWorkspacePath(path);
    if (!root || !normalised.ok || normalised.path === '.' || this.filter.isExcluded(normalised.path)) return undefined;
    return vscode.Uri.joinPath(root, ...normalised.path.split('/'));
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
