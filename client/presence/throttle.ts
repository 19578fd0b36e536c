/**
 * Latest-wins throttle for volatile updates such as presence: the first value goes out at once
 * (leading edge), later values within the interval are coalesced, and the last one always goes
 * out when the interval ends (trailing edge), so a peer never sees a stale final position.
 */
import type { Clock, TimerHandle } from '../ports';

export class Throttle<T> {
  private lastSentAt: number | undefined;
  private pending: { value: T } | undefined;
  private timer: TimerHandle | undefined;
  private disposed = false;

  /**
   * @param intervalMs minimum time between two sends (presence: 50 ms, DESIGN.md "Presence")
   * @param send called with each value that goes out
   */
  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly send: (value: T) => void,
  ) {}

  /** Offers a value; it is sent now or at the end of the current interval (replacing older ones). */
  push(value: T): void {
    if (this.disposed) return;
    const now = this.clock.now();
    if (this.timer === undefined && (this.lastSentAt === undefined || now - this.lastSentAt >= this.intervalMs)) {
      this.emit(value, now);
      return;
    }
    this.pending = { value };
    if (this.timer === undefined) {
      const wait = Math.max(0, this.intervalMs - (now - (this.lastSentAt ?? now)));
      this.timer = this.clock.setTimeout(() => this.flushTrailing(), wait);
    }
  }

  /** True while a trailing value waits for the interval to end. */
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Drops any pending value (e.g. the session ended). */
  cancel(): void {
    this.pending = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }

  private flushTrailing(): void {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      this.emit(pending.value, this.clock.now());
    }
  }

  private emit(value: T, now: number): void {
    this.lastSentAt = now;
    this.send(value);
    // Keep the interval open after a send so a burst that follows is coalesced into one trailing send.
    this.timer = this.clock.setTimeout(() => this.flushTrailing(), this.intervalMs);
  }
}
