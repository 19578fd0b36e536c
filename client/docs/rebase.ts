/**
 * A guest's fallback when the host came back with no history at all (a new epoch: its state was
 * not kept, or it runs on another machine now): instead of dropping our copy for the host's, the
 * text we typed that the host never confirmed is re-applied on top of the host's copy.
 *
 * What this can guarantee: every character we inserted that the host had not confirmed (our Yjs
 * clients' items beyond the clocks the host last reported for them, in its state vectors) and that is
 * still in our text lands in the host's new copy, once — placed by a character diff between our
 * text without those insertions and the host's text, and left out when the host's text already
 * holds it at that place. Other participants' edits are theirs to rebase, so nothing is pushed
 * twice by two guests.
 * What it cannot: deletions we made that the host never received come back (a Yjs update does not
 * say who deleted what, and the deleted text is gone from our copy); edits the host had confirmed
 * but lost with its history (received, never saved) are not restored by us; a diff may place an
 * insertion differently in repetitive text. Only a host that keeps its state (persistence.ts)
 * guarantees every edit exactly once.
 */
import { Y, type Doc } from './yjs';
import { diffHunks, mergeHunks, type Hunk } from './text-merge';
import { TEXT_NAME } from './yjs-codec';

export interface UnconfirmedInsertions {
  /** Our text without the unconfirmed insertions. */
  readonly base: string;
  /** The insertions, ascending, in `base` coordinates. */
  readonly hunks: Hunk[];
}

/**
 * The visible text of our Yjs clients (`confirmed`: each of our client ids → the clock up to which
 * the host confirmed it) beyond what the host confirmed, as insertions into the rest of the text.
 */
export function unconfirmedInsertions(doc: Doc, confirmed: ReadonlyMap<number, number>): UnconfirmedInsertions {
  const hunks: Hunk[] = [];
  let base = '';
  for (let item = doc.getText(TEXT_NAME)._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable || !(item.content instanceof Y.ContentString)) continue;
    const text = item.content.str;
    const confirmedClock = confirmed.get(item.id.client);
    const split = confirmedClock === undefined ? text.length : Math.max(0, Math.min(text.length, confirmedClock - item.id.clock));
    base += text.slice(0, split);
    const inserted = text.slice(split);
    if (inserted === '') continue;
    const last = hunks[hunks.length - 1];
    if (last && last.start === base.length) hunks[hunks.length - 1] = { ...last, insert: last.insert + inserted };
    else hunks.push({ start: base.length, end: base.length, insert: inserted });
  }
  return { base, hunks };
}

/** The host's text with our unconfirmed insertions rebased onto it. */
export function rebaseInsertions(own: UnconfirmedInsertions, hostText: string): string {
  if (own.hunks.length === 0) return hostText;
  return mergeHunks(own.base, own.hunks, diffHunks(own.base, hostText));
}
