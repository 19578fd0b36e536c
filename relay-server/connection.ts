/**
 * One WebSocket connection: the pre-auth deadline, rate limit, heartbeat bookkeeping, and the
 * edge where every frame is parsed once with the protocol's schema before an exhaustive switch
 * hands it to the routing. Frames of one connection are handled strictly in arrival order.
 */
import type { WebSocket, RawData } from 'ws';
import {
  CloseCode, PROTOCOL_VERSION, encodeMessage, newSecret, parseClientMessage,
  type ClientMessage, type RelayMessage,
} from '../protocol';
import { rateKindOf, type RateKind, type RelayConfig } from './config';
import type { RelayLogger } from './logger';
import type { Frame, Peer } from './members';
import type { RelayMetrics } from './metrics';
import { TokenBucket } from './rate-limit';
import type { Sessions } from './sessions';

export interface ConnectionOptions {
  readonly socket: WebSocket;
  readonly sessions: Sessions;
  readonly config: RelayConfig;
  readonly logger: RelayLogger;
  readonly metrics: RelayMetrics;
  readonly relayVersion: string;
  readonly tokenHash: string | undefined;
  readonly now?: () => number;
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.length <= 123) return reason;
  // Cut on a character boundary: decoding a cut multi-byte sequence would add U+FFFD (3 bytes).
  let text = bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '');
  while (Buffer.byteLength(`${text}…`, 'utf8') > 123) text = text.slice(0, -1);
  return `${text}…`;
}

/** `ws` sends a Buffer as a binary frame unless told otherwise; one options object for every send. */
const TEXT_FRAME = { binary: false } as const;

