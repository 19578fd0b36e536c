/**
 * A small three-way text merge, for the two places where the engine has to combine texts that
 * share no Yjs history: a host whose source changed while its engine was down (see
 * DocumentJournal), and a guest whose host came back without any history (see rebase.ts).
 *
 * Character-level: hunks come from a Myers diff (after trimming the common prefix and suffix),
 * so edits on both sides only conflict when they touch the same characters. What it guarantees:
 * every change of one side that does not overlap a change of the other is applied exactly once;
 * the same change made on both sides is applied once. What it cannot: on a real conflict (both
 * sides changed the same characters) both are kept — one side's inserted text after the other's
 * change when it only inserted, else both versions, ours first, unless one contains the other —
 * so no typed character is lost, but the spot may need a human look. A diff may
 * align repetitive text in more than one way; the merge is only as good as that alignment.
 */

/** `base[start, end)` is replaced by `insert`. Hunks of one list are ascending and disjoint. */
export interface Hunk {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
}

/**
 * Beyond this many inserted plus deleted characters (after trimming), the diff gives up on
 * precision and returns the changed middle as one hunk: Myers costs O((N + M) · D) time and
 * O(D²) memory, and a host text that changed that much is better merged coarsely than slowly.
 */
const MAX_DIFF_EDITS = 2000;

/** The hunks that turn `before` into `after`. */
export function diffHunks(before: string, after: string): Hunk[] {
  if (before === after) return [];
  let prefix = 0;
  const shorter = Math.min(before.length, after.length);
  while (prefix < shorter && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix
    && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  const a = before.slice(prefix, before.length - suffix);
  const b = after.slice(prefix, after.length - suffix);
  const middle = myers(a, b) ?? [{ start: 0, end: a.length, insert: b }];
  return middle.map((hunk) => keepSurrogatePairs(before, {
    start: hunk.start + prefix, end: hunk.end + prefix, insert: hunk.insert,
  }));
}

/** Myers' O(ND) diff of two strings as hunks, or undefined beyond {@link MAX_DIFF_EDITS}. */
function myers(a: string, b: string): Hunk[] | undefined {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [{ start: 0, end: n, insert: b }];
  const max = Math.min(n + m, MAX_DIFF_EDITS);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    // Round d reads diagonals -d-1 … d+1 only: keep just those (O(D²) memory in all).
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    const next = v;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a.charCodeAt(x) === b.charCodeAt(y)) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) return backtrack(b, trace, d, k);
    }
    v = next;
  }
  return undefined;
}

/** Walks the trace back from the end and collects the non-matching characters as hunks. */
function backtrack(b: string, trace: readonly Int32Array[], lastD: number, lastK: number): Hunk[] {
  const hunks: Hunk[] = [];
  let k = lastK;
  for (let d = lastD; d > 0; d--) {
    // trace[d] holds the furthest points of round d - 1 (diagonal j at index j + d + 1).
    const v = trace[d];
    const at = d + 1;
    const down = k === -d || (k !== d && v[at + k - 1] < v[at + k + 1]);
    const previousK = down ? k + 1 : k - 1;
    const previousX = v[at + previousK];
    const previousY = previousX - previousK;
    // Down is an insertion of b[previousY]; right a deletion of a[previousX]. A diagonal follows.
    pushFront(hunks, down
      ? { start: previousX, end: previousX, insert: b[previousY] }
      : { start: previousX, end: previousX + 1, insert: '' });
    k = previousK;
  }
  return hunks;
}

