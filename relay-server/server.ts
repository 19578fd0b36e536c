/**
 * The relay process's network side: one HTTP server carrying express (HTTP endpoints) and a
 * `ws` WebSocketServer in `noServer` mode. Upgrades are authenticated before `handleUpgrade`,
 * so a refused client never gets a socket; a heartbeat sweep pings every connection and
 * terminates silent ones; shutdown closes every socket with 1001.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode, SUBPROTOCOL, WEBSOCKET_PATH } from '../protocol';
import { ConnectLimiter, clientAddress, originAllowed, type SharedAdmission } from './admission';
import { Authenticator } from './auth';
import { RATE_KINDS, readTokens, type RelayConfig } from './config';
import { Connection } from './connection';
import { createHttpApp } from './http';
import type { RelayLogger } from './logger';
import { RelayMetrics } from './metrics';
import { RedisSessionStore } from './redis/redis-store';
import { Sessions } from './sessions';
import { MemorySessionStore, type SessionStore } from './store';

export interface RelayServerOptions {
  readonly config: RelayConfig;
  readonly logger: RelayLogger;
  readonly version: string;
  /** Defaults to the in-memory store. */
  readonly store?: SessionStore;
  /** Readiness and connect limits shared with other relay processes; defaults to the Redis store's. */
  readonly admission?: SharedAdmission;
}

