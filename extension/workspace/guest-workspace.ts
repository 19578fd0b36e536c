/**
 * The guest's side of shared folders in a window: registers the `pairline:` file system, adds the
 * host's folders to the workspace when we join, takes them away when the session ends, and removes
 * a `pairline:` folder left over from a session that is gone.
 *
 * Adding the first folder to an empty window (or turning a one-folder window into a workspace)
 * restarts the extension host. The resume state is stored in SecretStorage right before the
 * folders are added; after the restart the session manager resumes it by itself and this class
 * finds the folders already there.
 */
import * as vscode from 'vscode';
import type { SessionClientApi, StateChange } from '../../client/api';
import type { Logger } from '../../client/ports';
import { RemoteFiles, type RemoteFilesState } from '../../client/files/remote-files';
import { errorMessage } from '../log';
import type { SecretStore } from '../secrets';
import type { SessionManager } from '../session-manager';
import { PairlineFileSystem, type RemoteFilesSource } from './guest-file-system';
import { authorityOf, missingFolders, PAIRLINE_SCHEME, plannedFolders, sameSession, type FolderLike } from './remote-paths';

export const ENDED_FOLDER_MESSAGE = 'The Pairline session for this folder has ended; the folder was removed.';
/** How long a file request waits for the session behind its folder to be (re)joined. */
const SESSION_WAIT_MS = 60_000;

interface ActiveFiles {
  readonly session: string;
  readonly remote: RemoteFiles;
  readonly subscriptions: { dispose(): void }[];
}

export class GuestWorkspace implements vscode.Disposable, RemoteFilesSource {
  private readonly provider: PairlineFileSystem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private clientSubscriptions: { dispose(): void }[] = [];
  private active: ActiveFiles | undefined;
  private waitingMessage: vscode.Disposable | undefined;
  private readonly filesAvailable = new vscode.EventEmitter<void>();
  private cleaning = false;

  constructor(
    private readonly sessions: SessionManager,
    private readonly secrets: SecretStore,
    private readonly log: Logger,
  ) {
    this.provider = new PairlineFileSystem(this);
    this.subscriptions.push(
      this.provider,
      this.filesAvailable,
      vscode.workspace.registerFileSystemProvider(PAIRLINE_SCHEME, this.provider, { isCaseSensitive: true }),
      sessions.onDidChangeClient((client) => this.watchClient(client)),
      // A `pairline:` folder can also arrive later (a saved workspace, another extension): same check.
      vscode.workspace.onDidChangeWorkspaceFolders((change) => {
        if (change.added.some((folder) => folder.uri.scheme === PAIRLINE_SCHEME)) {
          this.removeStaleFolders().catch((error: unknown) => this.log.warn('could not check for stale pairline: folders', { error: errorMessage(error) }));
        }
      }),
    );
    this.watchClient(sessions.client);
  }

  get readOnly(): boolean {
    return this.sessions.role === 'viewer';
  }

  /** The shared files of the current session (undefined unless we are a joined guest). */
  get files(): RemoteFiles | undefined {
    return this.active?.remote;
  }

  async filesFor(authority: string): Promise<RemoteFiles> {
    const deadline = Date.now() + SESSION_WAIT_MS;
    for (;;) {
      // Listen before looking: the files of a rejoined session can arrive while mayComeBack awaits
      // SecretStorage (the `connected` state fires just before the join that creates them).
      const next = this.nextChange();
      try {
        if (this.active && sameSession(authority, this.active.session)) return this.active.remote;
        if (!(await this.mayComeBack(authority))) throw vscode.FileSystemError.Unavailable(ENDED_FOLDER_MESSAGE);
        if (!(await next.within(deadline - Date.now()))) {
          throw vscode.FileSystemError.Unavailable('The Pairline session for this folder is not connected yet; check the status bar and try again.');
        }
      } finally {
        next.dispose();
      }
    }
  }

  /**
   * At activation, and whenever a `pairline:` folder is added: removes the `pairline:` folders that
   * neither the current session nor the stored one (resumed by the session manager) will serve.
   * Folders of the stored session stay; if resuming it fails for good, {@link sessionEnded}
   * removes them.
   */
  async removeStaleFolders(): Promise<void> {
    // Removing folders changes the workspace, which calls this again: one pass at a time.
    if (this.cleaning) return;
    this.cleaning = true;
    try {
      await this.removeStale();
    } finally {
      this.cleaning = false;
    }
  }

  private async removeStale(): Promise<void> {
    const stored = await this.secrets.resumeState();
    const client = this.sessions.client;
    const alive = [stored?.side === 'guest' ? stored.session : undefined, client?.state !== 'ended' ? client?.session : undefined];
    const isStale = (folder: FolderLike) => folder.scheme === PAIRLINE_SCHEME && !alive.some((session) => sameSession(folder.authority, session));
    await closeEditors(isStale);
    if (!folderLikes().some(isStale)) return;
    this.log.info('removing pairline: folders of sessions that are gone');
    if (await this.removeFolders(isStale)) void vscode.window.showWarningMessage(ENDED_FOLDER_MESSAGE);
  }

