/**
 * Publishes where we are: the active editor's file (workspace-relative, only when shareable),
 * every selection and the visible ranges, at most every 50 ms with leading and trailing edge.
 * A file outside the workspace or matching `pairline.excludeFiles` is announced as "no file".
 * In a co-edited file each selection end also carries its Yjs relative position, so peers can
 * keep our cursor on its character while others type (line/character stay as the fallback).
 */
import * as vscode from 'vscode';
import type { PresencePayload } from '../protocol';
import { systemClock } from '../client/ports';
import { withinPresenceBudget } from '../client/presence/anchors';
import { Throttle } from '../client/presence/throttle';
import { anchorSelections, whenEditorCaughtUp } from './documents/anchors';
import type { CoEditing } from './documents/co-editing';
import type { SessionManager } from './session-manager';
import type { WorkspaceMapping } from './workspace-mapping';

/** DESIGN.md "Presence": at most every 50 ms per participant. */
export const PRESENCE_INTERVAL_MS = 50;

type LocalPresence = Omit<PresencePayload, 'type'>;

export class PresencePublisher implements vscode.Disposable {
  private readonly throttle: Throttle<LocalPresence>;
  private readonly subscriptions: vscode.Disposable[];
  private waitingForEditor = false;
  private disposed = false;

  constructor(
    private readonly sessions: SessionManager,
    private readonly mapping: WorkspaceMapping,
    private readonly coEditing: CoEditing,
  ) {
    this.throttle = new Throttle<LocalPresence>(systemClock, PRESENCE_INTERVAL_MS, (presence) => {
      this.sessions.client?.setPresence(presence);
    });
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.publish()),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === vscode.window.activeTextEditor) this.publish();
      }),
      vscode.window.onDidChangeTextEditorVisibleRanges((event) => {
        if (event.textEditor === vscode.window.activeTextEditor) this.publish();
      }),
      // A new client starts with no presence: drop what was meant for the old one, and tell the
      // new one where we are once it has joined (it re-sends that itself after reconnects).
      sessions.onDidChangeClient(() => this.throttle.cancel()),
      sessions.onDidChangeState((change) => {
        if (change.state === 'connected' && change.previous !== 'connected') this.publish();
      }),
      // The file in front of us just became co-edited: peers get our cursor anchored now, not
      // only after our next selection change (until then they had line/character alone).
      coEditing.onDidBind((document) => {
        if (document === vscode.window.activeTextEditor?.document) this.publish();
      }),
    ];
  }

  /**
   * Offers the current position to the throttle. In a co-edited file, once the editor shows the
   * shared text: anchors are made from editor offsets, which run behind the shared text's while
   * remote edits are on their way into the editor (a wrong anchor would stay wrong).
   */
  publish(): void {
    if (!this.sessions.inSession || this.waitingForEditor) return;
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !this.coEditing.sharedDocumentOf(document.uri)) {
      this.throttle.push(currentPresence(this.mapping, this.coEditing));
      return;
    }
    this.waitingForEditor = true;
    const push = () => {
      this.waitingForEditor = false;
      if (!this.disposed && this.sessions.inSession) this.throttle.push(currentPresence(this.mapping, this.coEditing));
    };
    void whenEditorCaughtUp(this.coEditing, document.uri).then(push);
  }

  dispose(): void {
    this.disposed = true;
    this.throttle.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

function currentPresence(mapping: WorkspaceMapping, coEditing: CoEditing): LocalPresence {
  const editor = vscode.window.activeTextEditor;
  const file = editor ? mapping.toWire(editor.document.uri) : undefined;
  if (!editor || file === undefined) return { selections: [] };
  const selections = editor.selections.slice(0, 64).map((selection) => ({
    anchor: { line: selection.anchor.line, character: selection.anchor.character },
    head: { line: selection.active.line, character: selection.active.character },
  }));
  return withinPresenceBudget({
    file,
    selections: anchorSelections(coEditing, editor.document, selections),
    visible: editor.visibleRanges.slice(0, 8).map((range) => ({ start: range.start.line, end: range.end.line })),
  });
}
