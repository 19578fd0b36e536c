/**
 * "Pairline: Show Shared Files" (host: what guests can see) and "Pairline: Go to File…" (guest:
 * Quick Open finds nothing in a `pairline:` folder, so this picks from the host's file list).
 */
import * as vscode from 'vscode';
import type { Logger } from '../../client/ports';
import type { SessionManager } from '../session-manager';
import { errorMessage } from '../log';
import { toFileSystemError } from './guest-file-system';
import type { GuestWorkspace } from './guest-workspace';
import type { HostShare } from './host-share';
import { authorityOf, PAIRLINE_SCHEME, uriPathOf } from './remote-paths';

export function registerFileCommands(sessions: SessionManager, share: HostShare, guest: GuestWorkspace, log: Logger): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('pairline.showSharedFiles', () => showSharedFiles(share, log)),
    vscode.commands.registerCommand('pairline.goToFile', () => goToFile(sessions, guest, log)),
  );
}

async function showSharedFiles(share: HostShare, log: Logger): Promise<void> {
  const server = share.current;
  if (!server) {
    void vscode.window.showInformationMessage('Nothing is shared: start a session in a window with a folder open (Pairline: Start Session).');
    return;
  }
  const listing = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Pairline: listing shared files' },
    () => server.sharedFiles(),
  ).then((result) => result, (error: unknown) => {
    log.error('could not list the shared files', { error: errorMessage(error) });
    return undefined;
  });
  if (!listing) {
    void vscode.window.showErrorMessage('Pairline could not list the shared files; see Pairline: Show Log.');
    return;
  }
  const { names, prefixed } = server.roots;
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
  const picked = await vscode.window.showQuickPick(listing.files.map((file) => ({ label: file })), {
    title: `Shared with guests: ${listing.files.length}${listing.truncated ? '+' : ''} files (excluded and hidden files are not listed)`,
    placeHolder: 'Files guests can browse and open; pick one to open it',
    matchOnDescription: true,
  });
  if (!picked) return;
  const local = localUriOf(picked.label, names, prefixed, folders);
  if (local) await vscode.window.showTextDocument(local, { preview: true });
}

function localUriOf(wirePath: string, names: readonly string[], prefixed: boolean, folders: readonly vscode.WorkspaceFolder[]): vscode.Uri | undefined {
  const segments = wirePath.split('/');
  if (!prefixed) return folders[0] ? vscode.Uri.joinPath(folders[0].uri, ...segments) : undefined;
  const index = names.indexOf(segments[0] ?? '');
  const folder = folders.find((candidate) => candidate.name === names[index]);
  return folder ? vscode.Uri.joinPath(folder.uri, ...segments.slice(1)) : undefined;
}

async function goToFile(sessions: SessionManager, guest: GuestWorkspace, log: Logger): Promise<void> {
  const files = guest.files;
  const session = sessions.client?.session;
  if (!files || !session) {
    void vscode.window.showInformationMessage('Go to File works for guests of a Pairline session; join one first (Pairline: Join Session…).');
    return;
  }
  const picker = vscode.window.createQuickPick<vscode.QuickPickItem & { path: string }>();
  picker.title = 'Pairline: Go to File in the host\'s project';
  picker.placeholder = 'Loading the host\'s file list…';
  picker.matchOnDescription = true;
  picker.busy = true;
  picker.show();
  try {
    const listing = await files.listFiles();
    picker.items = listing.files.map((path) => {
      const slash = path.lastIndexOf('/');
      return { label: path.slice(slash + 1), description: slash > 0 ? path.slice(0, slash) : '', path };
    });
    picker.placeholder = listing.truncated ? 'Type to search (the host listed only part of a very large project)' : 'Type to search the host\'s files';
  } catch (error) {
    picker.hide();
    log.error('could not list the host\'s files', { error: errorMessage(error) });
    void vscode.window.showErrorMessage(`Pairline could not list the host's files: ${errorMessage(toFileSystemError(error))}`);
    return;
  } finally {
    picker.busy = false;
  }
  const chosen = await new Promise<string | undefined>((resolve) => {
    picker.onDidAccept(() => resolve(picker.selectedItems[0]?.path));
    picker.onDidHide(() => resolve(undefined));
  });
  picker.dispose();
  if (chosen) await vscode.window.showTextDocument(vscode.Uri.from({ scheme: PAIRLINE_SCHEME, authority: authorityOf(session), path: uriPathOf(chosen) }));
}
