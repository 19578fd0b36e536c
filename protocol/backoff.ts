/**
 * Reconnect backoff: "full jitter" — a uniformly random delay between 0 and
 * min(cap, base·2^attempt). Spreads a crowd of reconnecting clients (a relay restart) evenly
 * instead of in synchronized waves.
 */
export interface BackoffOptions {
  /** Delay scale for the first retry. Default 500 ms. */
  readonly baseMs: number;
  /** Largest delay. Default 10 s: long enough to spare a struggling relay, short enough to feel live. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000 };

/** Upper bound of the delay before retry number `attempt` (0-based). */
export function backoffCeiling(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  // Clamp the exponent so 2^attempt never overflows into Infinity for long outages.
  const exponent = Math.min(Math.max(attempt, 0), 30);
  return Math.min(options.capMs, options.baseMs * 2 ** exponent);
}

/** Delay before retry number `attempt`; `random` returns a number in [0, 1). */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}
