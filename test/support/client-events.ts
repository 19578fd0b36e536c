/**
 * Awaiting client events in integration tests: bounded waits on the event you expect, never a
 * fixed sleep.
 */
import type { Event } from '../../client/events';

/** Short client timings so reconnect tests finish in seconds. */
export const FAST = { pingIntervalMs: 200, deadAfterMs: 1_000, connectTimeoutMs: 3_000, stableAfterMs: 1_000, backoff: { baseMs: 50, capMs: 300 } };

/** Resolves with the first value of `event` that matches; rejects after `timeoutMs`. */
export function waitFor<T>(event: Event<T>, predicate: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const subscription = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}

/** Like waitFor, for a condition that may already hold: checked now, then after each event. */
export function waitUntil<T>(event: Event<T>, condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (condition()) return Promise.resolve();
  return waitFor(event, () => condition(), what, timeoutMs).then(() => undefined);
}
