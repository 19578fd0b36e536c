/**
 * Remote cursors, selections and name labels. One {@link PeerDecoration} per remote participant
 * owns that participant's decoration types and disposes them when the participant leaves, so
 * nothing of a departed peer can linger in an editor.
 *
 * In a co-edited file a peer's selection ends carry Yjs relative positions: they are resolved
 * against our replica of the shared document each time we draw, and we draw again after every
 * change of that document (ours or anyone's), so the peer's cursor stays on its character while
 * someone types above it. Ends that do not resolve (not shared here, edit not received yet) are
 * drawn at their line/character.
 */
import * as vscode from 'vscode';
import type { Participant } from '../protocol';
import { hasAnchors } from '../client/presence/anchors';
import { peerMarks, type PeerMarks } from '../client/presence/decorations';
import { resolveSelectionsIn, whenEditorCaughtUp } from './documents/anchors';
import type { CoEditing } from './documents/co-editing';
import type { SessionManager } from './session-manager';
import type { Settings } from './settings';
import type { WorkspaceMapping } from './workspace-mapping';

/** What is currently drawn for one participant in one editor (exposed read-only to tests). */
export interface RenderedPeer {
  readonly participant: string;
  readonly name: string;
  /** `uri.toString()` of the document the marks are drawn in. */
  readonly uri: string;
  readonly colorId: string;
  readonly cursors: readonly { line: number; character: number }[];
  readonly selections: readonly { start: { line: number; character: number }; end: { line: number; character: number } }[];
  /** The label text drawn after the primary cursor, or undefined when labels are off. */
  readonly label: string | undefined;
  readonly dimmed: boolean;
}

export class PeerDecorations implements vscode.Disposable {
  private readonly peers = new Map<string, PeerDecoration>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Anchored peers waiting, per document (`uri.toString()`), for its editor to show the shared text. */
  private readonly waiting = new Map<string, Set<string>>();
  private disposed = false;

  /** Fires after the drawn marks changed (tests wait on this). */
  readonly onDidRender = this.changed.event;

  constructor(
    private readonly sessions: SessionManager,
    private readonly mapping: WorkspaceMapping,
    private readonly settings: Settings,
    private readonly coEditing: CoEditing,
  ) {
    this.subscriptions.push(
      sessions.onDidChangePresence((participant) => this.update(participant)),
      vscode.workspace.onDidChangeTextDocument((event) => this.documentChanged(event.document)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()),
      settings.onDidChange(() => this.renderAll()),
    );
  }

  /** Everything drawn right now, one entry per participant and editor. */
  get rendered(): readonly RenderedPeer[] {
    return [...this.peers.values()].flatMap((peer) => peer.rendered);
  }

  dispose(): void {
    for (const peer of this.peers.values()) peer.dispose();
    this.peers.clear();
    this.waiting.clear();
    this.disposed = true;
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }

  /**
   * Draws a participant's presence now, or removes them. Anchored selections in a co-edited file
   * are resolved only once that file's editor shows the shared text (`anchoredNow`): while remote
   * edits are still on their way into the editor, shared offsets are ahead of the editor's.
   */
  private update(participantId: string, anchoredNow = false): void {
    if (this.disposed) return;
    const participant = this.sessions.participant(participantId);
    const presence = this.sessions.presenceOf(participantId);
    const isMe = this.sessions.client?.me?.id === participantId;
    if (!participant || !presence || isMe) {
      const peer = this.peers.get(participantId);
      if (peer) {
        peer.dispose();
        this.peers.delete(participantId);
        this.changed.fire();
      }
      return;
    }
    let peer = this.peers.get(participantId);
    if (!peer) {
      peer = new PeerDecoration(participant.id);
      this.peers.set(participantId, peer);
    }
    const target = presence.file === undefined ? undefined : this.mapping.toLocal(presence.file)?.toString();
    const document = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === target)?.document;
    if (document && !anchoredNow && hasAnchors(presence) && this.coEditing.sharedDocumentOf(document.uri)) {
      this.updateWhenIdle(document, participantId);
      return;
    }
    const selections = document ? resolveSelectionsIn(this.coEditing, document, presence.selections) : presence.selections;
    peer.render(peerMarks(participant, { ...presence, selections }), participant, this.mapping, this.settings.values.showCursorLabels);
    this.changed.fire();
  }

  /**
   * Anchored peers drawn in `document` are drawn again after each change, whoever made it: VS Code
   * shifts decorations only by its own reading of an edit, which a peer's character need not follow.
   * The redraw waits for the binding (which hears the same event) to have put a local edit into the
   * shared document and for remote edits to have reached the editor.
   */
  private documentChanged(document: vscode.TextDocument): void {
    const uri = document.uri.toString();
    for (const [id, peer] of this.peers) {
      const presence = this.sessions.presenceOf(id);
      if (presence && hasAnchors(presence) && peer.rendered.some((drawn) => drawn.uri === uri)) this.updateWhenIdle(document, id);
    }
  }

  /** Draws anchored peers of `document` once its editor shows the shared text (one wait per document). */
  private updateWhenIdle(document: vscode.TextDocument, participantId: string): void {
    const key = document.uri.toString();
    const waiting = this.waiting.get(key);
    if (waiting) {
      waiting.add(participantId);
      return;
    }
    const participants = new Set([participantId]);
    this.waiting.set(key, participants);
    const draw = () => {
      if (this.waiting.get(key) !== participants) return;
      this.waiting.delete(key);
      for (const id of participants) this.update(id, true);
    };
    // Also resolves for a document no longer bound: the update then uses line/character.
    void whenEditorCaughtUp(this.coEditing, document.uri).then(draw);
  }

  private renderAll(): void {
    for (const id of [...this.peers.keys()]) this.update(id);
    // Peers whose presence arrived before any editor showed their file.
    for (const participant of this.sessions.others) {
      if (!this.peers.has(participant.id)) this.update(participant.id);
    }
  }
}

