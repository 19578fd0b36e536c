/**
 * Remote cursors that stay on their character while others type: a position is sent as a Yjs
 * relative position (an anchor) of the shared document and turned back into a position of the
 * editor here. The logic is in client/presence/anchors.ts; this file adapts a TextDocument.
 *
 * Offsets: a bound editor uses the shared text's EOL (DocumentBinding switches it before binding),
 * and `offsetAt` counts `\r\n` as two, so editor offsets are shared-text offsets, as the binding
 * itself assumes. While remote edits are still on their way into the editor the two differ for a
 * moment; the next document change re-resolves (see PeerDecorations).
 */
import * as vscode from 'vscode';
import * as anchors from '../../client/presence/anchors';
import type { Selection } from '../../protocol';
import type { CoEditing } from './co-editing';

/** Offsets ↔ plain positions of a TextDocument. */
export function textPositionsOf(document: vscode.TextDocument): anchors.TextPositions {
  return {
    offsetAt: (position) => document.offsetAt(new vscode.Position(position.line, position.character)),
    positionAt: (offset) => {
      const position = document.positionAt(offset);
      return { line: position.line, character: position.character };
    },
  };
}

/** The anchor (base64url) of a position of an open, co-edited document, or undefined when it is not shared. */
export function anchorAt(coEditing: CoEditing, document: vscode.TextDocument, position: vscode.Position, assoc = 0): string | undefined {
  const shared = coEditing.sharedDocumentOf(document.uri);
  return shared && anchors.anchorAt(shared, document.offsetAt(position), assoc);
}

/** Where an anchor is now in an open, co-edited document, or undefined when unknown here. */
export function offsetOfAnchor(coEditing: CoEditing, document: vscode.TextDocument, anchor: string): vscode.Position | undefined {
  const shared = coEditing.sharedDocumentOf(document.uri);
  const offset = shared && anchors.offsetOfAnchor(shared, anchor);
  return offset === undefined ? undefined : document.positionAt(offset);
}

/** `selections` with an anchor on each end when `document` is co-edited here; as given otherwise. */
export function anchorSelections(coEditing: CoEditing, document: vscode.TextDocument, selections: Selection[]): Selection[] {
  const shared = coEditing.sharedDocumentOf(document.uri);
  return shared ? anchors.anchoredSelections(selections, shared, textPositionsOf(document)) : selections;
}

/** A peer's selections as they are now in `document`: anchors where they resolve, line/character elsewhere. */
export function resolveSelectionsIn(coEditing: CoEditing, document: vscode.TextDocument, selections: readonly Selection[]): Selection[] {
  return anchors.resolveSelections(selections, coEditing.sharedDocumentOf(document.uri), textPositionsOf(document));
}

/**
 * How long presence waits for a co-edited editor to show the shared text before using what it has:
 * a binding stuck behind an edit VS Code never confirms must not silence cursors.
 */
export const EDITOR_CATCH_UP_MS = 1_000;

/** Resolves once `uri`'s editor shows the shared text, or it is not co-edited, or after `timeoutMs`. */
export function whenEditorCaughtUp(coEditing: CoEditing, uri: vscode.Uri, timeoutMs = EDITOR_CATCH_UP_MS): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    coEditing.whenIdle(uri).then(done, done);
  });
}
