/**
 * The user-facing flows of starting, joining and leaving a session: progress, clipboard,
 * notifications and error sentences. Commands and the URI handler call these.
 */
import * as vscode from 'vscode';
import type { InviteLink, JoinInfo, SessionClientApi, StateChange } from '../client/api';
import type { Logger } from '../client/ports';
import { inviteNotice, type GuestRole, type Invite } from '../protocol';
import type { SessionManager } from './session-manager';
import { errorMessage } from './log';

export class SessionFlows {
  constructor(
    private readonly sessions: SessionManager,
    private readonly log: Logger,
    private readonly showLog: () => void,
  ) {}

  /** Start Session: create it, copy the invite link, show it with "Copy again". */
  async start(): Promise<string | undefined> {
    if (!this.ensureNotInSession()) return undefined;
    let outcome: JoinInfo | 'cancelled';
    try {
      outcome = await this.connect('Starting a session…', () => this.sessions.host());
    } catch (error) {
      this.fail('Could not start a Pairline session', error);
      return undefined;
    }
    if (outcome === 'cancelled') return undefined;
    const link = this.sessions.client?.inviteLink;
    this.log.info('session started', { session: outcome.session });
    if (!link) return undefined;
    await this.copyInvite(link, 'Session started. The invite link is on your clipboard — send it to your teammate.');
    return link;
  }

  /** Copies the invite link and says so, offering to copy it again. */
  async copyInvite(link = this.sessions.client?.inviteLink, message = 'The invite link is on your clipboard.'): Promise<void> {
    if (!link) {
      void vscode.window.showWarningMessage('There is no invite link: only the host of a running session has one.');
      return;
    }
    const copied = await this.writeClipboard(link);
    const text = copied ? message : 'Copy the invite link below and send it to your teammate (the clipboard is not available here).';
    void vscode.window.showInformationMessage(`${text}\n${link}`, 'Copy again').then(async (choice) => {
      if (choice === 'Copy again') await this.writeClipboard(link);
    });
  }

  /**
   * Rotate Invite Link: a new main link; every earlier link stops working for new joins, while
   * everyone already in the session stays. Copies the new link.
   */
  async rotateInvite(confirm = true): Promise<string | undefined> {
    const client = this.hostClient();
    if (!client) return undefined;
    if (confirm) {
      const choice = await vscode.window.showWarningMessage(
        'Replace the invite link? The current link, and any viewer or expiring links, stop working for new joins. Everyone already in the session stays.',
        { modal: true }, 'Replace Link');
      if (choice !== 'Replace Link') return undefined;
    }
    let invite: InviteLink;
    try {
      invite = await client.rotateInvite();
    } catch (error) {
      this.fail('The invite link was not replaced', error);
      return undefined;
    }
    this.log.info('invite link rotated');
    await this.copyInvite(invite.link, 'The invite link was replaced: the new one is on your clipboard. The old link no longer lets anyone join.');
    return invite.link;
  }

  /** Create Invite Link…: an extra link with a role and an expiry; the main link keeps working. */
  async createInvite(options: { role?: GuestRole; expiresInMinutes?: number } = {}): Promise<string | undefined> {
    const client = this.hostClient();
    if (!client) return undefined;
    const role = options.role ?? await pick<GuestRole>('Invite link: what may guests joining with it do?', [
      { label: 'Editor', description: 'can edit shared files', value: 'editor' },
      { label: 'Viewer', description: 'can watch and follow, not edit', value: 'viewer' },
    ]);
    if (!role) return undefined;
    const minutes = options.expiresInMinutes ?? await pick<number>('Invite link: when does it stop letting people join?', [
      { label: 'Never', description: 'until you rotate the invite link', value: 0 },
      { label: 'In 1 hour', value: 60 },
      { label: 'In 1 day', value: 24 * 60 },
    ]);
    if (minutes === undefined) return undefined;
    let invite: InviteLink;
    try {
      invite = await client.createInvite({ role, ...(minutes > 0 ? { expiresAt: Date.now() + minutes * 60_000 } : {}) });
    } catch (error) {
      this.fail('No invite link was created', error);
      return undefined;
    }
    this.log.info('extra invite link created', { role, expiresInMinutes: minutes });
    const until = invite.expiresAt !== undefined ? ` It stops letting people join at ${localTime(invite.expiresAt)}.` : '';
    await this.copyInvite(invite.link, `${role === 'viewer' ? 'A viewer' : 'An editor'} invite link is on your clipboard.${until} Guests already in the session are not affected.`);
    return invite.link;
  }

  private hostClient(): SessionClientApi | undefined {
    const client = this.sessions.client;
    if (client && this.sessions.inSession && client.role === 'host') return client;
    void vscode.window.showWarningMessage('Only the host of a running session can make invite links.');
    return undefined;
  }

