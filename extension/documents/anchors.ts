/**
 * Remote cursors that stay on their character while others type: a position is sent as a Yjs
 * relative position (an anchor) of the shared document and turned back into a position of the
 * editor here. Presence code can carry `anchorAt(...)` next to line/character and prefer
 * `offsetOfAnchor(...)` when the document is shared.
 */
import type * as vscode from 'vscode';
import type { CoEditing } from './co-editing';

/** The anchor of a position of an open, co-edited document, or undefined when it is not shared. */
export function anchorAt(coEditing: CoEditing, document: vscode.TextDocument, position: vscode.Position, assoc = 0): string | undefined {
  const shared = coEditing.sharedDocumentOf(document.uri);
  return shared?.relativePosition(document.offsetAt(position), assoc);
}

/** Where an anchor is now in an open, co-edited document, or undefined when unknown here. */
export function offsetOfAnchor(coEditing: CoEditing, document: vscode.TextDocument, anchor: string): vscode.Position | undefined {
  const offset = coEditing.sharedDocumentOf(document.uri)?.absolutePosition(anchor);
  return offset === undefined ? undefined : document.positionAt(offset);
}
