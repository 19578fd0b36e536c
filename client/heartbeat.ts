/**
 * Liveness of one connection: an application ping at a fixed interval, round-trip times from the
 * matching pongs, and a dead-link verdict when nothing at all has arrived for too long. A half-open
 * TCP link (laptop asleep, proxy dropped the socket without a FIN) delivers no close event, so
 * silence is the only signal there is.
 */
import type { Clock, TimerHandle } from './ports';
import type { RoundTrip } from './api';

export interface HeartbeatOptions {
  /** How often to ping. Default 5 s: frequent enough for a live round-trip figure, cheap on the wire. */
  readonly pingIntervalMs: number;
  /** Silence after which the link counts as dead. Default 20 s: four missed pongs, well above any sane RTT. */
  readonly deadAfterMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { pingIntervalMs: 5_000, deadAfterMs: 20_000 };

/** Samples in the moving average. */
const WINDOW = 10;

export interface HeartbeatHooks {
  sendPing(id: number): void;
  /** Called once when the link has been silent for `deadAfterMs`. */
  onDead(silentMs: number): void;
  onRoundTrip(roundTrip: RoundTrip): void;
}

/** One per connection; `stop()` it when the connection goes. */
export class Heartbeat {
  private pingTimer: TimerHandle | undefined;
  private deadTimer: TimerHandle | undefined;
  private lastInboundAt: number;
  private nextId = 0;
  private readonly outstanding = new Map<number, number>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: HeartbeatOptions,
    private readonly hooks: HeartbeatHooks,
    /** Round-trip samples carried over from earlier connections, so the average stays meaningful. */
    private readonly samples: number[],
  ) {
    this.lastInboundAt = clock.now();
    this.armDeadTimer();
  }

  /** Starts pinging (after the handshake; the dead-link timer already runs from construction). */
  startPinging(): void {
    if (this.stopped || this.pingTimer) return;
    this.schedulePing(this.options.pingIntervalMs);
  }

  /** Pings at once, e.g. when the host environment says the network changed. */
  probe(): void {
    if (this.stopped) return;
    if (this.pingTimer) this.clock.clearTimeout(this.pingTimer);
    this.schedulePing(0);
  }

  /** Any frame at all proves the link is alive. */
  noteInbound(): void {
    if (this.stopped) return;
    this.lastInboundAt = this.clock.now();
    this.armDeadTimer();
  }

  notePong(id: number): void {
    const sentAt = this.outstanding.get(id);
    if (sentAt === undefined || this.stopped) return;
    this.outstanding.delete(id);
    const rtt = this.clock.now() - sentAt;
    this.samples.push(rtt);
    if (this.samples.length > WINDOW) this.samples.splice(0, this.samples.length - WINDOW);
    this.hooks.onRoundTrip(this.current(rtt));
  }

  stop(): void {
    this.stopped = true;
    if (this.pingTimer) this.clock.clearTimeout(this.pingTimer);
    if (this.deadTimer) this.clock.clearTimeout(this.deadTimer);
    this.pingTimer = this.deadTimer = undefined;
  }

  private current(lastMs: number): RoundTrip {
    const averageMs = this.samples.reduce((sum, value) => sum + value, 0) / this.samples.length;
    return { lastMs, averageMs: Math.round(averageMs * 10) / 10, lastInboundAt: this.lastInboundAt };
  }

  private schedulePing(delay: number): void {
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = undefined;
      if (this.stopped) return;
      const id = this.nextId++;
      this.outstanding.set(id, this.clock.now());
      // Unanswered pings must not pile up on a link that silently drops them.
      if (this.outstanding.size > WINDOW) this.outstanding.delete(this.outstanding.keys().next().value as number);
      this.hooks.sendPing(id);
      this.schedulePing(this.options.pingIntervalMs);
    }, delay);
  }

  private armDeadTimer(): void {
    if (this.deadTimer) this.clock.clearTimeout(this.deadTimer);
    this.deadTimer = this.clock.setTimeout(() => {
      this.deadTimer = undefined;
      if (this.stopped) return;
      this.hooks.onDead(this.clock.now() - this.lastInboundAt);
    }, this.options.deadAfterMs);
  }
}
