/**
 * A clock that only moves when a test says so. Timers fire in due-time order (ties in the order
 * they were set), and pending promise callbacks run between timers, so async code reacting to one
 * timer has settled before the next fires.
 */
import type { Clock, TimerHandle } from '../../client/ports';

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** Lets queued promise reactions (and their follow-ups) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, Pending>();

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Due time of the earliest timer, if any. */
  get nextDue(): number | undefined {
    let due: number | undefined;
    for (const timer of this.timers.values()) if (due === undefined || timer.due < due) due = timer.due;
    return due;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new Error('time does not run backwards');
    const target = this.time + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.timers.delete(next.id);
      this.time = next.due;
      next.callback();
      await flushMicrotasks();
    }
    this.time = target;
  }

  /** Moves to the next timer's due time and fires it (and any due with it). */
  async advanceToNext(): Promise<void> {
    const due = this.nextDue;
    if (due !== undefined) await this.advance(due - this.time);
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const timer of this.timers.values()) {
      if (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }
}
