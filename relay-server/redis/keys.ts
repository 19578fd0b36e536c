/**
 * Redis key names of the shared relay state, in one place. Every key of one session carries the
 * session id as a hash tag (`{…}`), so a Redis Cluster would keep a session's keys on one shard
 * and the Lua scripts touching several of them stay legal there.
 */
export class RedisKeys {
  constructor(private readonly prefix = 'pairline:') {}

  /** Hash: `meta` (settings, host, invite hash, knocks) and `p:ID` (one participant each). */
  session(session: string): string {
    return `${this.prefix}{${session}}:session`;
  }

  /** String: the last sequence number given out (INCR). */
  seq(session: string): string {
    return `${this.prefix}{${session}}:seq`;
  }

  /** Stream: relayed non-volatile messages for resume, capped by length; entry id `SEQ-0`. */
  buffer(session: string): string {
    return `${this.prefix}{${session}}:buffer`;
  }

  /** Hash: participant id → its latest presence frame. */
  presence(session: string): string {
    return `${this.prefix}{${session}}:presence`;
  }

  /** Pub/sub channel of the session's fan-out. */
  channel(session: string): string {
    return `${this.prefix}{${session}}:fanout`;
  }

  sessionFromChannel(channel: string): string | undefined {
    const match = /\{([^}]+)\}:fanout$/.exec(channel);
    return match?.[1];
  }

  /** Set: every session id (stale ids of expired sessions are pruned when counted). */
  sessions(): string {
    return `${this.prefix}sessions`;
  }

  /** Set: the sessions created with one host access token (by its hash). */
  token(tokenHash: string): string {
    return `${this.prefix}token:{${tokenHash}}`;
  }

  /** Sorted set: session slots of a host token reserved by creates in flight, scored by expiry (same hash tag as the set). */
  tokenReservations(tokenHash: string): string {
    return `${this.prefix}token:{${tokenHash}}:reserved`;
  }

  /** Set: ids of relay processes that have announced themselves. */
  relays(): string {
    return `${this.prefix}relays`;
  }

  /** String with a short TTL, refreshed by the relay process while it lives. */
  alive(relay: string): string {
    return `${this.prefix}relay:${relay}:alive`;
  }

  /** Set: sessions in which the relay process holds participants (or their resume deadlines). */
  owned(relay: string): string {
    return `${this.prefix}relay:${relay}:owned`;
  }

  /** SET NX lock: the one survivor that takes over a dead relay's participants. */
  takeover(relay: string): string {
    return `${this.prefix}relay:${relay}:takeover`;
  }

  /** Random value written once per Redis data set: when it changes, Redis lost its data. */
  epoch(): string {
    return `${this.prefix}epoch`;
  }

  /** Fixed-window counters shared by all relay processes (connects per IP and the like). */
  counter(name: string, window: number): string {
    return `${this.prefix}counter:${name}:${window}`;
  }
}
