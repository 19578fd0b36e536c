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
import { Authenticator } from './auth';
import type { RelayConfig } from './config';
import { Connection } from './connection';
import { createHttpApp } from './http';
import type { RelayLogger } from './logger';
import { RelayMetrics } from './metrics';
import { Sessions } from './sessions';
import { MemorySessionStore, type SessionStore } from './store';

export interface RelayServerOptions {
  readonly config: RelayConfig;
  readonly logger: RelayLogger;
  readonly version: string;
  /** Defaults to the in-memory store. */
  readonly store?: SessionStore;
}

export class RelayServer {
  readonly metrics: RelayMetrics;
  private readonly config: RelayConfig;
  private readonly logger: RelayLogger;
  private readonly version: string;
  private readonly sessions: Sessions;
  private readonly authenticator: Authenticator;
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
    this.metrics = new RelayMetrics({ sessions: () => store.count(), participants: () => this.sessions.members.onlineCount() });
    this.authenticator = new Authenticator(this.config.auth, this.config.tokens);
    this.http = http.createServer(createHttpApp({ metrics: this.metrics, isReady: () => !this.shuttingDown }));
    this.webSockets = new WebSocketServer({
      noServer: true,
      maxPayload: this.config.maxPayload,
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

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.logger.debug({ error: err.message }, 'upgrade socket error'));
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    if (url.pathname !== WEBSOCKET_PATH) return this.refuse(socket, 404, `No WebSocket endpoint here; connect to ${WEBSOCKET_PATH}.`);
    if (this.shuttingDown) return this.refuse(socket, 503, 'The relay is shutting down; reconnect in a moment.');
    const decision = this.authenticator.decide(request, url);
    if (!decision.ok) return this.refuse(socket, decision.status, decision.message);
    this.webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      const connection = new Connection({
        socket: webSocket, sessions: this.sessions, config: this.config, logger: this.logger,
        metrics: this.metrics, relayVersion: this.version, tokenHash: decision.tokenHash,
      });
      this.connections.add(connection);
      webSocket.once('close', () => this.connections.delete(connection));
    });
  }

  private refuse(socket: Duplex, status: number, message: string): void {
    this.metrics.upgradeRefusals.inc({ status: String(status) });
    this.logger.info({ status }, 'upgrade refused');
    const body = `${message}\n`;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
}
