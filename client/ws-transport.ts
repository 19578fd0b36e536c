/**
 * The real {@link Transport}: `ws` WebSockets. The only module in client/ that imports `ws`, so the
 * rest of the client runs on any transport (fakes in tests, a browser's WebSocket elsewhere).
 */
import WebSocket from 'ws';
import { BEARER_PROTOCOL_PREFIX } from '../protocol';
import type { Connection, Transport } from './ports';
import { ABNORMAL_CLOSURE, httpRefusal, TransportError } from './transport-error';

export interface WebSocketTransportOptions {
  /** Give up on an upgrade that does not complete. Default 10 s: a blackholed relay must not stall a retry forever. */
  readonly handshakeTimeoutMs?: number;
  /** After we close, wait this long for the relay's close frame, then drop the socket. Default 1 s. */
  readonly closeTimeoutMs?: number;
  /** Largest inbound frame. Default 16 MiB, well above the relay's own limit. */
  readonly maxPayload?: number;
}

export class WebSocketTransport implements Transport {
  constructor(private readonly options: WebSocketTransportOptions = {}) {}

  connect(url: string, options: { token?: string; protocols: string[] }): Promise<Connection> {
    const protocols = [...options.protocols];
    const headers: Record<string, string> = {};
    if (options.token) {
      // Both places: the header for proxies and servers that read it, the subprotocol for parity with browsers.
      protocols.push(BEARER_PROTOCOL_PREFIX + options.token);
      headers.Authorization = `Bearer ${options.token}`;
    }
    return new Promise<Connection>((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url, protocols, {
          headers,
          handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
          maxPayload: this.options.maxPayload ?? 16 * 1024 * 1024,
          perMessageDeflate: false,
        });
      } catch (err) {
        reject(new TransportError(`cannot connect to ${url}: ${(err as Error).message}`));
        return;
      }
      let failure: TransportError | undefined;
      socket.once('unexpected-response', (_request, response) => {
        failure = httpRefusal(response.statusCode ?? 0);
        response.resume();
        socket.terminate();
      });
      socket.on('error', (err) => {
        failure ??= new TransportError(describeError(err));
      });
      const onEarlyClose = () => reject(failure ?? new TransportError('the connection closed during the handshake'));
      socket.once('close', onEarlyClose);
      socket.once('open', () => {
        socket.off('close', onEarlyClose);
        resolve(new WebSocketConnection(socket, this.options.closeTimeoutMs ?? 1_000));
      });
    });
  }
}

function describeError(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'the relay refused the connection (is it running?)';
    case 'ENOTFOUND':
      return 'the relay host name could not be resolved';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    default:
      return err.message.includes('Opening handshake has timed out') ? 'the relay did not answer in time' : err.message;
  }
}

class WebSocketConnection implements Connection {
  private readonly closeListeners: ((code: number, reason: string) => void)[] = [];
  private closed = false;
  private lastError: string | undefined;

  constructor(private readonly socket: WebSocket, private readonly closeTimeoutMs: number) {
    socket.on('error', (err) => {
      this.lastError = describeError(err);
    });
    socket.on('close', (code, reason) => {
      if (this.closed) return;
      this.closed = true;
      const text = reason.toString('utf8') || (code === ABNORMAL_CLOSURE ? this.lastError ?? '' : '');
      for (const listener of this.closeListeners) listener(code, text);
    });
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(frame: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(code, reason);
    // On a half-open link the close handshake never completes; do not keep the socket for ws's 30 s.
    const timer = setTimeout(() => this.socket.terminate(), this.closeTimeoutMs);
    timer.unref();
  }

  onMessage(listener: (frame: string) => void): void {
    this.socket.on('message', (data, isBinary) => {
      if (!isBinary) listener(data.toString());
    });
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListeners.push(listener);
  }
}
