/**
 * A small in-process TCP proxy for integration tests, listening on 127.0.0.1:0 in front of a target
 * port. It can cut every current connection (as a crashed NAT or a pulled cable followed by a
 * reset would), blackhole traffic (a partition: sockets stay open and nothing gets through either
 * way, a half-open link that no FIN or RST reveals) and delay traffic. The target port can change
 * (relay restarted).
 *
 * A blackhole holds bytes rather than dropping them. TCP never loses bytes from the middle of a
 * stream: when a partition heals, what was sent during it is retransmitted and arrives, in order,
 * before anything sent later. A proxy that dropped them would produce links real networks cannot,
 * e.g. one that lost the relay's answer to a join yet carries every later message.
 */
import * as net from 'node:net';

/** One direction of a proxied connection. */
interface Direction {
  readonly from: net.Socket;
  readonly to: net.Socket;
  /** Chunks that arrived during a blackhole, delivered when it lifts. */
  held: Buffer[];
  /** Clock time before which nothing may be written (delay keeps order). */
  releaseAt: number;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly directions: readonly [Direction, Direction];
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
   * While on, nothing gets through in either direction and sockets stay open; when one end closes,
   * the other is not told. Applies to new connections too. Turning it off delivers what was held,
   * in order, then the close of an end that went away meanwhile.
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
  let dark = false;
  let delayMs = 0;
  const pairs = new Set<Pair>();

  /** Writes a chunk now, or after the delay; a per-direction clock keeps order. */
  function deliver(direction: Direction, chunk: Buffer): void {
    const { to } = direction;
    if (delayMs <= 0 && direction.releaseAt <= Date.now()) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    direction.releaseAt = Math.max(Date.now() + delayMs, direction.releaseAt);
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, direction.releaseAt - Date.now());
  }

  function teardown(pair: Pair): void {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  }

  /** The blackhole lifted: what each end sent arrives, then a close that happened meanwhile. */
  function release(pair: Pair): void {
    for (const direction of pair.directions) {
      const held = direction.held;
      direction.held = [];
      for (const chunk of held) deliver(direction, chunk);
    }
    // An end that went away in the dark (its socket is destroyed): the other gets a FIN after the
    // data, and its close tears the pair down.
    if (!pair.client.destroyed && !pair.upstream.destroyed) return;
    const after = Math.max(0, ...pair.directions.map((direction) => direction.releaseAt - Date.now()));
    setTimeout(() => {
      for (const socket of [pair.client, pair.upstream]) if (!socket.destroyed) socket.end();
    }, after);
  }

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    const directions: [Direction, Direction] = [
      { from: client, to: upstream, held: [], releaseAt: 0 },
      { from: upstream, to: client, held: [], releaseAt: 0 },
    ];
    const pair: Pair = { client, upstream, directions };
    pairs.add(pair);
    for (const direction of directions) {
      direction.from.on('data', (chunk: Buffer) => {
        if (dark) direction.held.push(chunk);
        else deliver(direction, chunk);
      });
    }
    // In a blackhole the other end never learns that one end went away (no FIN, no RST gets
    // through): it keeps its socket until its own dead-link timer fires, the blackhole lifts, or
    // cut()/close().
    const closed = (side: net.Socket, other: net.Socket) => () => {
      if (!dark || other.destroyed) return teardown(pair);
      side.destroy();
      other.once('close', () => teardown(pair));
    };
    client.on('error', closed(client, upstream));
    upstream.on('error', closed(upstream, client));
    client.on('close', closed(client, upstream));
    upstream.on('close', closed(upstream, client));
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
      const lifted = dark && !on;
      dark = on;
      if (lifted) for (const pair of [...pairs]) release(pair);
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
