/**
 * Checks at the HTTP upgrade that need no credentials: the browser Origin allow-list and the
 * connects-per-address limit. Both run before authentication and before `handleUpgrade`, so a
 * refused request costs one HTTP answer and no WebSocket.
 */
import type { IncomingMessage } from 'node:http';

/**
 * The address a request comes from. Behind a reverse proxy every connection comes from the
 * proxy, so with `trustProxy` the last X-Forwarded-For entry (the one the proxy appended) is
 * used; without it the header is ignored, since a client could write anything there.
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  const direct = request.socket.remoteAddress ?? 'unknown';
  if (!trustProxy) return direct;
  const header = request.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  const hops = value.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '');
  return hops.at(-1) ?? direct;
}

/**
 * Browser pages send `Origin` on a WebSocket upgrade; native clients (VS Code's extension host,
 * the CLI) do not. So a request without Origin is allowed, and one with an Origin only when it is
 * on the list (exact match, or `*`).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const normalised = origin.trim().replace(/\/+$/, '').toLowerCase();
  return allowed.some((entry) => entry === '*' || entry.toLowerCase() === normalised);
}

/**
 * Fixed one-minute windows per address: simple, and at most one entry per address seen in the
 * current minute, dropped when the minute turns.
 */
export class ConnectLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; false when the address is over its limit for this minute. */
  allow(address: string): boolean {
    if (this.perMinute === 0) return true;
    const now = this.now();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.counts = new Map();
    }
    const count = (this.counts.get(address) ?? 0) + 1;
    this.counts.set(address, count);
    return count <= this.perMinute;
  }

  /** Seconds until the current window ends, for Retry-After. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.windowStart + 60_000 - this.now()) / 1000));
  }

  /** Addresses tracked in the current window (for metrics). */
  get trackedAddresses(): number {
    return this.counts.size;
  }
}

/**
 * What a store shared by several relay processes adds at the upgrade and on /readyz (the Redis
 * one: relay-server/redis/admission.ts). Absent for the in-memory store.
 */
export interface SharedAdmission {
  /** False while this process cannot reach the shared state: /readyz answers 503. */
  isReady(): boolean;
  /** Counts one connect from `address` across every process; false when it is over the limit. */
  allowConnect(address: string): Promise<boolean>;
  /** Seconds until the shared window ends, for Retry-After. */
  retryAfterSeconds(): number;
}
