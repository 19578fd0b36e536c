/**
 * Liveness of relay processes sharing Redis, and what happens when one dies.
 *
 * A process that crashes cannot mark its participants "reconnecting" nor run their resume
 * deadlines. So every process refreshes a key with a short TTL (its heartbeat) and records the
 * sessions it is responsible for; each beat, every process looks for relays whose heartbeat
 * expired, and the one that wins a SET NX lock takes over: the dead relay's online participants
 * become "reconnecting" (their resume window starts now) and every deadline it held runs here.
 * Guests that were waiting for approval on the dead relay have no connection any more: their
 * knocks are withdrawn, so the host's prompt goes away instead of admitting nobody.
 *
 * The same beat notices when Redis lost its data (restart without persistence): the epoch key is
 * gone. Then this process's connections are closed with 1001 so their clients reconnect and
 * re-create or re-join the session, which they do on a failed resume already.
 */
import { CloseCode, encodeMessage, newSecret } from '../../protocol';
import type { Redis } from 'ioredis';
import type { RelayConfig } from '../config';
import type { RelayLogger } from '../logger';
import { publicParticipant } from '../participants';
import type { RedisKeys } from './keys';
import type { Meta, RedisSessionStore, StoredKnock, StoredParticipant } from './redis-store';

export interface LivenessOptions {
  readonly redis: Redis;
  readonly store: RedisSessionStore;
  readonly keys: RedisKeys;
  readonly relayId: string;
  readonly config: Pick<RelayConfig, 'guestResumeMs' | 'hostResumeMs'>;
  readonly logger: RelayLogger;
  /** How often the heartbeat key is refreshed and other relays are checked. */
  readonly beatMs: number;
  /** A relay whose heartbeat is older than this is dead. */
  readonly deadAfterMs: number;
  readonly now?: () => number;
}

export class RelayLiveness {
  private readonly options: LivenessOptions;
  private readonly now: () => number;
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private epoch: string | undefined;
  private started = false;

