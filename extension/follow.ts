/**
 * Follow mode glue: applies the steps of {@link FollowModel} to the editor (open the followed
 * participant's file, reveal their visible range) and reports the local user's own typing and
 * navigation, which stops following with a message saying so.
 */
import * as vscode from 'vscode';
import { systemClock, type Logger } from '../client/ports';
import { FollowModel, type FollowStep, type LocalView } from '../client/presence/follow';
import type { SessionManager } from './session-manager';
import type { WorkspaceMapping } from './workspace-mapping';
import { errorMessage } from './log';

export class FollowController implements vscode.Disposable {
  private readonly model = new FollowModel(systemClock);
  private readonly subscriptions: vscode.Disposable[];
  private lastActivity: string | undefined;

  constructor(
    private readonly sessions: SessionManager,
    private readonly mapping: WorkspaceMapping,
    private readonly log: Logger,
  ) {
    this.subscriptions = [
      this.model,
      this.model.onDidChange((change) => {
        this.sessions.client?.follow(change.participant);
        // What the editor reported last helps tell a real move from a misread echo of our own reveal.
        this.log.info(change.reason, change.participant === undefined && this.lastActivity ? { after: this.lastActivity } : undefined);
        if (change.participant === undefined) void vscode.window.showInformationMessage(change.reason);
      }),
      sessions.onDidChangePresence((participant) => {
        const presence = sessions.presenceOf(participant);
        if (!presence) {
          if (!sessions.participant(participant)) this.model.onParticipantLeft(participant);
          return;
        }
        const step = this.model.onPresence(participant, presence);
        if (step) this.apply(step).catch((error: unknown) => this.log.warn('could not follow', { error: errorMessage(error) }));
      }),
      sessions.onDidChangeState((change) => {
        if (change.state === 'ended') this.model.stop('The session ended; stopped following.');
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0 && event.document === vscode.window.activeTextEditor?.document) {
          this.lastActivity = 'typed';
          this.model.onLocalActivity('typed');
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        // Only the person's own moves: programmatic selection changes have no kind.
        if (event.kind === vscode.TextEditorSelectionChangeKind.Keyboard || event.kind === vscode.TextEditorSelectionChangeKind.Mouse) {
          this.lastActivity = 'moved the cursor';
          this.model.onLocalActivity('moved-cursor');
        }
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // No editor is a transient state while editors swap (or focus went to a panel): not a move.
        if (!editor || !this.model.following) return;
        const view = this.view(editor);
        this.lastActivity = `switched to ${view.file ?? '(not shared)'}`;
        this.model.onLocalActivity('switched-file', view);
      }),
      vscode.window.onDidChangeTextEditorVisibleRanges((event) => {
        if (event.textEditor !== vscode.window.activeTextEditor || !this.model.following) return;
        const view = this.view(event.textEditor);
        this.lastActivity = `scrolled ${view.file ?? '(not shared)'} to lines ${view.visible?.map((range) => `${range.start}-${range.end}`).join(',')}`;
        this.model.onLocalActivity('scrolled', view);
      }),
    ];
  }

  get following(): string | undefined {
    return this.model.following;
  }

  /** Starts following a participant; jumps to them at once when their position is known. */
  async start(participantId: string): Promise<void> {
    const participant = this.sessions.participant(participantId);
    if (!participant) {
      void vscode.window.showWarningMessage('That participant is no longer in the session.');
      return;
    }
    const step = this.model.start(participant, this.sessions.presenceOf(participantId));
    if (step) await this.apply(step);
  }

  stop(): void {
    this.model.stop('You stopped following.');
  }

  /** One-shot: open a participant's file at their cursor without following them. */
  async jumpTo(participantId: string): Promise<void> {
    const participant = this.sessions.participant(participantId);
    const presence = this.sessions.presenceOf(participantId);
    if (!participant || !presence?.file) {
      void vscode.window.showInformationMessage(`${participant?.name ?? 'That participant'} is not in a shared file right now.`);
      return;
    }
    const head = presence.selections[0]?.head;
    await this.reveal(presence.file, head ? { line: head.line, character: head.character } : undefined, undefined, participant.name);
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  /** Where an editor is, in the terms of the follow model. */
  private view(editor: vscode.TextEditor | undefined): LocalView {
    if (!editor) return {};
    const file = this.mapping.toWire(editor.document.uri);
    return {
      ...(file !== undefined ? { file } : {}),
      visible: editor.visibleRanges.map((range) => ({ start: range.start.line, end: range.end.line })),
    };
  }

  private async apply(step: FollowStep): Promise<void> {
    const name = this.sessions.participant(step.participant)?.name ?? 'the participant';
    await this.reveal(step.file, step.cursor, step.visible, name);
    this.model.didApply();
  }

  private async reveal(file: string, cursor: { line: number; character: number } | undefined,
    visible: { start: number; end: number } | undefined, name: string): Promise<void> {
    const uri = this.mapping.toLocal(file);
    if (!uri) {
      void vscode.window.showWarningMessage(`${name} is in ${file}, which is not in your workspace.`);
      return;
    }
    const editor = await vscode.window.showTextDocument(uri, { preview: true, preserveFocus: false });
    if (visible) {
      editor.revealRange(new vscode.Range(visible.start, 0, visible.start, 0), vscode.TextEditorRevealType.AtTop);
    } else if (cursor) {
      const position = new vscode.Position(cursor.line, cursor.character);
      editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }
}
