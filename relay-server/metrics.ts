/**
 * Prometheus metrics on the relay's own registry (no global default registry, so two relays in
 * one process, as in tests, never collide).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { closeCodeName } from '../protocol';

export interface MetricsSources {
  /** Sessions currently held by the store. */
  sessions(): number | Promise<number>;
  /** Participants online on this relay process. */
  participants(): number;
  /** Configured limits, exported as `pairline_limit{name}` so dashboards show what is enforced. */
  limits?(): Record<string, number>;
}

/**
 * Counts kept as plain numbers and added to their prom-client counter when it is read (a scrape):
 * a labelled `inc` hashes and validates its labels on every call (a cached `labels()` child does
 * too), and the fan-out counts every delivered frame.
 */
class Tally {
  private readonly pending = new Map<string, number>();

  add(key: string, amount: number): void {
    this.pending.set(key, (this.pending.get(key) ?? 0) + amount);
  }

  drain(apply: (key: string, amount: number) => void): void {
    for (const [key, amount] of this.pending) apply(key, amount);
    this.pending.clear();
  }
}

export class RelayMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly messagesIn: Counter<'type'>;
  readonly messagesOut: Counter<'type'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly closes: Counter<'code' | 'name'>;
  readonly upgradeRefusals: Counter<'status'>;
  readonly presenceDropped: Counter;
  readonly heartbeatRoundTrip: Histogram;
  readonly presenceCoalesced: Counter;
  readonly rateLimited: Counter<'kind'>;
  readonly upgradeRefusalReasons: Counter<'reason'>;
  readonly preAuthExceeded: Counter<'limit'>;
  private readonly messagesInTally = new Tally();
  private readonly messagesOutTally = new Tally();
  /** Bytes not yet added to `bytesIn` / `bytesOut` (see {@link Tally}). */
  private readonly pendingBytes = { in: 0, out: 0 };

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'pairline_' });
    this.connections = new Gauge({ name: 'pairline_connections', help: 'Open WebSocket connections.', registers });
    new Gauge({
      name: 'pairline_sessions', help: 'Live sessions.', registers,
      async collect() {
        this.set(await sources.sessions());
      },
    });
    new Gauge({
      name: 'pairline_participants', help: 'Participants online on this relay.', registers,
      collect() {
        this.set(sources.participants());
      },
    });
    const { messagesInTally, messagesOutTally, pendingBytes } = this;
    this.messagesIn = new Counter({
      name: 'pairline_messages_in_total', help: 'Messages received, by message type (relayed kinds as send:KIND).', labelNames: ['type'], registers,
      collect() {
        messagesInTally.drain((type, amount) => this.inc({ type }, amount));
      },
    });
    this.messagesOut = new Counter({
      name: 'pairline_messages_out_total', help: 'Messages sent, by message type (relayed kinds as relayed:KIND).', labelNames: ['type'], registers,
      collect() {
        messagesOutTally.drain((type, amount) => this.inc({ type }, amount));
      },
    });
    this.bytesIn = new Counter({
      name: 'pairline_bytes_in_total', help: 'Bytes of WebSocket frames received.', registers,
      collect() {
        if (pendingBytes.in > 0) this.inc(pendingBytes.in);
        pendingBytes.in = 0;
      },
    });
    this.bytesOut = new Counter({
      name: 'pairline_bytes_out_total', help: 'Bytes of WebSocket frames sent.', registers,
      collect() {
        if (pendingBytes.out > 0) this.inc(pendingBytes.out);
        pendingBytes.out = 0;
      },
    });
    this.closes = new Counter({ name: 'pairline_closes_total', help: 'Closed connections by close code.', labelNames: ['code', 'name'], registers });
    this.upgradeRefusals = new Counter({ name: 'pairline_upgrade_refusals_total', help: 'WebSocket upgrades refused, by HTTP status.', labelNames: ['status'], registers });
    this.presenceDropped = new Counter({ name: 'pairline_presence_dropped_total', help: 'Presence frames skipped for connections with a send backlog (latest wins).', registers });
    this.presenceCoalesced = new Counter({ name: 'pairline_presence_coalesced_total', help: 'Presence frames replaced by a newer one from the same sender while a slow reader caught up.', registers });
    this.rateLimited = new Counter({ name: 'pairline_rate_limited_total', help: 'Connections closed 4429 by rate limit, by bucket (all, presence, document, file, control, preauth).', labelNames: ['kind'], registers });
    this.upgradeRefusalReasons = new Counter({ name: 'pairline_upgrade_refusal_reasons_total', help: 'WebSocket upgrades refused, by reason (origin, connect-rate, auth, path, shutdown).', labelNames: ['reason'], registers });
    this.preAuthExceeded = new Counter({ name: 'pairline_preauth_exceeded_total', help: 'Connections closed for exceeding a pre-auth cap (messages, bytes).', labelNames: ['limit'], registers });
    const limits = sources.limits;
    if (limits) {
      new Gauge({
        name: 'pairline_limit', help: 'Configured limits (rates per second, bursts, bytes, counts, milliseconds).', labelNames: ['name'], registers,
        collect() {
          for (const [name, value] of Object.entries(limits())) this.set({ name }, value);
        },
      });
    }
    this.heartbeatRoundTrip = new Histogram({
      name: 'pairline_heartbeat_rtt_seconds', help: 'Round trip of the relay\'s WebSocket ping to the pong.', registers,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  /** A WebSocket message of `bytes` bytes arrived (counted before it is parsed). */
  countBytesIn(bytes: number): void {
    this.pendingBytes.in += bytes;
  }

  /** A message received, by its `pairline_messages_in_total` type. */
  countIn(type: string): void {
    this.messagesInTally.add(type, 1);
  }

  /** A frame written to a socket. */
  countOut(type: string, bytes: number): void {
    this.messagesOutTally.add(type, 1);
    this.pendingBytes.out += bytes;
  }

  recordClose(code: number): void {
    this.closes.inc({ code: String(code), name: closeCodeName(code) ?? (code === 1006 ? 'Abnormal' : 'Other') });
  }
}
