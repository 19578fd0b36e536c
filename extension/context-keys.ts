/** Context keys behind the commands' `when` clauses; set from the session manager's state only. */
import * as vscode from 'vscode';
import type { SessionManager } from './session-manager';

export class ContextKeys implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private readonly values = new Map<string, unknown>();

  constructor(private readonly sessions: SessionManager) {
    this.subscriptions = [sessions.onDidChange(() => this.update()), sessions.onDidChangeClient(() => this.update())];
    this.update();
  }

  /** Sets a key outside the session state (e.g. `pairline.hasRelayToken`). */
  set(key: string, value: unknown): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private update(): void {
    const client = this.sessions.client;
    const inSession = this.sessions.inSession;
    this.set('pairline.inSession', inSession);
    this.set('pairline.isHost', inSession && client?.role === 'host');
    this.set('pairline.following', inSession && client?.following !== undefined);
    this.set('pairline.encrypted', inSession && client?.safetyCode !== undefined);
    this.set('pairline.state', client?.state ?? 'idle');
  }
}

/** One context key owned by another component (e.g. `pairline.coEdited`), sent to VS Code only when it changes. */
export class ContextKey<T> {
  private value: T | undefined;

  constructor(private readonly key: string) {}

  set(value: T): void {
    if (this.value === value) return;
    this.value = value;
    void vscode.commands.executeCommand('setContext', this.key, value);
  }
}
