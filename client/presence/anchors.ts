/**
 * Cursors anchored to characters of a shared document: each selection end is published with a
 * Yjs relative position next to its line/character, and a receiver holding the same shared
 * document turns it back into a position of its own text, which follows the character while
 * others type. Plain logic over two small ports, so it is tested without an editor.
 */
import type { Position, PresencePayload, Selection, SelectionEnd } from '../../protocol';
import { RelativePositionSchema } from '../../protocol';
import { Y } from '../docs/yjs';
import { TEXT_NAME } from '../docs/yjs-codec';

/** What anchors need of a shared document; `SharedDocument` is one (standard base64 there). */
export interface AnchorDocument {
  relativePosition(offset: number, assoc?: number): string;
  absolutePosition(relative: string): number | undefined;
}

/**
 * Offsets ↔ positions of the text an editor shows. While a document is co-edited the editor's
 * text is the shared text (same EOL, see DocumentBinding), so its offsets are the shared offsets.
 */
export interface TextPositions {
  offsetAt(position: Position): number;
  positionAt(offset: number): Position;
}

/**
 * Offsets ↔ positions of a plain string, counted as VS Code does (a `\r\n` is two units and not
 * part of its line's characters): for participants without an editor (the CLI, tests).
 */
export function stringPositions(text: () => string): TextPositions {
  const lineStarts = (): number[] => {
    const value = text();
    const starts = [0];
    for (let index = value.indexOf('\n'); index >= 0; index = value.indexOf('\n', index + 1)) starts.push(index + 1);
    return starts;
  };
  return {
    offsetAt: ({ line, character }) => {
      const starts = lineStarts();
      return starts[Math.min(line, starts.length - 1)] + character;
    },
    positionAt: (offset) => {
      const starts = lineStarts();
      let line = starts.length - 1;
      while (line > 0 && starts[line] > offset) line--;
      return { line, character: offset - starts[line] };
    },
  };
}

/**
 * The wire form (base64url) of the relative position at `offset`, or undefined if it would not
 * fit the schema (never for what Yjs encodes today).
 */
export function anchorAt(document: AnchorDocument, offset: number, assoc = 0): string | undefined {
  const wire = Buffer.from(document.relativePosition(offset, assoc), 'base64').toString('base64url');
  return RelativePositionSchema.safeParse(wire).success ? wire : undefined;
}

/**
 * Where an anchor is now, or undefined when it is not one of ours or points at an edit this
 * replica has not integrated yet. Anything but a character of the root text or the root text
 * itself is refused before Yjs sees it: resolving a position that names another root type would
 * create that type in our document.
 */
export function offsetOfAnchor(document: AnchorDocument, anchor: string): number | undefined {
  if (!RelativePositionSchema.safeParse(anchor).success) return undefined;
  const bytes = Buffer.from(anchor, 'base64url');
  let decoded: ReturnType<typeof Y.decodeRelativePosition>;
  try {
    decoded = Y.decodeRelativePosition(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  const character = decoded.item !== null && decoded.type === null && decoded.tname === null;
  const wholeText = decoded.item === null && decoded.type === null && decoded.tname === TEXT_NAME;
  if (!character && !wholeText) return undefined;
  return document.absolutePosition(bytes.toString('base64'));
}

/** Publisher: every selection end with its anchor in `document` (offsets from `text`). */
export function anchoredSelections(selections: readonly Selection[], document: AnchorDocument, text: TextPositions): Selection[] {
  const anchored = (end: SelectionEnd): SelectionEnd => {
    const plain = { line: end.line, character: end.character };
    const relative = anchorAt(document, text.offsetAt(plain));
    return relative === undefined ? plain : { ...plain, relative };
  };
  return selections.map((selection) => ({ anchor: anchored(selection.anchor), head: anchored(selection.head) }));
}

/**
 * Renderer: the selections as they are now in `text`. An end whose anchor resolves in `document`
 * goes there; every other end (no document, no anchor, not integrated yet) keeps its
 * line/character. The result carries plain positions only.
 */
export function resolveSelections(selections: readonly Selection[], document: AnchorDocument | undefined, text: TextPositions): Selection[] {
  const resolve = (end: SelectionEnd): Position => {
    const offset = document && end.relative !== undefined ? offsetOfAnchor(document, end.relative) : undefined;
    return offset === undefined ? { line: end.line, character: end.character } : text.positionAt(offset);
  };
  return selections.map((selection) => ({ anchor: resolve(selection.anchor), head: resolve(selection.head) }));
}

/** Whether any selection end carries an anchor (renderers re-resolve those on every text change). */
export function hasAnchors(presence: Pick<PresencePayload, 'selections'>): boolean {
  return presence.selections.some((selection) => selection.anchor.relative !== undefined || selection.head.relative !== undefined);
}

/**
 * Largest presence JSON (UTF-8 bytes) we send with anchors: the relay's default presence cap is
 * 16384 base64 characters (12288 bytes) of sealed body, of which sealing takes 53 bytes; the rest
 * is margin. A relay closes a connection that goes over (4413), so anchors are dropped first.
 */
export const PRESENCE_BUDGET_BYTES = 11 * 1024;

/**
 * `presence` itself when it fits {@link PRESENCE_BUDGET_BYTES}, else a copy whose last selections
 * lose their anchors (they fall back to line/character) until it fits or none are left.
 */
export function withinPresenceBudget<T extends Pick<PresencePayload, 'selections'>>(presence: T, budget = PRESENCE_BUDGET_BYTES): T {
  const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size(presence) <= budget) return presence;
  const selections = presence.selections.map((selection) => ({ anchor: { ...selection.anchor }, head: { ...selection.head } }));
  let excess = size(presence) - budget;
  for (let index = selections.length - 1; index >= 0 && excess > 0; index--) {
    for (const end of [selections[index].anchor, selections[index].head]) {
      if (end.relative === undefined) continue;
      excess -= end.relative.length + ',"relative":""'.length;
      delete end.relative;
    }
  }
  return { ...presence, selections };
}
