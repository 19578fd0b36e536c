/**
 * When to try again. Counts attempts, waits a full-jitter backoff before each, and forgets the count
 * only once a connection has stayed up for a while: a relay that accepts and drops us at once must
 * not get hammered at the base delay forever. Also decides, per close code, whether to retry at all.
 */
import { backoffDelay, closePolicy, CloseCode, DEFAULT_BACKOFF, type BackoffOptions } from '../protocol';
import type { Clock, Random, TimerHandle } from './ports';

export interface ReconnectOptions {
  readonly backoff: BackoffOptions;
  /** Connected this long counts as stable and resets the attempt count. Default 5 s. */
  readonly stableAfterMs: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { backoff: DEFAULT_BACKOFF, stableAfterMs: 5_000 };

export interface ScheduledRetry {
  /** 1 for the first retry after a connection was lost. */
  readonly attempt: number;
  readonly retryAt: number;
  readonly retryInMs: number;
}

export class ReconnectScheduler {
  private attempts = 0;
  private retryTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private pendingRetry: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly options: ReconnectOptions,
  ) {}

  get attempt(): number {
    return this.attempts;
  }

  get waiting(): boolean {
    return this.retryTimer !== undefined;
  }

  /**
   * Schedules the next attempt; `immediate` skips the backoff (relay going away, network back);
   * `capMs` lowers the backoff's cap for this attempt (see WAITING_FOR_HOST_CAP_MS).
   */
  schedule(retry: () => void, immediate = false, capMs?: number): ScheduledRetry {
    this.cancel();
    const backoff = capMs === undefined ? this.options.backoff : { ...this.options.backoff, capMs: Math.min(capMs, this.options.backoff.capMs) };
    const delay = immediate ? 0 : backoffDelay(this.attempts, this.random, backoff);
    this.attempts += 1;
    this.pendingRetry = retry;
    this.retryTimer = this.clock.setTimeout(() => this.fire(), delay);
    return { attempt: this.attempts, retryAt: this.clock.now() + delay, retryInMs: delay };
  }

  /** Runs a scheduled retry now. Returns false when none was waiting. */
  retryNow(): boolean {
    if (!this.retryTimer) return false;
    this.clock.clearTimeout(this.retryTimer);
    this.fire();
    return true;
  }

  /** The connection is up: reset the count once it stays up. */
  noteConnected(): void {
    this.clearStable();
    this.stableTimer = this.clock.setTimeout(() => {
      this.stableTimer = undefined;
      this.attempts = 0;
    }, this.options.stableAfterMs);
  }

  /** The connection went down before it proved stable: keep counting. */
  noteDisconnected(): void {
    this.clearStable();
  }

  cancel(): void {
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pendingRetry = undefined;
  }

  dispose(): void {
    this.cancel();
    this.clearStable();
  }

  private fire(): void {
    const retry = this.pendingRetry;
    this.retryTimer = undefined;
    this.pendingRetry = undefined;
    retry?.();
  }

  private clearStable(): void {
    if (this.stableTimer) this.clock.clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
  }
}

/**
 * A guest told "the session is not here yet" (4404) is talking to a relay that is up, waiting
 * for its host to re-register (typically right after a relay restart, when the host does so at
 * once). Its backoff, escalated while the relay was down, would leave it up to 10 s behind the
 * host; for the first minute of waiting it retries within 2 s instead. Later the usual cap
 * applies, so a host that is gone for long is not polled every second.
 */
export const WAITING_FOR_HOST_CAP_MS = 2_000;
export const WAITING_FOR_HOST_FAST_FOR_MS = 60_000;

/** What to do after a connection closed or failed to open (not one we closed on purpose). */
export type AfterClose =
  | { readonly action: 'stop'; readonly reason: string }
  | {
    readonly action: 'retry';
    readonly state: 'reconnecting' | 'waiting-for-host';
    readonly reason: string;
    readonly immediate: boolean;
    /** The relay lost the session, and with it our resume token. */
    readonly forgetToken: boolean;
  };

/**
 * The protocol's close policy, adjusted for who we are and where we were: an unanswered knock is
 * final, and a host does not wait for itself when the relay lost its session — it re-registers.
 */
export function afterClose(code: number, reason: string, side: 'host' | 'guest', waitingForApproval: boolean): AfterClose {
  if (code === CloseCode.Timeout && waitingForApproval) {
    return { action: 'stop', reason: 'The host did not answer your request to join in time. Ask them, then join again.' };
  }
  const policy = closePolicy(code, reason);
  const retry = { action: 'retry', state: 'reconnecting', reason: policy.explanation, immediate: false, forgetToken: false } as const;
  switch (policy.action) {
    case 'stop':
      return { action: 'stop', reason: policy.explanation };
    case 'wait-for-host':
      return side === 'host'
        // The relay answered, so it is up: re-register at once rather than after a backoff wait
        // (guests are waiting for exactly this). `create` never answers 4404, so this cannot spin.
        ? { ...retry, reason: 'The relay does not have the session (it restarted?); registering it again.', forgetToken: true, immediate: true }
        : { ...retry, state: 'waiting-for-host', forgetToken: true };
    case 'retry-now':
      return { ...retry, immediate: true };
    case 'retry':
      return retry;
  }
}
