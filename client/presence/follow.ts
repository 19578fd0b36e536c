/**
 * Follow mode, editor-agnostic: which participant we follow, where their presence says to go,
 * and when to stop. The editor glue applies each {@link FollowStep} and reports the local user's
 * own activity; moves the glue makes on our behalf are told apart from the user's by a short
 * grace period after each step (editors report their own reveals asynchronously).
 */
import type { Participant, PresencePayload } from '../../protocol';
import type { Clock } from '../ports';
import { Emitter, type Event } from '../events';

/** Where to go: open `file` and bring `line` (or the visible range) into view. */
export interface FollowStep {
  readonly participant: string;
  readonly file: string;
  /** First and last visible line of the followed participant, when they sent it. */
  readonly visible?: { readonly start: number; readonly end: number };
  /** Their primary cursor (first selection's head). */
  readonly cursor?: { readonly line: number; readonly character: number };
}

export interface FollowChange {
  readonly participant: string | undefined;
  /** Why, as a sentence for the person ("You moved the cursor, so you stopped following Ada."). */
  readonly reason: string;
}

/** Where the local editor is after an activity: its workspace-relative file and visible lines. */
export interface LocalView {
  readonly file?: string;
  readonly visible?: readonly { readonly start: number; readonly end: number }[];
}

/** What the local user did. */
export type LocalActivity = 'typed' | 'moved-cursor' | 'scrolled' | 'switched-file';

const ACTIVITY_WORDS: Record<LocalActivity, string> = {
  typed: 'You typed',
  'moved-cursor': 'You moved the cursor',
  scrolled: 'You scrolled',
  'switched-file': 'You switched files',
};

/** How long after a step local navigation events are treated as echoes of that step. */
export const DEFAULT_ECHO_GRACE_MS = 400;
/** How long an earlier step still explains a late navigation event. */
const RECENT_STEP_MS = 5_000;

export class FollowModel {
  private target: { id: string; name: string } | undefined;
  private lastStep: FollowStep | undefined;
  /** Steps applied lately, with when: editors report reveals late, possibly after the next step. */
  private recentSteps: { step: FollowStep; at: number }[] = [];
  private applyingUntil = -Infinity;
  private readonly changed = new Emitter<FollowChange>();

  /** Fires when we start or stop following. */
  readonly onDidChange: Event<FollowChange> = this.changed.event;

  constructor(
    private readonly clock: Clock,
    private readonly echoGraceMs = DEFAULT_ECHO_GRACE_MS,
  ) {}

  get following(): string | undefined {
    return this.target?.id;
  }

  /**
   * Starts following `participant`. Returns the first step when their presence is already
   * known (so the view jumps at once), otherwise waits for their next presence.
   */
  start(participant: Pick<Participant, 'id' | 'name'>, latest?: PresencePayload): FollowStep | undefined {
    this.target = { id: participant.id, name: participant.name };
    this.lastStep = undefined;
    this.recentSteps = [];
    this.changed.fire({ participant: participant.id, reason: `Following ${participant.name}.` });
    return latest ? this.onPresence(participant.id, latest) : undefined;
  }

  stop(reason: string): void {
    if (!this.target) return;
    this.target = undefined;
    this.lastStep = undefined;
    this.recentSteps = [];
    this.changed.fire({ participant: undefined, reason });
  }

  /** A participant's presence arrived; returns the step to apply when it is the one we follow and it moved. */
  onPresence(participant: string, presence: PresencePayload): FollowStep | undefined {
    if (!this.target || this.target.id !== participant || presence.file === undefined) return undefined;
    const head = presence.selections[0]?.head;
    const range = presence.visible?.[0];
    const step: FollowStep = {
      participant,
      file: presence.file,
      ...(range ? { visible: { start: range.start, end: range.end } } : {}),
      ...(head ? { cursor: { line: head.line, character: head.character } } : {}),
    };
    if (this.lastStep && sameStep(this.lastStep, step)) return undefined;
    this.lastStep = step;
    const now = this.clock.now();
    this.applyingUntil = now + this.echoGraceMs;
    this.recentSteps = [...this.recentSteps.filter((entry) => now - entry.at <= RECENT_STEP_MS).slice(-3), { step, at: now }];
    return step;
  }

  /**
   * The glue finished applying a step (opening a file and revealing can take a while on a busy
   * machine): the echo grace period restarts from now.
   */
  didApply(): void {
    if (this.target) this.applyingUntil = this.clock.now() + this.echoGraceMs;
  }

  /**
   * The local user did something. Typing always stops following. Navigation stops it unless it
   * is an echo of our own last step: within the grace period, or landing where the step went
   * (the same file, with the step's line in view). Editors report reveals late on a busy
   * machine, so the position check matters more than the clock.
   */
  onLocalActivity(activity: LocalActivity, where?: LocalView): void {
    if (!this.target) return;
    if (activity !== 'typed') {
      if (this.clock.now() <= this.applyingUntil) return;
      if (activity !== 'moved-cursor' && where && this.isEchoOfOurs(activity, where)) return;
    }
    this.stop(`${ACTIVITY_WORDS[activity]}, so you stopped following ${this.target.name}.`);
  }

  private isEchoOfOurs(activity: LocalActivity, where: LocalView): boolean {
    if (this.lastStep && isEcho(this.lastStep, activity, where)) return true;
    const now = this.clock.now();
    return this.recentSteps.some((entry) => now - entry.at <= RECENT_STEP_MS && isEcho(entry.step, activity, where));
  }

  /** The followed participant left or was removed. */
  onParticipantLeft(participant: string): void {
    if (this.target?.id !== participant) return;
    this.stop(`${this.target.name} left the session; stopped following.`);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function isEcho(step: FollowStep, activity: LocalActivity, where: LocalView): boolean {
  if (where.file !== step.file) return false;
  // An editor that just opened has not scrolled yet: for a file switch the file is enough.
  if (activity === 'switched-file') return true;
  const line = step.visible?.start ?? step.cursor?.line;
  if (line === undefined || !where.visible) return true;
  return where.visible.some((range) => range.start <= line && line <= range.end);
}

function sameStep(a: FollowStep, b: FollowStep): boolean {
  return a.file === b.file
    && a.visible?.start === b.visible?.start
    && a.visible?.end === b.visible?.end
    && a.cursor?.line === b.cursor?.line
    && a.cursor?.character === b.cursor?.character;
}
