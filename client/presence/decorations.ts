/**
 * What to draw for one remote participant in one file, derived from their presence: every
 * selection (not just the first) as a range, every cursor as a position, and a label. Editor glue
 * turns these plain shapes into decorations.
 */
import type { Participant, Position, PresencePayload } from '../../protocol';
import { participantColorId } from './colors';

export interface PlainRange {
  readonly start: Position;
  readonly end: Position;
}

export interface PeerMarks {
  readonly participant: string;
  readonly file: string;
  /** Non-empty selections, start before end. */
  readonly selections: readonly PlainRange[];
  /** One cursor per selection (its head). */
  readonly cursors: readonly Position[];
  /** Shown after the primary cursor, when labels are on. */
  readonly label: string;
  readonly colorId: string;
  /** Drawn dimmed: the participant's connection dropped and they may come back. */
  readonly dimmed: boolean;
}

/** Marks for a participant, or undefined when their presence names no file. */
export function peerMarks(participant: Participant, presence: PresencePayload): PeerMarks | undefined {
  if (presence.file === undefined) return undefined;
  const selections: PlainRange[] = [];
  const cursors: Position[] = [];
  for (const selection of presence.selections) {
    cursors.push(selection.head);
    if (comparePositions(selection.anchor, selection.head) !== 0) {
      selections.push(comparePositions(selection.anchor, selection.head) < 0
        ? { start: selection.anchor, end: selection.head }
        : { start: selection.head, end: selection.anchor });
    }
  }
  const dimmed = participant.state === 'reconnecting';
  return {
    participant: participant.id,
    file: presence.file,
    selections,
    cursors,
    label: dimmed ? `${participant.name} (reconnecting)` : participant.name,
    colorId: participantColorId(participant.color),
    dimmed,
  };
}

export function comparePositions(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}
