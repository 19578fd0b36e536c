/**
 * A small in-process TCP proxy for integration tests, listening on 127.0.0.1:0 in front of a target
 * port. It can cut every current connection (as a crashed NAT or a pulled cable followed by a
 * reset would), blackhole traffic (sockets stay open, bytes vanish both ways: a half-open link that
 * no FIN or RST ever reveals) and delay traffic. The target port can change (relay restarted).
 */
import * as net from 'node:net';

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

export interface ChaosProxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, for clients that take a relay base URL. */
  readonly url: string;
  /** Connections currently open through the proxy. */
  readonly connectionCount: number;
  /** Destroys every current connection: `reset` sends RST, otherwise FIN. New connections still work. */
  cut(options?: { reset?: boolean }): void;
  /**
   * While on, bytes in both directions are silently dropped and sockets stay open; when one end
   * closes, the other is not told. Applies to new connections too.
   */
  blackhole(on: boolean): void;
  /** Delays every chunk by `ms` (order is kept). 0 turns it off. */
  delay(ms: number): void;
  /** Points new connections at another port. */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startChaosProxy(targetPort: number): Promise<ChaosProxy> {
  let target = targetPort;
  let dropping = false;
  let delayMs = 0;
  const pairs = new Set<Pair>();

  /** Forwards one direction, honouring blackhole and delay; a per-direction clock keeps order. */
  function forward(from: net.Socket, to: net.Socket): void {
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      if (dropping) return;
      if (delayMs <= 0 && releaseAt <= Date.now()) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      releaseAt = Math.max(Date.now() + delayMs, releaseAt);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, releaseAt - Date.now());
    });
  }

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    const pair = { client, upstream };
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // In a blackhole the other end never learns that one end went away (no FIN, no RST gets
    // through): it keeps its socket until its own dead-link timer fires, or cut()/close().
    const closed = (side: net.Socket, other: net.Socket) => () => {
      if (!dropping || other.destroyed) return teardown();
      side.destroy();
      other.once('close', teardown);
    };
    client.on('error', closed(client, upstream));
    upstream.on('error', closed(upstream, client));
    client.on('close', closed(client, upstream));
    upstream.on('close', closed(upstream, client));
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  function cut(options: { reset?: boolean } = {}): void {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      for (const socket of [pair.client, pair.upstream]) {
        if (options.reset) socket.resetAndDestroy();
        else socket.destroy();
      }
    }
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connectionCount() {
      return pairs.size;
    },
    cut,
    blackhole(on) {
      dropping = on;
    },
    delay(ms) {
      delayMs = Math.max(0, ms);
    },
    retarget(next) {
      target = next;
    },
    close() {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
