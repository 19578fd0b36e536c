/**
 * Text changes as operation lists (retain / delete / insert, like a Yjs delta), with the two
 * operations an editor binding needs to keep an editor and a shared document apart safely while
 * an edit is on its way: `compose` (one change after another, as one) and `transform` (a change
 * made concurrently with another, moved to apply after it). Offsets are UTF-16 code units.
 */
import type { TextEdit } from '../docs';

export type Operation =
  | { readonly retain: number }
  | { readonly delete: number }
  | { readonly insert: string };

/** A change of a text; a missing tail is retained. Built by the functions here, normalised. */
export type Delta = readonly Operation[];

function lengthOf(operation: Operation): number {
  if ('retain' in operation) return operation.retain;
  if ('delete' in operation) return operation.delete;
  return operation.insert.length;
}

/** Appends with merging; an insert goes before a delete at the same place (one canonical form). */
function push(operations: Operation[], operation: Operation): void {
  if (lengthOf(operation) === 0) return;
  const last = operations[operations.length - 1];
  if ('insert' in operation && last && 'delete' in last) {
    operations.pop();
    push(operations, operation);
    operations.push(last);
    return;
  }
  if (last && 'retain' in last && 'retain' in operation) operations[operations.length - 1] = { retain: last.retain + operation.retain };
  else if (last && 'delete' in last && 'delete' in operation) operations[operations.length - 1] = { delete: last.delete + operation.delete };
  else if (last && 'insert' in last && 'insert' in operation) operations[operations.length - 1] = { insert: last.insert + operation.insert };
  else operations.push(operation);
}

function chop(operations: Operation[]): Operation[] {
  const last = operations[operations.length - 1];
  if (last && 'retain' in last) operations.pop();
  return operations;
}

/** Walks a delta in pieces; past its end it yields an endless retain. */
class Cursor {
  private index = 0;
  private offset = 0;

  constructor(private readonly operations: Delta) {}

  hasNext(): boolean {
    return this.index < this.operations.length;
  }

  peekType(): 'retain' | 'delete' | 'insert' {
    const operation = this.operations[this.index];
    if (!operation || 'retain' in operation) return 'retain';
    return 'delete' in operation ? 'delete' : 'insert';
  }

  peekLength(): number {
    const operation = this.operations[this.index];
    return operation ? lengthOf(operation) - this.offset : Infinity;
  }

  next(length = Infinity): Operation {
    const operation = this.operations[this.index];
    if (!operation) return { retain: length };
    const available = lengthOf(operation) - this.offset;
    const taken = Math.min(length, available);
    const start = this.offset;
    if (taken === available) {
      this.index++;
      this.offset = 0;
    } else {
      this.offset += taken;
    }
    if ('retain' in operation) return { retain: taken };
    if ('delete' in operation) return { delete: taken };
    return { insert: operation.insert.slice(start, start + taken) };
  }
}

/** The delta of ascending, non-overlapping edits (offsets in the text before any of them). */
export function deltaOfEdits(edits: readonly TextEdit[]): Delta {
  const operations: Operation[] = [];
  let position = 0;
  for (const edit of [...edits].sort((a, b) => a.offset - b.offset)) {
    if (edit.offset < position) throw new RangeError(`edits at ${edit.offset} overlap`);
    push(operations, { retain: edit.offset - position });
    push(operations, { delete: edit.deleteCount });
    push(operations, { insert: edit.insert });
    position = edit.offset + edit.deleteCount;
  }
  return chop(operations);
}

/** Ascending edits in the coordinates of the text before the change (one WorkspaceEdit). */
export function editsOfDelta(delta: Delta): TextEdit[] {
  const edits: TextEdit[] = [];
  let position = 0;
  const add = (deleteCount: number, insert: string): void => {
    const last = edits[edits.length - 1];
    if (last && last.offset + last.deleteCount === position) {
      edits[edits.length - 1] = { offset: last.offset, deleteCount: last.deleteCount + deleteCount, insert: last.insert + insert };
    } else {
      edits.push({ offset: position, deleteCount, insert });
    }
  };
  for (const operation of delta) {
    if ('retain' in operation) {
      position += operation.retain;
    } else if ('delete' in operation) {
      add(operation.delete, '');
      position += operation.delete;
    } else {
      add(0, operation.insert);
    }
  }
  return edits;
}

/** Applies a delta; throws a RangeError when it does not fit the text. */
export function applyDelta(text: string, delta: Delta): string {
  let result = '';
  let position = 0;
  for (const operation of delta) {
    if ('insert' in operation) {
      result += operation.insert;
      continue;
    }
    const length = 'retain' in operation ? operation.retain : operation.delete;
    if (position + length > text.length) throw new RangeError(`the change reaches past the end of the text (${text.length})`);
    if ('retain' in operation) result += text.slice(position, position + length);
    position += length;
  }
  return result + text.slice(position);
}

export function isIdentity(delta: Delta): boolean {
  return delta.every((operation) => 'retain' in operation);
}

/** One delta with the effect of `first` then `second`. */
export function compose(first: Delta, second: Delta): Delta {
  const a = new Cursor(first);
  const b = new Cursor(second);
  const operations: Operation[] = [];
  while (a.hasNext() || b.hasNext()) {
    if (b.peekType() === 'insert') {
      push(operations, b.next());
    } else if (a.peekType() === 'delete') {
      push(operations, a.next());
    } else {
      const length = Math.min(a.peekLength(), b.peekLength());
      const fromA = a.next(length);
      const fromB = b.next(length);
      if ('retain' in fromB) push(operations, fromA);
      else if ('retain' in fromA) push(operations, fromB);
      // else: b deletes what a inserted; both vanish.
    }
  }
  return chop(operations);
}

/**
 * `change` made concurrently with `other` (both on the same text), moved to apply after `other`.
 * Where both insert at one place, `changeFirst` puts `change`'s text first. With the opposite
 * flag for the other direction, both orders give the same text:
 * apply(apply(t, other), transform(change, other, f)) === apply(apply(t, change), transform(other, change, !f)).
 */
export function transform(change: Delta, other: Delta, changeFirst: boolean): Delta {
  const a = new Cursor(change);
  const b = new Cursor(other);
  const operations: Operation[] = [];
  while (a.hasNext() || b.hasNext()) {
    if (a.peekType() === 'insert' && (changeFirst || b.peekType() !== 'insert')) {
      push(operations, a.next());
    } else if (b.peekType() === 'insert') {
      push(operations, { retain: lengthOf(b.next()) });
    } else {
      const length = Math.min(a.peekLength(), b.peekLength());
      const fromA = a.next(length);
      const fromB = b.next(length);
      if ('delete' in fromB) continue;
      push(operations, 'delete' in fromA ? fromA : { retain: length });
    }
  }
  return chop(operations);
}

/** A change given as edits applied one after another (each in the text the previous left). */
export function deltaOfSequentialEdits(edits: readonly TextEdit[]): Delta {
  return edits.reduce<Delta>((delta, edit) => compose(delta, deltaOfEdits([edit])), []);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The smallest single replace turning `before` into `after` (common prefix and suffix kept, never
 * cutting a surrogate pair): how a binding reconciles an editor it lost track of.
 */
export function diffDelta(before: string, after: string): Delta {
  if (before === after) return [];
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < shorter - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return deltaOfEdits([{ offset: start, deleteCount: before.length - start - end, insert: after.slice(start, after.length - end) }]);
}