  /** Browsers may refuse clipboard access (code-server without focus); the link is shown anyway. */
  private async writeClipboard(text: string): Promise<boolean> {
    try {
      await vscode.env.clipboard.writeText(text);
      return true;
    } catch (error) {
      this.log.warn('could not write the invite link to the clipboard', { error: errorMessage(error) });
      return false;
    }
  }

  /** Join: progress that tracks the client's state, cancellable until the host lets us in. */
  async join(invite: Invite): Promise<boolean> {
    if (!this.ensureNotInSession()) return false;
    // The link's role and expiry are hints (the relay decides), but an expired one would only be refused.
    const notice = inviteNotice(invite, Date.now(), localTime);
    if (notice.expired) {
      this.log.info('not joining: the invite link has expired', { expiresAt: invite.expiresAt });
      void vscode.window.showErrorMessage(notice.sentence ?? 'This invite link has expired. Ask the host for a new one.');
      return false;
    }
    let outcome: JoinInfo | 'cancelled';
    try {
      outcome = await this.connect(notice.sentence ? `Connecting to relay… ${notice.sentence}` : 'Connecting to relay…', () => this.sessions.join(invite));
    } catch (error) {
      this.fail('Could not join the Pairline session', error);
      return false;
    }
    if (outcome === 'cancelled') return false;
    const host = outcome.roster.find((participant) => participant.role === 'host');
    void vscode.window.showInformationMessage(`Joined ${host ? `${host.name}'s` : 'the'} session as ${outcome.you.role}.`);
    return true;
  }

  /**
   * Runs a start or join under a cancellable progress notification that says what the client is
   * doing. The client retries an unreachable relay forever, so the person must be able to stop.
   */
  private connect(first: string, run: () => Promise<JoinInfo>): Thenable<JoinInfo | 'cancelled'> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Pairline', cancellable: true },
      async (progress, token) => {
        progress.report({ message: first });
        const watching = this.sessions.onDidChangeState((change) => {
          const message = progressMessage(change, this.sessions.relay);
          if (message) progress.report({ message });
        });
        let cancelled: vscode.Disposable | undefined;
        const cancel = new Promise<'cancelled'>((resolve) => {
          cancelled = token.onCancellationRequested(() => resolve('cancelled'));
        });
        try {
          const outcome = await Promise.race([run(), cancel]);
          if (outcome === 'cancelled') {
            this.log.info('cancelled by the user before the session was joined');
            await this.sessions.cancel();
          }
          return outcome;
        } catch (error) {
          if (token.isCancellationRequested) return 'cancelled';
          throw error;
        } finally {
          watching.dispose();
          cancelled?.dispose();
        }
      },
    );
  }

  async leave(): Promise<void> {
    const host = this.sessions.role === 'host';
    try {
      await this.sessions.leave();
    } catch (error) {
      this.fail('Leaving the session did not complete cleanly', error);
      return;
    }
    void vscode.window.showInformationMessage(host
      ? 'You left the session. Guests stay connected until you come back or end it (Pairline: End Session).'
      : 'You left the session.');
  }

  async end(confirm = true): Promise<void> {
    if (confirm) {
      const choice = await vscode.window.showWarningMessage('End the Pairline session for everyone?', { modal: true }, 'End Session');
      if (choice !== 'End Session') return;
    }
    try {
      await this.sessions.end();
    } catch (error) {
      this.fail('Ending the session did not complete cleanly', error);
    }
  }

  private ensureNotInSession(): boolean {
    if (!this.sessions.inSession) return true;
    void vscode.window.showWarningMessage('You are already in a Pairline session. Leave it first (Pairline: Leave Session).');
    return false;
  }

  private fail(what: string, error: unknown): void {
    const message = errorMessage(error);
    this.log.error(`${what}: ${message}`);
    const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
    void vscode.window.showErrorMessage(`${what}. ${sentence}`, 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.showLog();
    });
  }
}

/** A time for people, in their own time zone, e.g. "28 Nov 2026, 14:30". */
export function localTime(epochMs: number): string {
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

async function pick<T>(title: string, items: readonly { label: string; description?: string; value: T }[]): Promise<T | undefined> {
  return (await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true }))?.value;
}

/** What the progress notification says for a state change before the first join. */
function progressMessage(change: StateChange, relay: string | undefined): string | undefined {
  switch (change.state) {
    case 'waiting-for-approval':
      return 'Waiting for the host to let you in…';
    case 'waiting-for-host':
      return 'The session is not on the relay yet. Waiting for the host…';
    case 'reconnecting': {
      const seconds = change.retryInMs !== undefined ? ` in ${Math.max(1, Math.round(change.retryInMs / 1000))} s` : '';
      return `Cannot reach the relay${relay ? ` at ${relay}` : ''} (attempt ${change.attempt}). `
        + `Check that it is running and that pairline.relayUrl is right; retrying${seconds}. Cancel to stop.`;
    }
    default:
      return undefined;
  }
}