export class RelayServer {
  readonly metrics: RelayMetrics;
  private readonly config: RelayConfig;
  private readonly logger: RelayLogger;
  private readonly version: string;
  private readonly sessions: Sessions;
  private readonly authenticator: Authenticator;
  private readonly connectLimiter: ConnectLimiter;
  private readonly admission: SharedAdmission | undefined;
  private readonly http: http.Server;
  private readonly webSockets: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(options: RelayServerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.version = options.version;
    const store = options.store ?? new MemorySessionStore({ bufferMessages: this.config.resumeBufferMessages, bufferBytes: this.config.resumeBufferBytes });
    this.sessions = new Sessions({ store, config: this.config, logger: this.logger });
    this.metrics = new RelayMetrics({
      sessions: () => store.count(), participants: () => this.sessions.members.onlineCount(), limits: () => this.limits(),
    });
    this.authenticator = new Authenticator(this.config.auth, this.config.tokens);
    this.connectLimiter = new ConnectLimiter(this.config.connectsPerMinute);
    this.admission = options.admission ?? (store instanceof RedisSessionStore ? store.admission : undefined);
    // Slow clients (slowloris) get no longer to send their request head than an upgraded
    // connection gets to join: the pre-auth deadline; checked every second.
    this.http = http.createServer({
      headersTimeout: this.config.preAuthTimeoutMs,
      requestTimeout: Math.max(30_000, this.config.preAuthTimeoutMs + 1),
      connectionsCheckingInterval: 1000,
    }, createHttpApp({ metrics: this.metrics, readiness: () => this.readiness() }));
    this.webSockets = new WebSocketServer({
      noServer: true,
      // A hard cap above the configured limit: messages between the two are closed by
      // Connection with 4413 (a named code); only beyond it does ws stop reading and close 1009.
      maxPayload: hardPayloadCap(this.config.maxPayload),
      // Clients send each message as one frame; thousands of tiny fragments are an attack on
      // memory (one buffer each). Beyond this ws closes with 1008. Auto-pongs are capped too
      // (a ping flood is terminated).
      // (Newer ws options than its published types know; spread so the types stay honest elsewhere.)
      ...({ maxFragments: MAX_FRAGMENTS, maxPendingAutoPongs: 60 } as Record<string, number>),
      // Clients offer `pairline.v1` (plus, optionally, `bearer.<token>`); only the former is echoed.
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.http.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
  }

  /** Listens; resolves with the base URL (`http://HOST:PORT`). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.config.port, this.config.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.heartbeatTimer = setInterval(() => {
      for (const connection of this.connections) connection.heartbeat();
    }, this.config.heartbeatMs);
    const address = this.http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Refuses new WebSockets (503) and turns /readyz to 503, closes every socket with 1001 and
   * waits, at most the shutdown timeout, for them to go; then cuts the rest and stops listening.
   * HTTP stays up while draining so load balancers see the relay is not ready.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.heartbeatTimer);
    for (const connection of this.connections) connection.close(CloseCode.GoingAway, 'relay shutting down');
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.connections.size > 0) {
      this.logger.warn({ remaining: this.connections.size }, 'shutdown timeout: cutting the remaining connections');
      for (const connection of this.connections) connection.terminate();
    }
    this.sessions.dispose();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }

  /** Reads the host access tokens again (SIGHUP): new tokens work at once, removed ones stop at the next upgrade. */
  reloadTokens(): number {
    const tokens = readTokens(this.config.tokensFile, this.config.tokensList);
    this.authenticator.replaceTokens(tokens);
    this.logger.info({ tokens: tokens.length, active: this.authenticator.activeCount }, 'host access tokens reloaded');
    return tokens.length;
  }

  /** What /readyz says: not ready while draining, nor while the shared state (Redis) is out of reach. */
  private readiness(): 'ready' | 'shutting down' | 'shared state unreachable' {
    if (this.shuttingDown) return 'shutting down';
    if (this.admission && !this.admission.isReady()) return 'shared state unreachable';
    return 'ready';
  }

  private limits(): Record<string, number> {
    const config = this.config;
    const limits: Record<string, number> = {
      max_payload_bytes: config.maxPayload, hard_payload_bytes: hardPayloadCap(config.maxPayload),
      rate_all_per_second: config.rateLimitPerSecond, rate_all_burst: config.rateLimitBurst,
      preauth_timeout_ms: config.preAuthTimeoutMs, preauth_max_messages: config.preAuthMaxMessages, preauth_max_bytes: config.preAuthMaxBytes,
      connects_per_minute: config.connectsPerMinute, max_participants: config.maxParticipants,
      max_sessions_per_token: config.maxSessionsPerToken, max_buffered_bytes: config.maxBufferedBytes,
      host_tokens_active: this.authenticator.activeCount,
    };
    for (const kind of RATE_KINDS) {
      limits[`rate_${kind}_per_second`] = config.rateLimits[kind].perSecond;
      limits[`rate_${kind}_burst`] = config.rateLimits[kind].burst;
    }
    return limits;
  }

  /**
   * One listener for every upgrading socket. A closure made inside upgrade() would share its
   * scope with the admission callback there, and so keep each connection's upgrade request and
   * head buffer alive for as long as the socket lives (about 1 KB per idle participant).
   */
  private readonly upgradeSocketError = (err: Error): void => {
    this.logger.debug({ error: err.message }, 'upgrade socket error');
  };

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', this.upgradeSocketError);
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    if (url.pathname !== WEBSOCKET_PATH) return this.refuse(socket, 404, `No WebSocket endpoint here; connect to ${WEBSOCKET_PATH}.`, 'path');
    if (this.shuttingDown) return this.refuse(socket, 503, 'The relay is shutting down; reconnect in a moment.', 'shutdown');
    if (!originAllowed(request.headers.origin, this.config.allowedOrigins)) {
      return this.refuse(socket, 403, 'This relay does not accept WebSockets from this web page\'s origin (see --allowed-origins).', 'origin');
    }
    const address = clientAddress(request, this.config.trustProxy);
    if (!this.connectLimiter.allow(address)) return this.refuseConnectRate(socket, this.connectLimiter.retryAfterSeconds());
    const admission = this.admission;
    if (!admission) return this.authenticate(request, socket, head, url);
    // Across processes: the count this process keeps only sees its own share of the address's connects.
    admission.allowConnect(address).then((allowed) => {
      if (socket.destroyed) return;
      if (this.shuttingDown) return this.refuse(socket, 503, 'The relay is shutting down; reconnect in a moment.', 'shutdown');
      if (!allowed) return this.refuseConnectRate(socket, admission.retryAfterSeconds());
      this.authenticate(request, socket, head, url);
    }).catch((err: unknown) => {
      this.logger.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  }

  private refuseConnectRate(socket: Duplex, retryAfterSeconds: number): void {
    this.refuse(socket, 429, `Too many connections from your address; at most ${this.config.connectsPerMinute} per minute. Retry shortly.`, 'connect-rate',
      `Retry-After: ${retryAfterSeconds}\r\n`);
  }

  /** The credential check and the WebSocket handshake, once the checks needing no credentials passed. */
  private authenticate(request: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const decision = this.authenticator.decide(request, url);
    if (!decision.ok) return this.refuse(socket, decision.status, decision.message, 'auth');
    this.webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      const connection = new Connection({
        socket: webSocket, sessions: this.sessions, config: this.config, logger: this.logger,
        metrics: this.metrics, relayVersion: this.version, tokenHash: decision.tokenHash,
      });
      this.connections.add(connection);
      webSocket.once('close', () => this.connections.delete(connection));
    });
  }

  private refuse(socket: Duplex, status: number, message: string, reason: string, extraHeaders = ''): void {
    this.metrics.upgradeRefusals.inc({ status: String(status) });
    this.metrics.upgradeRefusalReasons.inc({ reason });
    this.logger.info({ status, reason }, 'upgrade refused');
    const body = `${message}\n`;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${extraHeaders}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
}

/** Fragments one message may arrive in (ws closes 1008 beyond). */
export const MAX_FRAGMENTS = 1024;

/** The WebSocket layer's own limit: twice the configured one (see the ws option above). */
export function hardPayloadCap(maxPayload: number): number {
  return maxPayload * 2;
}
