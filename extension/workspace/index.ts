/**
 * Shared folders in VS Code: the host's file server, the guest's `pairline:` workspace and the
 * two file commands, wired in one call from `activate()`.
 */
import type * as vscode from 'vscode';
import type { Logger } from '../../client/ports';
import { errorMessage } from '../log';
import type { SecretStore } from '../secrets';
import type { SessionManager } from '../session-manager';
import type { Settings } from '../settings';
import { registerFileCommands } from './file-commands';
import { GuestWorkspace } from './guest-workspace';
import { HostShare } from './host-share';

/** Call before the session manager resumes a stored session, so the guest side sees that client. */
export function registerSharedWorkspace(sessions: SessionManager, settings: Settings, secrets: SecretStore, log: Logger): vscode.Disposable {
  const share = new HostShare(sessions, settings, log);
  const guest = new GuestWorkspace(sessions, secrets, log);
  guest.removeStaleFolders().catch((error: unknown) => log.warn('could not check for stale pairline: folders', { error: errorMessage(error) }));
  const commands = registerFileCommands(sessions, share, guest, log);
  return { dispose: () => [commands, guest, share].forEach((part) => part.dispose()) };
}