/** Prepends a one-character hunk, joining it to the first hunk when they touch. */
function pushFront(hunks: Hunk[], hunk: Hunk): void {
  const first = hunks[0];
  if (first && first.start === hunk.end) {
    hunks[0] = { start: hunk.start, end: first.end, insert: hunk.insert + first.insert };
  } else {
    hunks.unshift(hunk);
  }
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Widens a hunk that would cut a surrogate pair of `base` (the cut-off half is common text). */
function keepSurrogatePairs(base: string, hunk: Hunk): Hunk {
  let { start, end, insert } = hunk;
  if (start > 0 && start < base.length && isHigh(base.charCodeAt(start - 1)) && isLow(base.charCodeAt(start))) {
    start--;
    insert = base[start] + insert;
  }
  if (end > 0 && end < base.length && isHigh(base.charCodeAt(end - 1)) && isLow(base.charCodeAt(end))) {
    insert += base[end];
    end++;
  }
  return { start, end, insert };
}

interface SidedHunk extends Hunk {
  readonly side: 0 | 1;
}

const isInsertion = (hunk: Hunk): boolean => hunk.start === hunk.end;

/** Merges two texts that both descend from `base` (see the file comment for the guarantees). */
export function mergeTexts(base: string, ours: string, theirs: string): string {
  if (ours === theirs || theirs === base) return ours;
  if (ours === base) return theirs;
  return mergeHunks(base, diffHunks(base, ours), diffHunks(base, theirs));
}

/** {@link mergeTexts} with the hunks of each side already known (both in `base` coordinates). */
export function mergeHunks(base: string, ours: readonly Hunk[], theirs: readonly Hunk[]): string {
  const all: SidedHunk[] = [
    ...ours.map((hunk) => ({ ...hunk, side: 0 as const })),
    ...theirs.map((hunk) => ({ ...hunk, side: 1 as const })),
  ];
  // By position; at one position insertions go before a replacement that starts there.
  all.sort((p, q) => p.start - q.start || Number(isInsertion(q)) - Number(isInsertion(p)) || p.side - q.side);
  let result = '';
  let position = 0;
  for (let index = 0; index < all.length;) {
    const group = [all[index++]];
    let start = group[0].start;
    let end = group[0].end;
    while (index < all.length) {
      const next = all[index];
      const overlaps = next.start < end
        // Two insertions at one place: their order is a conflict too.
        || (isInsertion(next) && group.some((hunk) => hunk.side !== next.side && isInsertion(hunk) && hunk.start === next.start));
      if (!overlaps) break;
      group.push(next);
      start = Math.min(start, next.start);
      end = Math.max(end, next.end);
      index++;
    }
    result += base.slice(position, start);
    result += resolve(base, start, end, group);
    position = end;
  }
  return result + base.slice(position);
}

/** The merged text of `base[start, end)` for a group of overlapping hunks. */
function resolve(base: string, start: number, end: number, group: readonly SidedHunk[]): string {
  const ourHunks = group.filter((hunk) => hunk.side === 0);
  const theirHunks = group.filter((hunk) => hunk.side === 1);
  if (theirHunks.length === 0) return applyHunks(base, start, end, ourHunks);
  if (ourHunks.length === 0) return applyHunks(base, start, end, theirHunks);
  const ourVersion = applyHunks(base, start, end, ourHunks);
  const theirVersion = applyHunks(base, start, end, theirHunks);
  const oursInsertOnly = ourHunks.every(isInsertion);
  const theirsInsertOnly = theirHunks.every(isInsertion);
  // The same change on both sides (or one that already holds the other's) goes in once. Only
  // between two insertions, or two changes that both delete: an empty version "contained" in the
  // other would bring back what that side deleted.
  if (oursInsertOnly === theirsInsertOnly) {
    if (ourVersion !== '' && theirVersion.includes(ourVersion)) return theirVersion;
    if (theirVersion !== '' && ourVersion.includes(theirVersion)) return ourVersion;
    if (oursInsertOnly) return ourVersion + theirVersion;
  }
  // One side only inserted: its text goes after the other's change (which keeps the other's
  // deletions deleted), unless the other's change already holds it.
  if (oursInsertOnly) return theirVersion + insertedNotIn(ourHunks, theirVersion);
  if (theirsInsertOnly) return ourVersion + insertedNotIn(theirHunks, ourVersion);
  return ourVersion + theirVersion;
}

function insertedNotIn(hunks: readonly Hunk[], text: string): string {
  return hunks.map((hunk) => hunk.insert).filter((insert) => !text.includes(insert)).join('');
}

function applyHunks(base: string, start: number, end: number, hunks: readonly Hunk[]): string {
  let result = '';
  let position = start;
  for (const hunk of hunks) {
    result += base.slice(position, hunk.start) + hunk.insert;
    position = hunk.end;
  }
  return result + base.slice(position, end);
}

/** Applies ascending, disjoint hunks to `base`. */
export function applyAllHunks(base: string, hunks: readonly Hunk[]): string {
  return applyHunks(base, 0, base.length, hunks);
}
