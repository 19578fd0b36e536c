/**
 * The host's side: while we host a session, a {@link HostFileServer} answers guests' file
 * requests for the window's local workspace folders (every root of a multi-root workspace).
 * It is rebuilt when the folders or the sharing settings change, and disposed when the session
 * ends. "Pairline: Show Shared Files" lists what it serves.
 */
import * as vscode from 'vscode';
import type { SessionClientApi } from '../../client/api';
import type { Logger } from '../../client/ports';
import { HostFileServer } from '../../client/files/host-file-server';
import { errorMessage } from '../log';
import type { SessionManager } from '../session-manager';
import type { PairlineSettings, Settings } from '../settings';

export class HostShare implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private clientSubscriptions: { dispose(): void }[] = [];
  private server: HostFileServer | undefined;
  /** Bumped on every rebuild, so a slow `create` that lost the race disposes its result. */
  private generation = 0;
  private client: SessionClientApi | undefined;

  constructor(
    sessions: SessionManager,
    private readonly settings: Settings,
    private readonly log: Logger,
  ) {
    this.subscriptions.push(
      sessions.onDidChangeClient((client) => this.watchClient(client)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rebuild()),
      settings.onDidChange(() => this.rebuild()),
    );
    this.watchClient(sessions.client);
  }

  /** The server while hosting, else undefined. */
  get current(): HostFileServer | undefined {
    return this.server;
  }

  dispose(): void {
    this.watchClient(undefined);
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private watchClient(client: SessionClientApi | undefined): void {
    for (const subscription of this.clientSubscriptions) subscription.dispose();
    this.clientSubscriptions = [];
    this.client = client;
    this.stop();
    if (!client) return;
    this.clientSubscriptions.push(
      client.onDidJoin((info) => {
        if (info.you.role === 'host' && !this.server) this.rebuild();
      }),
      client.onDidChangeState((change) => {
        if (change.state === 'ended') this.stop();
      }),
    );
  }

  private rebuild(): void {
    const client = this.client;
    this.stop();
    if (!client || client.role !== 'host' || client.state === 'ended') return;
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
    if (folders.length === 0) {
      this.log.info('no local workspace folder to share with guests');
      return;
    }
    const generation = this.generation;
    HostFileServer.create(client, serverOptions(folders, this.settings.values, this.log)).then((server) => {
      if (generation !== this.generation) {
        server.dispose();
        return;
      }
      this.server = server;
      this.log.info('sharing the workspace folders with guests', { folders: folders.length });
    }, (error: unknown) => {
      this.log.error('could not share the workspace folders', { error: errorMessage(error) });
      void vscode.window.showErrorMessage(`Pairline could not share this window's folders with guests: ${errorMessage(error)}`);
    });
  }

  private stop(): void {
    this.generation++;
    this.server?.dispose();
    this.server = undefined;
  }
}

function serverOptions(folders: readonly vscode.WorkspaceFolder[], values: PairlineSettings, logger: Logger) {
  return {
    folders: folders.map((folder) => ({ path: folder.uri.fsPath, name: folder.name })),
    exclude: values.excludeFiles,
    hideGitIgnored: values.hideGitIgnored,
    maxFileBytes: Math.round(values.maxSharedFileMB * 1024 * 1024),
    logger,
  };
}
