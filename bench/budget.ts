/**
 * Quick mode's bound on a loaded machine. A section with several measurements (fan-out rows,
 * saturation steps) gets a share of the run's time: it always takes its first measurement, and
 * starts another only if that one is expected to end within the share (expected: as long as the
 * longest one so far). Full mode gives no share, so every measurement runs.
 */
import { monoMs } from './clock';

export class SectionBudget {
  private readonly startedAt = monoMs();
  private longestMs = 0;
  private measurementStartedAt: number | undefined;
  private admitted = 0;
  /** Measurements left out for want of time. */
  skipped = 0;

  constructor(readonly shareMs: number | undefined) {}

  /** Call before each measurement; false (and counted as skipped) when it would overrun the share. */
  admit(): boolean {
    this.done();
    if (this.admitted > 0 && this.shareMs !== undefined && this.elapsedMs() + this.longestMs > this.shareMs) {
      this.skipped += 1;
      return false;
    }
    this.admitted += 1;
    this.measurementStartedAt = monoMs();
    return true;
  }

  /** Ends the timing of the measurement admitted last (the next `admit` does it too). */
  done(): void {
    if (this.measurementStartedAt === undefined) return;
    this.longestMs = Math.max(this.longestMs, monoMs() - this.measurementStartedAt);
    this.measurementStartedAt = undefined;
  }

  elapsedMs(): number {
    return monoMs() - this.startedAt;
  }

  /** A sentence for the report when something was left out, else ''. */
  note(what: string): string {
    if (this.skipped === 0 || this.shareMs === undefined) return '';
    return `Quick mode left out ${this.skipped} ${what} to stay within its ${Math.round(this.shareMs / 1000)} s share of the run (\`npm run bench\` runs them all).`;
  }
}