  constructor(options: LivenessOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Announces this relay and starts beating. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      // One beat at a time: a slow Redis must not pile them up.
      this.beating ??= this.beat()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'relay heartbeat failed'))
        .finally(() => {
          this.beating = undefined;
        });
    }, this.options.beatMs);
  }

  /** Stops beating. The heartbeat key is left to expire, so a survivor takes over what is left. */
  async dispose(): Promise<void> {
    clearInterval(this.timer);
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
    await this.beating;
  }

  private async beat(): Promise<void> {
    const { redis, keys, relayId, deadAfterMs } = this.options;
    const results = await redis.multi().set(keys.alive(relayId), String(this.now()), 'PX', deadAfterMs, 'GET').sadd(keys.relays(), relayId).exec();
    const lost = await this.checkEpoch();
    if (!lost && this.started && results?.[0]?.[1] === null) {
      // Our heartbeat expired (Redis unreachable or this process stalled): a survivor may have
      // marked our participants reconnecting. Send them through a resume so the record is true again.
      await redis.del(keys.takeover(relayId));
      this.closeLocal('this relay process was presumed dead; reconnect', 'heartbeat key had expired: closing connections so clients resume');
    }
    this.started = true;
    await this.options.store.refresh(this.options.store.localSessions());
    for (const other of await redis.smembers(keys.relays())) {
      if (other === relayId || (await redis.exists(keys.alive(other))) === 1) continue;
      // Only one survivor takes over; the lock outlives a takeover, and expires so a failed one is retried.
      const won = await redis.set(keys.takeover(other), relayId, 'PX', Math.max(10_000, deadAfterMs * 3), 'NX');
      if (won === 'OK') await this.takeOver(other);
    }
  }

  /** True when Redis lost its data since the last beat (then every local connection is closed). */
  private async checkEpoch(): Promise<boolean> {
    const { redis, keys } = this.options;
    await redis.set(keys.epoch(), newSecret(9), 'NX');
    const epoch = await redis.get(keys.epoch()) ?? undefined;
    const lost = this.epoch !== undefined && epoch !== this.epoch;
    this.epoch = epoch;
    if (lost) this.closeLocal('the relay lost its session state; reconnect', 'Redis lost the shared state (restarted without persistence?): closing connections so clients re-create their sessions');
    return lost;
  }

  private closeLocal(reason: string, logMessage: string): void {
    const { store, logger } = this.options;
    const sessions = store.localSessions();
    logger.warn({ sessions: sessions.length }, logMessage);
    for (const session of sessions) store.deliverLocally(session, { type: 'close', code: CloseCode.GoingAway, reason });
  }

  private async takeOver(dead: string): Promise<void> {
    const { redis, keys, logger, relayId } = this.options;
    const sessions = await redis.smembers(keys.owned(dead));
    let moved = 0;
    let withdrawn = 0;
    for (const session of sessions) {
      moved += await this.takeOverSession(session, dead);
      withdrawn += await this.withdrawKnocks(session, dead);
    }
    await redis.multi().srem(keys.relays(), dead).del(keys.owned(dead)).exec();
    logger.warn({ relay: dead, by: relayId, sessions: sessions.length, participants: moved, knocks: withdrawn }, 'a relay process stopped beating: took over its participants');
  }

  /** Marks the dead relay's participants reconnecting and adopts their deadlines; returns how many. */
  private async takeOverSession(session: string, dead: string): Promise<number> {
    const { store, redis, keys, relayId, config } = this.options;
    let moved = 0;
    for (const [id, text] of await store.storedParticipants(session)) {
      const participant = JSON.parse(text) as StoredParticipant;
      if (participant.relay !== dead) continue;
      const wasOnline = participant.state === 'online';
      const next: StoredParticipant = { ...participant, relay: relayId };
      if (wasOnline) {
        next.state = 'reconnecting';
        next.expiresAt = this.now() + (participant.role === 'host' ? config.hostResumeMs : config.guestResumeMs);
      }
      // Compare and set: a participant that already resumed elsewhere is left alone.
      if (!(await store.swapParticipant(session, id, text, next))) continue;
      await redis.sadd(keys.owned(relayId), session);
      moved += 1;
      if (wasOnline) {
        await store.publish(session, {
          type: 'message', label: 'roster', except: id,
          frame: encodeMessage({ type: 'roster', change: 'updated', participant: publicParticipant(next) }),
        });
      }
      this.schedule(session, id, Math.max(0, (next.expiresAt ?? this.now()) - this.now()));
    }
    return moved;
  }

  /** Withdraws the knocks of guests whose connection was on the dead relay and tells the host; returns how many. */
  private async withdrawKnocks(session: string, dead: string): Promise<number> {
    const { store } = this.options;
    // Compare and set on the meta field, retried a few times: the routing may be changing it meanwhile.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const text = await store.storedMeta(session);
      if (text === undefined) return 0;
      const meta = JSON.parse(text) as Meta;
      const knocks = meta.knocks as StoredKnock[];
      const gone = knocks.filter((knock) => knock.relay === dead);
      if (gone.length === 0) return 0;
      if (!(await store.swapMeta(session, text, { ...meta, knocks: knocks.filter((knock) => knock.relay !== dead) }))) continue;
      for (const knock of gone) {
        await store.publish(session, {
          type: 'message', label: 'knock-withdrawn', to: meta.hostId,
          frame: encodeMessage({ type: 'knock-withdrawn', participant: knock.id, reason: 'left' }),
        });
      }
      return gone.length;
    }
    this.options.logger.warn({ session, relay: dead }, 'could not withdraw the knocks of a dead relay: the session kept changing');
    return 0;
  }

  private schedule(session: string, participant: string, delayMs: number): void {
    const key = `${session}/${participant}`;
    clearTimeout(this.deadlines.get(key));
    this.deadlines.set(key, setTimeout(() => {
      this.deadlines.delete(key);
      this.expired(session, participant).catch((err: unknown) => this.options.logger.error({ err, session }, 'an adopted resume deadline failed'));
    }, delayMs));
  }

  /** The resume window of an adopted participant passed: as the routing does for its own deadlines. */
  private async expired(session: string, id: string): Promise<void> {
    const { store, logger } = this.options;
    const text = (await store.storedParticipants(session)).get(id);
    if (text === undefined) return;
    const participant = JSON.parse(text) as StoredParticipant;
    if (participant.state !== 'reconnecting' || (participant.expiresAt ?? 0) > this.now()) return;
    const record = await store.get(session);
    if (!record) return;
    if (participant.id === record.hostId) {
      logger.info({ session }, 'session ended: its host did not come back in time');
      await store.delete(session);
      await store.publish(session, { type: 'close', code: CloseCode.SessionEnded, reason: 'the host did not come back in time' });
      return;
    }
    if (!(await store.swapParticipant(session, id, text, undefined))) return;
    logger.info({ session, participant: id }, 'resume window expired');
    await store.clearPresence(session, id);
    await store.publish(session, {
      type: 'message', label: 'roster', except: id,
      frame: encodeMessage({ type: 'roster', change: 'left', participant: publicParticipant(participant), reason: 'timeout' }),
    });
  }
}
