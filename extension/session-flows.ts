/**
 * The user-facing flows of starting, joining and leaving a session: progress, clipboard,
 * notifications and error sentences. Commands and the URI handler call these.
 */
import * as vscode from 'vscode';
import type { JoinInfo, StateChange } from '../client/api';
import type { Logger } from '../client/ports';
import type { Invite } from '../protocol';
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
    let outcome: JoinInfo | 'cancelled';
    try {
      outcome = await this.connect('Connecting to relay…', () => this.sessions.join(invite));
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
