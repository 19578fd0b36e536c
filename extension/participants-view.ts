/**
 * The Participants tree: each participant with their colour, role, state and current file, and,
 * for the host, the guests waiting to be let in. Clicking a participant jumps to their cursor.
 */
import * as vscode from 'vscode';
import type { Participant } from '../protocol';
import { participantColorId } from '../client/presence/colors';
import type { SessionManager } from './session-manager';

export const PARTICIPANTS_VIEW = 'pairline.participants';

export type ParticipantsNode =
  | { readonly kind: 'participant'; readonly participant: Participant }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'knock'; readonly id: string; readonly name: string };

/** A row as drawn, for tests (label and description as the person sees them). */
export interface ParticipantsRow {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly contextValue: string;
}

export class ParticipantsView implements vscode.TreeDataProvider<ParticipantsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ParticipantsNode | undefined>();
  private readonly subscriptions: vscode.Disposable[];
  private readonly view: vscode.TreeView<ParticipantsNode>;

  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly sessions: SessionManager) {
    this.view = vscode.window.createTreeView(PARTICIPANTS_VIEW, { treeDataProvider: this, showCollapseAll: false });
    this.subscriptions = [
      sessions.onDidChange(() => this.refresh()),
      sessions.onDidChangeClient(() => this.refresh()),
      // The "current file" column follows presence.
      sessions.onDidChangePresence(() => this.refresh()),
    ];
    this.refresh();
  }

  /** Reveals the view (Show Participants). */
  async show(): Promise<void> {
    await vscode.commands.executeCommand(`${PARTICIPANTS_VIEW}.focus`);
  }

  /** The rows as drawn now: participants, then waiting guests. */
  rows(): ParticipantsRow[] {
    const rows: ParticipantsRow[] = [];
    for (const node of this.getChildren()) {
      const nodes = node.kind === 'waiting' ? this.getChildren(node) : [node];
      for (const child of nodes) {
        const item = this.getTreeItem(child);
        rows.push({
          id: child.kind === 'participant' ? child.participant.id : child.kind === 'knock' ? child.id : 'waiting',
          label: typeof item.label === 'string' ? item.label : item.label?.label ?? '',
          description: typeof item.description === 'string' ? item.description : '',
          contextValue: item.contextValue ?? '',
        });
      }
    }
    return rows;
  }

  getChildren(element?: ParticipantsNode): ParticipantsNode[] {
    if (!this.sessions.inSession) return [];
    if (element?.kind === 'waiting') return this.sessions.knocks.map((knock) => ({ kind: 'knock', id: knock.id, name: knock.name }));
    if (element) return [];
    const nodes: ParticipantsNode[] = this.sortedRoster().map((participant) => ({ kind: 'participant', participant }));
    if (this.sessions.knocks.length > 0) nodes.push({ kind: 'waiting' });
    return nodes;
  }

  getTreeItem(node: ParticipantsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'participant': return this.participantItem(node.participant);
      case 'waiting': {
        const item = new vscode.TreeItem(`Waiting to join (${this.sessions.knocks.length})`, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('watch');
        item.contextValue = 'waiting';
        return item;
      }
      case 'knock': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.description = 'wants to join';
        item.tooltip = `${node.name} wants to join. Allow as editor, allow as viewer, or deny.`;
        item.iconPath = new vscode.ThemeIcon('person-add');
        item.contextValue = 'knock';
        item.id = `knock:${node.id}`;
        return item;
      }
    }
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.view.dispose();
    this.changed.dispose();
  }

  private refresh(): void {
    const count = this.sessions.inSession ? this.sessions.roster.length : 0;
    this.view.badge = this.sessions.knocks.length > 0
      ? { value: this.sessions.knocks.length, tooltip: `${this.sessions.knocks.length} waiting to join` }
      : undefined;
    this.view.description = count > 0 ? `${count} in session` : undefined;
    this.changed.fire(undefined);
  }

  private sortedRoster(): Participant[] {
    const me = this.sessions.client?.me?.id;
    // Us first, then the host, then everyone else by name.
    const rank = (participant: Participant) => (participant.id === me ? 0 : participant.role === 'host' ? 1 : 2);
    return [...this.sessions.roster].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  }

  private participantItem(participant: Participant): vscode.TreeItem {
    const isMe = participant.id === this.sessions.client?.me?.id;
    const item = new vscode.TreeItem(isMe ? `${participant.name} (you)` : participant.name, vscode.TreeItemCollapsibleState.None);
    const file = isMe ? undefined : this.sessions.presenceOf(participant.id)?.file;
    const following = this.sessions.client?.following === participant.id;
    item.description = [participant.role, participant.state === 'online' ? undefined : participant.state, file, following ? 'following' : undefined]
      .filter(Boolean).join(' · ');
    item.tooltip = `${participant.name} — ${participant.role}, ${participant.state}${file ? `, in ${file}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(participant.state === 'online' ? 'circle-filled' : 'circle-outline', new vscode.ThemeColor(participantColorId(participant.color)));
    item.id = `participant:${participant.id}`;
    item.contextValue = isMe ? 'participant:self' : `participant:remote:${participant.role === 'host' ? 'host' : 'guest'}`;
    if (!isMe) {
      item.command = { command: 'pairline.jumpToParticipant', title: 'Jump to Participant', arguments: [participant.id] };
    }
    return item;
  }
}
