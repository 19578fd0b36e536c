/**
 * Plain text edits as editors speak them, and conversions between them and Yjs deltas.
 * Offsets are UTF-16 code units (JavaScript string indexes, like VS Code's `offsetAt`).
 */

/** Replace `deleteCount` code units at `offset` with `insert`. */
export interface TextEdit {
  readonly offset: number;
  readonly deleteCount: number;
  readonly insert: string;
}

/** What edit validation reads of a text: a string, or a cheaper stand-in (see SharedDocument). */
export interface TextLike {
  readonly length: number;
  charCodeAt(index: number): number;
}

/** One operation of a Yjs text delta (`Y.YTextEvent.delta`). */
export interface DeltaOperation {
  readonly insert?: unknown;
  readonly retain?: number;
  readonly delete?: number;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** True when `text` holds any UTF-16 surrogate (a character outside the Basic Multilingual Plane). */
export function hasSurrogates(text: string): boolean {
  return /[\ud800-\udfff]/.test(text);
}

/** True when `offset` falls between the two halves of a surrogate pair of `text`. */
export function splitsSurrogatePair(text: TextLike, offset: number): boolean {
  return offset > 0 && offset < text.length
    && isHighSurrogate(text.charCodeAt(offset - 1)) && isLowSurrogate(text.charCodeAt(offset));
}

/**
 * Checks edits against `text` (offsets all refer to `text`, before any of them applies) and
 * returns them in the order to apply one after another: right to left, so each edit's offsets are
 * still valid when it runs. Edits at the same offset keep their given order in the result text.
 * Throws a RangeError for out-of-range, overlapping or surrogate-splitting edits.
 */
export function orderEditsForApplication(text: TextLike, edits: readonly TextEdit[]): TextEdit[] {
  const indexed = edits.map((edit, index) => ({ edit, index }));
  for (const { edit } of indexed) {
    const { offset, deleteCount } = edit;
    if (!Number.isInteger(offset) || !Number.isInteger(deleteCount) || offset < 0 || deleteCount < 0
      || offset + deleteCount > text.length) {
      throw new RangeError(`edit [${offset}, +${deleteCount}) is outside the document (length ${text.length})`);
    }
    if (splitsSurrogatePair(text, offset) || splitsSurrogatePair(text, offset + deleteCount)) {
      throw new RangeError(`edit at ${offset} would split a surrogate pair`);
    }
  }
  const ascending = [...indexed].sort((a, b) => a.edit.offset - b.edit.offset || a.index - b.index);
  for (let i = 1; i < ascending.length; i++) {
    const previous = ascending[i - 1].edit;
    if (previous.offset + previous.deleteCount > ascending[i].edit.offset) {
      throw new RangeError(`edits at ${previous.offset} and ${ascending[i].edit.offset} overlap`);
    }
  }
  return ascending.reverse().map(({ edit }) => edit);
}

/**
 * Turns a Yjs delta into edits in pre-change coordinates, ascending and non-overlapping (the
 * shape of one `WorkspaceEdit`): a delete and an insert at the same place become one replace.
 */
export function deltaToEdits(delta: readonly DeltaOperation[]): TextEdit[] {
  const edits: TextEdit[] = [];
  let position = 0;
  const push = (offset: number, deleteCount: number, insert: string): void => {
    const last = edits[edits.length - 1];
    if (last && last.offset + last.deleteCount === offset) {
      edits[edits.length - 1] = { offset: last.offset, deleteCount: last.deleteCount + deleteCount, insert: last.insert + insert };
    } else {
      edits.push({ offset, deleteCount, insert });
    }
  };
  for (const operation of delta) {
    if (operation.retain !== undefined) {
      position += operation.retain;
    } else if (operation.delete !== undefined) {
      push(position, operation.delete, '');
      position += operation.delete;
    } else if (typeof operation.insert === 'string') {
      push(position, 0, operation.insert);
    }
  }
  return edits;
}

/** The smallest single replace that turns `before` into `after` (common prefix and suffix kept). */
export function diffAsEdit(before: string, after: string): TextEdit[] {
  if (before === after) return [];
  let start = 0;
  const shorter = Math.min(before.length, after.length);
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < shorter - start
    && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  // Never cut a surrogate pair in half: an editor could not apply such an edit.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return [{ offset: start, deleteCount: before.length - start - end, insert: after.slice(start, after.length - end) }];
}

/** Applies ascending, non-overlapping edits in the coordinates of `text` (one pass, one copy). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of edits) {
    parts.push(text.slice(cursor, edit.offset), edit.insert);
    cursor = edit.offset + edit.deleteCount;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/**
 * A document's text, built only when read. Building it from Yjs walks every item, so doing that
 * on every change made a run of edits quadratic; instead this keeps the last text built and the
 * edits since, applies them when the text is next read, and forgets everything (so the next read
 * rebuilds from Yjs) once too many edits piled up unread.
 */
export class LazyText {
  private base: string | undefined;
  /** Edit batches since `base`, oldest first. Append-only; replaced, never cut, when rebased. */
  private batches: (readonly TextEdit[])[] = [];

  /**
   * @param build reads the current text from the source of truth.
   * @param maxBatches unread batches kept before the text is forgotten instead. Default 256.
   */
  constructor(private readonly build: () => string, private readonly maxBatches = 256) {}

  /** The current text. */
  get value(): string {
    if (this.base === undefined || this.batches.length > REBUILD_ABOVE_BATCHES) {
      this.base = this.build();
      this.batches = [];
    } else if (this.batches.length > 0) {
      this.base = applyBatches(this.base, this.batches);
      this.batches = [];
    }
    return this.base;
  }

  /**
   * Records a change already made to the source, as ascending non-overlapping edits in the
   * coordinates of the text before it.
   */
  record(edits: readonly TextEdit[]): void {
    if (this.base === undefined || edits.length === 0) return;
    if (this.batches.length >= this.maxBatches) {
      this.forget();
      return;
    }
    this.batches.push(edits);
  }

  /**
   * Like {@link record}, and returns the text right after this change whenever it is read — also
   * after later changes (for RemoteChange.text). Builds the text now if nothing is kept.
   */
  recordWithSnapshot(edits: readonly TextEdit[]): () => string {
    if (this.base === undefined || this.batches.length >= this.maxBatches) {
      // The source already holds this change: what it builds is the text after it.
      this.base = this.build();
      this.batches = [];
      const text = this.base;
      return () => text;
    }
    this.record(edits);
    const base = this.base;
    const batches = this.batches;
    const count = batches.length;
    let text: string | undefined;
    return () => {
      text ??= applyBatches(base, batches.slice(0, count));
      return text;
    };
  }

  /** The source changed in a way not described by edits: rebuild on the next read. */
  forget(): void {
    this.base = undefined;
    this.batches = [];
  }

  /** The source's text is now `text`. */
  reset(text: string): void {
    this.base = text;
    this.batches = [];
  }
}

/** Above this many unread batches, a read rebuilds from the source rather than replaying them. */
const REBUILD_ABOVE_BATCHES = 32;

function applyBatches(text: string, batches: readonly (readonly TextEdit[])[]): string {
  let result = text;
  for (const edits of batches) result = applyEdits(result, edits);
  return result;
}
