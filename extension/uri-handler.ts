/** Handles `vscode://pairline.pairline/join?…` links (the relay's /join page hands over to these). */
import * as vscode from 'vscode';
import type { Logger } from '../client/ports';
import { inviteFromUri } from '../client/status/join-input';
import type { Invite } from '../protocol';

export class InviteUriHandler implements vscode.UriHandler {
  constructor(
    private readonly join: (invite: Invite) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  handleUri(uri: vscode.Uri): void {
    // Log the path only: the query names the session and the fragment holds secrets.
    this.log.info('opened from a link', { path: uri.path });
    const result = inviteFromUri(uri);
    if (!result.ok) {
      void vscode.window.showErrorMessage(result.error);
      return;
    }
    this.join(result.invite).catch((error: unknown) => this.log.error('joining from a link failed', { error: String(error) }));
  }
}
