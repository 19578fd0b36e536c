/**
 * Per-participant deadlines of the routing (resume windows, approval waits): at most one per
 * participant of a session, replaced when rescheduled, all cleared on dispose.
 */
import type { RelayLogger } from './logger';

export class Deadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly logger: RelayLogger) {}

  /** Runs `action` after `delayMs` unless cleared or rescheduled first. */
  schedule(session: string, participant: string, delayMs: number, action: () => Promise<void>): void {
    this.clear(session, participant);
    const key = `${session}/${participant}`;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      action().catch((err: unknown) => this.logger.error({ err, session }, 'a session deadline failed'));
    }, delayMs);
    this.timers.set(key, timer);
  }

  clear(session: string, participant: string): void {
    const key = `${session}/${participant}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