/** The decoration types and drawn marks of one remote participant. */
class PeerDecoration implements vscode.Disposable {
  private types: { selection: vscode.TextEditorDecorationType; cursor: vscode.TextEditorDecorationType; label: vscode.TextEditorDecorationType } | undefined;
  private typesKey = '';
  private drawn: RenderedPeer[] = [];

  constructor(readonly participant: string) {}

  get rendered(): readonly RenderedPeer[] {
    return this.drawn;
  }

  render(marks: PeerMarks | undefined, participant: Participant, mapping: WorkspaceMapping, showLabels: boolean): void {
    const target = marks ? mapping.toLocal(marks.file)?.toString() : undefined;
    const editors = target ? vscode.window.visibleTextEditors.filter((editor) => editor.document.uri.toString() === target) : [];
    if (!marks || editors.length === 0) {
      this.disposeTypes();
      this.drawn = [];
      return;
    }
    const types = this.ensureTypes(marks.colorId, marks.dimmed);
    const selections = marks.selections.map((range) => new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character));
    const cursors = marks.cursors.map((position) => new vscode.Range(position.line, position.character, position.line, position.character));
    const primary = marks.cursors[0];
    const label = showLabels && primary ? marks.label : undefined;
    this.drawn = [];
    for (const editor of editors) {
      editor.setDecorations(types.selection, selections);
      editor.setDecorations(types.cursor, cursors);
      editor.setDecorations(types.label, label && primary ? [{
        range: new vscode.Range(primary.line, primary.character, primary.line, primary.character),
        // Floats above the cursor's line (below it on the first line) so the text does not shift.
        renderOptions: { after: { contentText: label, textDecoration: labelStyle(primary.line === 0, marks.dimmed) } },
      }] : []);
      this.drawn.push({
        participant: participant.id,
        name: participant.name,
        uri: editor.document.uri.toString(),
        colorId: marks.colorId,
        cursors: marks.cursors.map((position) => ({ ...position })),
        selections: marks.selections.map((range) => ({ start: { ...range.start }, end: { ...range.end } })),
        label,
        dimmed: marks.dimmed,
      });
    }
    // Editors that showed this peer's previous file are cleared by the type swap below only when the
    // file changed; clear them explicitly so a peer is drawn in one file at a time.
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === target) continue;
      editor.setDecorations(types.selection, []);
      editor.setDecorations(types.cursor, []);
      editor.setDecorations(types.label, []);
    }
  }

  dispose(): void {
    this.disposeTypes();
    this.drawn = [];
  }

  private ensureTypes(colorId: string, dimmed: boolean): NonNullable<PeerDecoration['types']> {
    const key = `${colorId}|${dimmed}`;
    if (this.types && this.typesKey === key) return this.types;
    this.disposeTypes();
    const color = new vscode.ThemeColor(colorId);
    const opacity = dimmed ? '0.45' : '1';
    this.types = {
      selection: vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(`${colorId}Selection`),
        opacity,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
      // A 2 px bar before the cursor position; negative margin keeps the text from shifting.
      cursor: vscode.window.createTextEditorDecorationType({
        before: {
          contentText: '',
          backgroundColor: color,
          width: '2px',
          margin: '0 -2px 0 0',
          textDecoration: `none; position: relative; display: inline-block; height: 1.2em; vertical-align: text-top; opacity: ${opacity}`,
        },
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        overviewRulerColor: color,
        overviewRulerLane: vscode.OverviewRulerLane.Center,
      }),
      label: vscode.window.createTextEditorDecorationType({
        after: {
          backgroundColor: color,
          color: new vscode.ThemeColor('editor.background'),
          fontWeight: 'normal',
        },
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    };
    this.typesKey = key;
    return this.types;
  }

  private disposeTypes(): void {
    if (!this.types) return;
    // Disposing a decoration type removes it from every editor.
    this.types.selection.dispose();
    this.types.cursor.dispose();
    this.types.label.dispose();
    this.types = undefined;
    this.typesKey = '';
  }
}

/**
 * CSS for the name label, through the `textDecoration` escape hatch VS Code's decoration API
 * leaves open: absolutely positioned so it never pushes the line's text aside.
 */
function labelStyle(below: boolean, dimmed: boolean): string {
  return `none; position: absolute; ${below ? 'top: 1.1em' : 'top: -1.1em'}; z-index: 10; white-space: nowrap; `
    + `pointer-events: none; border-radius: 3px; padding: 0 4px; font-size: 0.8em; line-height: 1.3em; opacity: ${dimmed ? '0.55' : '0.95'}`;
}