  dispose(): void {
    this.dropClient();
    this.waitingMessage?.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private watchClient(client: SessionClientApi | undefined): void {
    this.dropClient();
    if (!client) return;
    this.clientSubscriptions.push(
      client.onDidJoin((info) => {
        if (info.you.role === 'host') return;
        this.ensureFiles(client);
        this.showFolders(client).catch((error: unknown) => this.log.error('could not add the host\'s folders', { error: errorMessage(error) }));
      }),
      client.onDidChangeState((change) => {
        if (change.state === 'ended') this.sessionEnded(client, change).catch((error: unknown) => this.log.error('could not remove the session\'s folders', { error: errorMessage(error) }));
      }),
      client.onDidChangeRoster((change) => {
        // Our own role changed (viewer ↔ editor): open editors re-read their read-only state.
        if (change.participant.id === client.me?.id && change.change === 'updated') this.provider.announceAllChanged(this.openPairlineUris());
      }),
    );
  }

  private ensureFiles(client: SessionClientApi): void {
    if (this.active && this.active.session === client.session) return;
    this.disposeFiles();
    const session = client.session;
    if (!session) return;
    const remote = new RemoteFiles(client);
    this.active = {
      session,
      remote,
      subscriptions: [
        remote.onDidChangeFiles((changes) => this.provider.announce(session, changes)),
        remote.onDidChangeState(({ state }) => this.showWaiting(state)),
      ],
    };
    this.showWaiting(remote.state);
    this.filesAvailable.fire();
  }

  /** Adds the folders the host shares that the window does not show yet. */
  private async showFolders(client: SessionClientApi): Promise<void> {
    const session = client.session;
    const remote = this.active?.remote;
    if (!session || !remote) return;
    const planned = plannedFolders(await remote.roots());
    const missing = missingFolders(folderLikes(), session, planned);
    if (missing.length === 0 || client.state === 'ended') return;
    // Adding the first folder restarts the extension host: store how to come back first.
    const resume = client.resumeState;
    if (resume) await this.secrets.setResumeState(resume);
    this.log.info('adding the host\'s shared folders to the workspace', { folders: missing.length });
    const added = await updateFolders(() => {
      const still = missingFolders(folderLikes(), session, planned);
      return still.length === 0 ? undefined : {
        start: vscode.workspace.workspaceFolders?.length ?? 0,
        deleteCount: 0,
        add: still.map((folder) => ({ uri: vscode.Uri.from({ scheme: PAIRLINE_SCHEME, authority: authorityOf(session), path: folder.path }), name: folder.name })),
      };
    });
    if (added === false) {
      void vscode.window.showErrorMessage('Pairline could not add the host\'s folder to this window. Run "Pairline: Go to File…" to open the host\'s files.');
    }
  }

  private async sessionEnded(client: SessionClientApi, change: StateChange): Promise<void> {
    const session = client.session;
    if (!session) return;
    if (this.active?.session === session) this.disposeFiles();
    const ofSession = (folder: FolderLike) => folder.scheme === PAIRLINE_SCHEME && sameSession(folder.authority, session);
    // Its files cannot be read any more: close their editors instead of leaving them failing.
    await closeEditors(ofSession);
    if (!folderLikes().some(ofSession)) return;
    this.log.info('the session ended: removing its folders from the workspace');
    // Removing the first folder restarts the extension host: never come back to an ended session.
    await this.secrets.setResumeState(undefined);
    const removed = await this.removeFolders(ofSession);
    if (!removed) this.log.warn('VS Code did not remove the session\'s folders');
    // "You left/ended the session." is already said by the command that did it.
    if (removed && !change.reason.startsWith('You ')) void vscode.window.showWarningMessage(ENDED_FOLDER_MESSAGE);
  }

  /** Removes every folder matching `which`, one contiguous run per workspace change. */
  private async removeFolders(which: (folder: FolderLike) => boolean): Promise<boolean> {
    const folders = folderLikes();
    if (vscode.env.uiKind === vscode.UIKind.Web && folders.length > 0 && folders.every(which)) {
      // In the browser, changing the first folder reloads the page right away, and the edit of the
      // untitled workspace file did not survive that reload: the next window still had the folder
      // and had to remove it again (a second reload). Closing the workspace reloads once, into an
      // empty window. (On the desktop this would ask to save the untitled workspace: edit it there.)
      this.log.info('closing the workspace: it only holds folders being removed');
      await vscode.commands.executeCommand('workbench.action.closeFolder');
      return true;
    }
    let removedAny = false;
    for (let round = 0; round < 16; round++) {
      const removed = await updateFolders(() => {
        const folders = folderLikes();
        const first = folders.findIndex(which);
        if (first < 0) return undefined;
        let count = 1;
        while (first + count < folders.length && which(folders[first + count]!)) count++;
        return { start: first, deleteCount: count, add: [] };
      });
      if (removed !== true) return removedAny;
      removedAny = true;
    }
    return removedAny;
  }

  private async mayComeBack(authority: string): Promise<boolean> {
    const client = this.sessions.client;
    if (client && client.state !== 'ended' && sameSession(authority, client.session)) return true;
    const stored = await this.secrets.resumeState();
    return stored?.side === 'guest' && sameSession(authority, stored.session);
  }

  /**
   * Notes whether files became available or the session state changed from now on;
   * `within(ms)` resolves true once that happened (at once if it already did), false after `ms`.
   */
  private nextChange(): { within(timeoutMs: number): Promise<boolean>; dispose(): void } {
    let happened = false;
    let wake: (() => void) | undefined;
    const done = () => {
      happened = true;
      wake?.();
    };
    const subscriptions = [this.filesAvailable.event(done), this.sessions.onDidChangeState(done)];
    let timer: NodeJS.Timeout | undefined;
    return {
      within: (timeoutMs) => new Promise<boolean>((resolve) => {
        if (happened) return resolve(true);
        if (timeoutMs <= 0) return resolve(false);
        wake = () => resolve(true);
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
      dispose: () => {
        clearTimeout(timer);
        subscriptions.forEach((subscription) => subscription.dispose());
      },
    };
  }

  private showWaiting(state: RemoteFilesState): void {
    this.waitingMessage?.dispose();
    this.waitingMessage = state === 'waiting-for-host'
      ? vscode.window.setStatusBarMessage('$(sync~spin) Pairline: the host is away; opening files waits until they are back…')
      : undefined;
  }

  private openPairlineUris(): vscode.Uri[] {
    return vscode.workspace.textDocuments.map((document) => document.uri).filter((uri) => uri.scheme === PAIRLINE_SCHEME);
  }

  private dropClient(): void {
    for (const subscription of this.clientSubscriptions) subscription.dispose();
    this.clientSubscriptions = [];
    this.disposeFiles();
  }

  private disposeFiles(): void {
    if (!this.active) return;
    for (const subscription of this.active.subscriptions) subscription.dispose();
    this.active.remote.dispose();
    this.active = undefined;
    this.showWaiting('ready');
  }
}

interface FolderChange {
  readonly start: number;
  readonly deleteCount: number;
  readonly add: { uri: vscode.Uri; name: string }[];
}

/** How long a folder change may wait for an earlier, still unconfirmed one. */
const FOLDER_UPDATE_WAIT_MS = 10_000;

/**
 * Applies the change `compute` describes (recomputed on each try; undefined: nothing to do).
 * VS Code refuses an update while an earlier one is unconfirmed, so a refusal waits for the next
 * workspace change (or a short pause) and tries again. Resolves after the change was announced.
 */
async function updateFolders(compute: () => FolderChange | undefined): Promise<boolean | undefined> {
  const deadline = Date.now() + FOLDER_UPDATE_WAIT_MS;
  for (;;) {
    const change = compute();
    if (!change) return undefined;
    let subscription: vscode.Disposable | undefined;
    const changed = new Promise<void>((resolve) => {
      subscription = vscode.workspace.onDidChangeWorkspaceFolders(() => resolve());
    });
    const pause = (ms: number) => Promise.race([changed, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
    try {
      if (vscode.workspace.updateWorkspaceFolders(change.start, change.deleteCount, ...change.add)) {
        await pause(FOLDER_UPDATE_WAIT_MS);
        return true;
      }
      if (Date.now() >= deadline) return false;
      await pause(250);
    } finally {
      subscription?.dispose();
    }
  }
}

/**
 * Closes every tab showing a file `which` matches (both sides of a diff count). Unsaved co-edited
 * text can no longer be saved there (the host holds the shared text), so those editors are
 * reverted as they close instead of blocking the removal on a "save changes?" dialog.
 */
async function closeEditors(which: (folder: FolderLike) => boolean): Promise<void> {
  const matches = (uri: vscode.Uri) => which({ scheme: uri.scheme, authority: uri.authority, path: uri.path });
  const tabs = () => vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tabUris(tab).some(matches));
  for (const document of vscode.workspace.textDocuments.filter((candidate) => candidate.isDirty && matches(candidate.uri))) {
    const tab = tabs().find((candidate) => candidate.input instanceof vscode.TabInputText && candidate.input.uri.toString() === document.uri.toString());
    if (!tab) continue;
    await vscode.window.showTextDocument(document, { viewColumn: tab.group.viewColumn, preview: false });
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  const rest = tabs();
  if (rest.length > 0) await vscode.window.tabGroups.close(rest, true);
}

function tabUris(tab: vscode.Tab): vscode.Uri[] {
  const input: unknown = tab.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputNotebook) return [input.uri];
  if (input instanceof vscode.TabInputTextDiff || input instanceof vscode.TabInputNotebookDiff) return [input.original, input.modified];
  return [];
}

function folderLikes(): FolderLike[] {
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => ({
    scheme: folder.uri.scheme, authority: folder.uri.authority, path: folder.uri.path,
  }));
}
