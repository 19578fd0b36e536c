/**
 * The one status bar item. Renders {@link statusView} from the session manager's state, on client
 * events and on the countdown ticks the model asks for; clicking opens the session menu.
 */
import * as vscode from 'vscode';
import { statusView, type StatusView } from '../client/status/status-model';
import type { SessionManager } from './session-manager';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[];
  private timer: NodeJS.Timeout | undefined;
  private view: StatusView | undefined;

  constructor(private readonly sessions: SessionManager) {
    this.item = vscode.window.createStatusBarItem('pairline.status', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Pairline';
    this.item.command = 'pairline.sessionMenu';
    this.subscriptions = [sessions.onDidChange(() => this.render()), sessions.onDidChangeClient(() => this.render())];
    this.render();
    this.item.show();
  }

  /** The text shown now (tests read it through the extension's API). */
  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    return this.view?.tooltip ?? '';
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }

  private render(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.sessions.client;
    const change = this.sessions.lastStateChange;
    const view = statusView({
      state: client?.state,
      now: Date.now(),
      roster: this.sessions.roster,
      ...(change ? { reason: change.reason, attempt: change.attempt } : {}),
      ...(change?.retryAt !== undefined && (client?.state === 'reconnecting' || client?.state === 'waiting-for-host') ? { retryAt: change.retryAt } : {}),
      ...(this.sessions.disconnectedSince !== undefined ? { disconnectedSince: this.sessions.disconnectedSince } : {}),
      ...(client?.roundTrip ? { roundTrip: client.roundTrip } : {}),
      ...(this.sessions.relay ? { relay: this.sessions.relay } : {}),
      ...(client?.session ? { session: client.session } : {}),
      ...(client?.role ? { role: client.role } : {}),
      ...(client?.following ? { following: client.following } : {}),
    });
    this.view = view;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.severity === 'normal' ? undefined : new vscode.ThemeColor(`statusBarItem.${view.severity}Background`);
    if (view.refreshInMs !== undefined) this.timer = setTimeout(() => this.render(), view.refreshInMs);
  }
}
