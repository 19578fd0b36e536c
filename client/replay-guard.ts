/**
 * Refusing replayed encrypted messages. The relay (or anyone between two participants) cannot
 * forge a body, but it could send one it saw earlier again: an old `file-write` would put a file
 * back to an old content. Stamped bodies (formats 0x02 and 0x03, protocol/body-codec.ts) carry the
 * sender's clock inside the sealed plaintext and a message id (0x02: 16 random bytes sealed with
 * it; 0x03: the authenticated 12-byte GCM nonce, unique per message); this guard accepts each id
 * once per sender and nothing older than its window. The ids of the two formats differ in length
 * (22 and 16 base64url characters), so they never collide with each other.
 *
 * Presence is latest-wins and the relay re-sends each sender's last presence as a snapshot after
 * every (re)join, so for presence the rule is "not older than the newest accepted", duplicates
 * of that newest frame included.
 *
 * Hook (client/session-client.ts, where the codec is built):
 *   this.codec = membership.key ? withReplayGuard(encryptedCodec(membership.session, membership.key)) : plainCodec();
 */
import { BodyError, type BodyCodec, type RelayedKind } from '../protocol';

export interface ReplayGuardOptions {
  /**
   * Oldest accepted message, by the sender's stamp. Default 15 min: above the relay's longest
   * resume window (10 min for the host), so messages the relay legitimately replays after a
   * resume are still accepted.
   */
  readonly maxAgeMs?: number;
  /** How far ahead of our clock a sender's clock may be. Default 5 min. */
  readonly maxFutureMs?: number;
  /** Message ids remembered per sender; beyond, the oldest are forgotten and nothing older accepted. Default 50,000. */
  readonly maxIdsPerSender?: number;
  readonly clock?: () => number;
}

export type ReplayVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface SenderState {
  /** Message ids seen in the window, oldest first (Map keeps insertion order). */
  readonly seen: Map<string, number>;
  /** Nothing stamped at or before this is accepted any more (ids forgotten to bound memory). */
  floor: number;
  /** Newest accepted presence stamp. */
  presenceAt: number;
}

export class ReplayGuard {
  private readonly maxAgeMs: number;
  private readonly maxFutureMs: number;
  private readonly maxIds: number;
  private readonly clock: () => number;
  private readonly senders = new Map<string, SenderState>();

  constructor(options: ReplayGuardOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
    this.maxFutureMs = options.maxFutureMs ?? 5 * 60_000;
    this.maxIds = options.maxIdsPerSender ?? 50_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Decides on one authenticated message and remembers it when accepted. */
  check(kind: RelayedKind, from: string, sentAt: number, messageId: string): ReplayVerdict {
    const now = this.clock();
    if (sentAt > now + this.maxFutureMs) {
      return { ok: false, reason: `it is stamped ${Math.round((sentAt - now) / 1000)} s in the future (are the two clocks set right?)` };
    }
    if (sentAt < now - this.maxAgeMs) {
      return { ok: false, reason: `it is ${Math.round((now - sentAt) / 1000)} s old, older than the ${Math.round(this.maxAgeMs / 1000)} s replay window` };
    }
    const state = this.state(from);
    if (kind === 'presence') {
      if (sentAt < state.presenceAt) return { ok: false, reason: 'it is older than presence already received (replayed)' };
      state.presenceAt = sentAt;
      return { ok: true };
    }
    if (sentAt <= state.floor) return { ok: false, reason: 'it is older than this sender\'s remembered window (replayed)' };
    if (state.seen.has(messageId)) return { ok: false, reason: 'it was already received once (replayed)' };
    state.seen.set(messageId, sentAt);
    this.prune(state, now);
    return { ok: true };
  }

  /** Forgets a sender (it left the session for good). */
  forget(from: string): void {
    this.senders.delete(from);
  }

  private state(from: string): SenderState {
    let state = this.senders.get(from);
    if (!state) {
      state = { seen: new Map(), floor: 0, presenceAt: 0 };
      this.senders.set(from, state);
    }
    return state;
  }

  private prune(state: SenderState, now: number): void {
    const oldest = now - this.maxAgeMs;
    for (const [id, sentAt] of state.seen) {
      // Ids arrive roughly in stamp order; stop at the first one still inside the window.
      if (sentAt >= oldest && state.seen.size <= this.maxIds) break;
      state.seen.delete(id);
      state.floor = Math.max(state.floor, sentAt);
    }
  }
}

/**
 * Wraps an encrypted codec so `open` also refuses replays and unstamped (0x01) bodies. Sealing
 * is unchanged. A plaintext codec is returned as is: without a key there is nothing to verify.
 */
export function withReplayGuard(codec: BodyCodec, guard: ReplayGuard = new ReplayGuard()): BodyCodec {
  const openStamped = codec.openStamped?.bind(codec);
  if (!codec.encrypted || !openStamped) return codec;
  return {
    encrypted: true,
    seal: (kind, sender, payload) => codec.seal(kind, sender, payload),
    openStamped,
    open(kind, from, body) {
      const opened = openStamped(kind, from, body);
      if (!opened.stamp) throw new BodyError(`message from ${from} has no replay stamp (sent by an older Pairline?); refusing it`);
      const verdict = guard.check(kind, from, opened.stamp.sentAt, opened.stamp.messageId);
      if (!verdict.ok) throw new BodyError(`message from ${from} refused: ${verdict.reason}`);
      return opened.payload;
    },
  };
}