export class Connection implements Peer {
  readonly connectionId = newSecret(6);
  readonly tokenHash: string | undefined;
  private readonly socket: WebSocket;
  private readonly sessions: Sessions;
  private readonly config: RelayConfig;
  private readonly logger: RelayLogger;
  private readonly metrics: RelayMetrics;
  private readonly relayVersion: string;
  private readonly now: () => number;
  private readonly bucket: TokenBucket;
  /** One bucket per message family, each made when the connection first sends one of that family. */
  private readonly kindBuckets: Partial<Record<RateKind, TokenBucket>> = {};
  /** Counted until the connection joins, creates or starts waiting (see {@link settle}). */
  private preAuth: { messages: number; bytes: number } | undefined = { messages: 0, bytes: 0 };
  /**
   * Presence held back for a slow reader: only the latest per sender, sent when it catches up.
   * Made only while there is some (most connections never need it; an empty Map costs ~250 bytes).
   */
  private pendingPresence: Map<string, Frame> | undefined;
  private presenceFlushTimer: NodeJS.Timeout | undefined;
  private greeted = false;
  private preAuthTimer: NodeJS.Timeout | undefined;
  private lastSeenAt: number;
  private pingSentAt: number | undefined;
  private closeCode: number | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: ConnectionOptions) {
    this.socket = options.socket;
    this.sessions = options.sessions;
    this.config = options.config;
    // The shared logger with the connection id as a field: a child logger per connection cost
    // about 200 bytes for every idle participant.
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.relayVersion = options.relayVersion;
    this.tokenHash = options.tokenHash;
    this.now = options.now ?? Date.now;
    this.lastSeenAt = this.now();
    this.bucket = new TokenBucket(this.config.rateLimitPerSecond, this.config.rateLimitBurst, this.now);
    this.preAuthTimer = setTimeout(() => {
      this.close(CloseCode.Timeout, `no session joined within ${Math.round(this.config.preAuthTimeoutMs / 100) / 10} s of connecting`);
    }, this.config.preAuthTimeoutMs);

    this.socket.on('message', (data, isBinary) => this.received(data, isBinary));
    this.socket.on('pong', () => {
      const now = this.now();
      this.lastSeenAt = now;
      if (this.pingSentAt !== undefined) this.metrics.heartbeatRoundTrip.observe((now - this.pingSentAt) / 1000);
      this.pingSentAt = undefined;
    });
    this.socket.on('error', (err) => {
      // ws reports oversized frames here and closes with 1009 itself.
      this.closeCode ??= (err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CloseCode.MessageTooBig : undefined;
      this.logger.debug({ connection: this.connectionId, error: err.message }, 'socket error');
    });
    // `on`, not `once`: ws emits close once, and `once` would add a wrapper per connection.
    this.socket.on('close', (code) => {
      clearTimeout(this.preAuthTimer);
      clearTimeout(this.presenceFlushTimer);
      this.pendingPresence = undefined;
      const recorded = this.closeCode ?? code;
      this.metrics.recordClose(recorded);
      this.metrics.connections.dec();
      this.logger.debug({ connection: this.connectionId, code: recorded }, 'connection closed');
      this.queue = this.queue
        .then(() => this.sessions.disconnected(this))
        .catch((err: unknown) => this.logger.error({ err, connection: this.connectionId }, 'handling a disconnect failed'));
    });
    this.metrics.connections.inc();
  }

  /** Called by the relay's heartbeat sweep: terminates a silent connection, pings a live one. */
  heartbeat(): void {
    const now = this.now();
    if (now - this.lastSeenAt > this.config.deadAfterMs) {
      this.logger.info({ connection: this.connectionId, silentMs: now - this.lastSeenAt }, 'terminating a silent connection');
      this.closeCode ??= 1006;
      this.socket.terminate();
      return;
    }
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.pingSentAt = now;
    this.socket.ping();
  }

  send(message: RelayMessage): void {
    this.sendFrame(encodeMessage(message), message.type === 'relayed' ? `relayed:${message.kind}` : message.type);
  }

  sendFrame(frame: Frame, label: string, from?: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    const backlog = this.socket.bufferedAmount;
    if (backlog > this.config.maxBufferedBytes) {
      // A reader this far behind would only fall further; it reconnects, resumes and resyncs.
      this.close(CloseCode.TooSlow, 'the connection fell too far behind on messages');
      return;
    }
    if (label === 'relayed:presence' && from !== undefined && (backlog > this.config.maxPayload || this.pendingPresence !== undefined)) {
      // Presence is latest-wins: a slow reader gets each sender's newest position once it has
      // caught up, never a queue of stale ones (and never loses the last one).
      this.pendingPresence ??= new Map();
      if (this.pendingPresence.has(from)) this.metrics.presenceCoalesced.inc();
      else this.metrics.presenceDropped.inc();
      this.pendingPresence.delete(from);
      this.pendingPresence.set(from, frame);
      this.presenceFlushTimer ??= setTimeout(() => this.flushPresence(), 50);
      return;
    }
    this.write(frame, label);
  }

  private flushPresence(): void {
    this.presenceFlushTimer = undefined;
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.config.maxPayload) {
      this.presenceFlushTimer = setTimeout(() => this.flushPresence(), 50);
      return;
    }
    const frames = [...(this.pendingPresence?.values() ?? [])];
    this.pendingPresence = undefined;
    for (const frame of frames) this.write(frame, 'relayed:presence');
  }

  private write(frame: Frame, label: string): void {
    if (typeof frame === 'string') {
      this.metrics.countOut(label, Buffer.byteLength(frame, 'utf8'));
      this.socket.send(frame);
      return;
    }
    // Encoded once for all the receivers of a fan-out: ws writes the same bytes to each socket.
    const data = frame.data;
    this.metrics.countOut(label, data.length);
    this.socket.send(data, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    if (this.closeCode !== undefined && this.closeCode !== code) return;
    this.closeCode = code;
    clearTimeout(this.preAuthTimer);
    if (code !== CloseCode.Normal && code !== CloseCode.GoingAway) this.logger.info({ connection: this.connectionId, code, reason }, 'closing connection');
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, truncateReason(reason));
    }
  }

  settle(): void {
    clearTimeout(this.preAuthTimer);
    this.preAuthTimer = undefined;
    this.preAuth = undefined;
  }

  /** Cuts the connection without a closing handshake (shutdown stragglers). */
  terminate(): void {
    this.socket.terminate();
  }

  private received(data: RawData, isBinary: boolean): void {
    this.lastSeenAt = this.now();
    if (this.closeCode !== undefined) return;
    const size = Array.isArray(data) ? data.reduce((total, part) => total + part.length, 0) : data.byteLength;
    this.metrics.countBytesIn(size);
    if (size > this.config.maxPayload) {
      this.close(CloseCode.TooBig, `a message of ${size} bytes is over this relay's ${this.config.maxPayload}-byte limit`);
      return;
    }
    if (this.preAuth) {
      this.preAuth.messages += 1;
      this.preAuth.bytes += size;
      if (this.preAuth.bytes > this.config.preAuthMaxBytes) {
        this.metrics.preAuthExceeded.inc({ limit: 'bytes' });
        this.close(CloseCode.TooBig, `more than ${this.config.preAuthMaxBytes} bytes before joining a session`);
        return;
      }
      if (this.preAuth.messages > this.config.preAuthMaxMessages) {
        this.metrics.preAuthExceeded.inc({ limit: 'messages' });
        this.metrics.rateLimited.inc({ kind: 'preauth' });
        this.close(CloseCode.RateLimited, `more than ${this.config.preAuthMaxMessages} messages before joining a session`);
        return;
      }
    }
    if (!this.bucket.take()) {
      this.metrics.rateLimited.inc({ kind: 'all' });
      this.close(CloseCode.RateLimited, `more than ${this.config.rateLimitPerSecond} messages per second`);
      return;
    }
    if (isBinary) {
      this.close(CloseCode.BadMessage, 'frames must be JSON text, not binary');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.metrics.countIn('invalid');
      this.close(CloseCode.BadMessage, parsed.error);
      return;
    }
    const message = parsed.message;
    this.metrics.countIn(message.type === 'send' ? `send:${message.kind}` : message.type);
    const rateKind = rateKindOf(message.type, message.type === 'send' ? message.kind : undefined);
    if (!this.kindBucket(rateKind).take()) {
      this.metrics.rateLimited.inc({ kind: rateKind });
      this.close(CloseCode.RateLimited, `more than ${this.config.rateLimits[rateKind].perSecond} ${rateKind} messages per second`);
      return;
    }
    this.queue = this.queue
      .then(() => (this.closeCode === undefined ? this.handle(message) : undefined))
      .catch((err: unknown) => {
        this.logger.error({ err, connection: this.connectionId, type: message.type }, 'handling a message failed');
        this.close(CloseCode.InternalError, 'the relay hit an internal error');
      });
  }

  private kindBucket(kind: RateKind): TokenBucket {
    let bucket = this.kindBuckets[kind];
    if (!bucket) {
      // Starts full, as it would have had it been made with the connection: only the rate matters.
      const limit = this.config.rateLimits[kind];
      bucket = new TokenBucket(limit.perSecond, limit.burst, this.now);
      this.kindBuckets[kind] = bucket;
    }
    return bucket;
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (!this.greeted && message.type !== 'hello') {
      this.close(CloseCode.BadMessage, `the first message must be "hello", not "${message.type}"`);
      return;
    }
    switch (message.type) {
      case 'hello':
        if (this.greeted) {
          this.send({ type: 'error', code: 'bad-message', message: 'hello was already received on this connection.', ref: message.type });
          return;
        }
        if (message.protocol !== PROTOCOL_VERSION) {
          this.close(CloseCode.UpgradeRequired, `this relay speaks Pairline protocol ${PROTOCOL_VERSION}, the client ${message.protocol}: update Pairline (or the relay)`);
          return;
        }
        this.greeted = true;
        this.logger.debug({ connection: this.connectionId, client: message.client }, 'hello');
        this.send({
          type: 'welcome', protocol: PROTOCOL_VERSION, relay: { version: this.relayVersion },
          limits: { maxPayload: this.config.maxPayload, kinds: { ...this.config.kindLimits } },
          heartbeatMs: this.config.heartbeatMs,
        });
        return;
      case 'create':
        return this.sessions.create(this, message);
      case 'join':
        return this.sessions.join(this, message);
      case 'resume':
        return this.sessions.resume(this, message);
      case 'approve':
        return this.sessions.approve(this, message);
      case 'deny':
        return this.sessions.deny(this, message);
      case 'set-role':
        return this.sessions.setRole(this, message);
      case 'remove':
        return this.sessions.remove(this, message);
      case 'leave':
        return this.sessions.leave(this);
      case 'end':
        return this.sessions.end(this, message);
      case 'ping':
        this.send({ type: 'pong', id: message.id });
        return;
      case 'send':
        return this.sessions.send(this, message);
      case 'rotate-invite':
        return this.sessions.rotateInvite(this, message);
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
