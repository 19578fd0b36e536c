/**
 * The {@link SessionStore} in Redis, so several relay processes share sessions:
 * - a hash per session: `meta` (settings, host, invite hash, knocks) and one field per participant,
 *   written field by field (only what changed since this process read it), with an expiry that
 *   live sessions keep refreshing;
 * - sequence numbers from INCR and the resume buffer in a stream capped by length (XADD MAXLEN, approximate `~` for buffers of 1000 and more),
 *   both done by one Lua script together with the PUBLISH, so every process sees messages in order;
 * - presence in a hash per session;
 * - fan-out by pub/sub, one channel per session; this process subscribes only to the sessions it
 *   has participants in, and reads that need the subscription (the record, the replay, presence)
 *   wait until Redis has confirmed it, so nothing published after a read is missed.
 *
 * Each participant field also names the relay process responsible for it (`relay`): the one that
 * holds its connection or its resume deadline. {@link RelayLiveness} uses it when a process dies.
 */
import type { Redis } from 'ioredis';
import { newSecret, type RelayedKind } from '../../protocol';
import type { SharedAdmission } from '../admission';
import type { RelayLogger } from '../logger';
import type { BufferedMessage, Replay } from '../resume-buffer';
import type { Delivery, DeliveryListener, KnockRecord, ParticipantRecord, RelayedInput, SessionRecord, SessionStore } from '../store';
import type { RedisKeys } from './keys';

/** A participant as stored: the record plus the relay process responsible for it. */
export type StoredParticipant = ParticipantRecord & { relay?: string };

/** A waiting guest as stored: the knock plus the relay process holding the guest's connection. */
export type StoredKnock = KnockRecord & { relay?: string };

export type Meta = Omit<SessionRecord, 'participants' | 'seq'>;

/** What this process last read or wrote of a record, so `save` writes only the differences. */
interface Snapshot {
  meta: string;
  participants: Map<string, string>;
}

/** Stands in for the sequence number while the frame is built; the script puts the real one in. */
const SEQ_PLACEHOLDER = 9007199254740991;

const APPEND_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local frame = ARGV[1] .. seq .. ARGV[2]
if ARGV[5] == '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[9], ARGV[6], seq .. '-0', 'kind', ARGV[3], 'from', ARGV[4], 'frame', frame)
else
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[9], ARGV[6], seq .. '-0', 'kind', ARGV[3], 'from', ARGV[4], 'to', ARGV[5], 'frame', frame)
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
local delivery = { type = 'message', frame = frame, label = 'relayed:' .. ARGV[3], seq = seq }
if ARGV[5] == '' then delivery['except'] = ARGV[4] else delivery['to'] = ARGV[5] end
redis.call('PUBLISH', ARGV[8], cjson.encode(delivery))
return seq
`;

/** Writes a field of the session hash only if it still holds what the caller read (compare and set). */
const SWAP_FIELD_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

/**
 * Reserves one of a host token's session slots, atomically across processes: live sessions (the
 * token's set) plus unexpired reservations (a sorted set scored by expiry, in Redis's own clock)
 * must stay below the limit. Returns the count before this reservation; no reservation is made
 * when it is already at the limit. KEYS: token set, reservations; ARGV: limit, id, ttl ms.
 */
const RESERVE_TOKEN_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local count = redis.call('SCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if count >= tonumber(ARGV[1]) then return count end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return count
`;

/** How long a reserved token slot waits for its session to be saved (a create takes milliseconds). */
const RESERVATION_TTL_MS = 15_000;

export interface RedisSessionStoreOptions {
  /** Commands (must not be in subscriber mode). */
  readonly redis: Redis;
  /** A second connection, used only for SUBSCRIBE. */
  readonly subscriber: Redis;
  readonly keys: RedisKeys;
  /** This relay process's id (see {@link RelayLiveness}). */
  readonly relayId: string;
  readonly bufferMessages: number;
  /** Expiry of a session's keys, refreshed by every write and by the liveness beat. */
  readonly sessionTtlMs: number;
  readonly logger: RelayLogger;
  /** Live sessions one host access token may hold, enforced atomically (see {@link RedisSessionStore.countByToken}). */
  readonly maxSessionsPerToken?: number;
  /** Readiness and the shared connect limit, for the upgrade path (see server.ts). */
  readonly admission?: SharedAdmission;
}

interface Channel {
  readonly listeners: Set<DeliveryListener>;
  /** Settles once Redis has confirmed the subscription. */
  readonly ready: Promise<void>;
}

export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly keys: RedisKeys;
  private readonly options: RedisSessionStoreOptions;
  private readonly channels = new Map<string, Channel>();
  private readonly snapshots = new WeakMap<SessionRecord, Snapshot>();
  /** Token slots this process reserved and has not yet filled with a saved session, by token hash. */
  private readonly reservations = new Map<string, string[]>();

  constructor(options: RedisSessionStoreOptions) {
    this.options = options;
    this.redis = options.redis;
    this.subscriber = options.subscriber;
    this.keys = options.keys;
    this.subscriber.on('message', (channel: string, text: string) => this.received(channel, text));
  }

  get admission(): SharedAdmission | undefined {
    return this.options.admission;
  }

  /** Sessions this process is subscribed to (it has participants in them). */
  localSessions(): string[] {
    return [...this.channels.keys()];
  }

  async get(session: string): Promise<SessionRecord | undefined> {
    await this.channels.get(session)?.ready;
    const [fields, seq] = await Promise.all([this.redis.hgetall(this.keys.session(session)), this.redis.get(this.keys.seq(session))]);
    const metaText = fields.meta;
    if (metaText === undefined) return undefined;
    const meta = JSON.parse(metaText) as Meta;
    const participants: Record<string, StoredParticipant> = {};
    const snapshot: Snapshot = { meta: metaText, participants: new Map() };
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith('p:')) continue;
      const participant = JSON.parse(value) as StoredParticipant;
      participants[participant.id] = participant;
      snapshot.participants.set(participant.id, value);
    }
    const record: SessionRecord = { ...meta, participants, seq: Number(seq ?? 0) };
    this.snapshots.set(record, snapshot);
    return record;
  }

  async participants(session: string, ids: readonly string[]): Promise<ReadonlyArray<Readonly<ParticipantRecord> | undefined>> {
    await this.channels.get(session)?.ready;
    if (ids.length === 0) return [];
    // Only the fields asked for: cheaper than the whole hash and the sequence number that get reads.
    const values = await this.redis.hmget(this.keys.session(session), ...ids.map((id) => `p:${id}`));
    return values.map((value) => (value !== null ? (JSON.parse(value) as StoredParticipant) : undefined));
  }

  /**
   * Writes what changed since this process read the record, field by field, so two processes
   * changing different participants of one session at once do not undo each other's change.
   */
  async save(record: SessionRecord): Promise<void> {
    const previous = this.snapshots.get(record);
    const key = this.keys.session(record.id);
    const relayId = this.options.relayId;
    let knockRelays: Map<string, string | undefined> | undefined;
    const knockRelay = (id: string): string | undefined => {
      knockRelays ??= new Map(previous ? ((JSON.parse(previous.meta) as Meta).knocks as StoredKnock[]).map((knock) => [knock.id, knock.relay]) : []);
      return knockRelays.get(id);
    };
    // A new knock is held by the process saving it (the guest's connection is here): if this
    // process dies, a survivor withdraws it (RelayLiveness) so the host cannot approve a ghost.
    let owns = false;
    record.knocks = record.knocks.map((knock: StoredKnock) => {
      if (knock.relay !== undefined) return knock;
      owns = true;
      return { ...knock, relay: relayId };
    });
    const metaText = JSON.stringify(metaOf(record));
    const participants = record.participants;
    const next: Snapshot = { meta: metaText, participants: new Map() };
    const transaction = this.redis.multi();
    if (!previous) transaction.del(key);
    if (previous?.meta !== metaText) transaction.hset(key, 'meta', metaText);
    for (const participant of Object.values(participants) as StoredParticipant[]) {
      const before = previous?.participants.get(participant.id);
      const old = before !== undefined ? (JSON.parse(before) as StoredParticipant) : undefined;
      // Whoever issues a new resume token holds the connection; whoever starts a resume window holds its deadline.
      // An approved guest is held by the process its knock came through, which completes its join.
      if (!old || old.resumeTokenHash !== participant.resumeTokenHash || (old.state === 'online' && participant.state === 'reconnecting')) {
        const holder = old ? undefined : knockRelay(participant.id);
        participant.relay = holder ?? relayId;
        if (holder === undefined || holder === relayId) owns = true;
        else transaction.sadd(this.keys.owned(holder), record.id);
      }
      const text = JSON.stringify(participant);
      next.participants.set(participant.id, text);
      if (text !== before) transaction.hset(key, `p:${participant.id}`, text);
    }
    for (const id of previous?.participants.keys() ?? []) {
      if (!next.participants.has(id)) transaction.hdel(key, `p:${id}`);
    }
    transaction.pexpire(key, this.options.sessionTtlMs);
    transaction.sadd(this.keys.sessions(), record.id);
    if (record.hostTokenHash !== undefined) {
      transaction.sadd(this.keys.token(record.hostTokenHash), record.id);
      // The slot reserved for this new session is filled by it, in the same transaction.
      const reservation = previous ? undefined : this.takeReservation(record.hostTokenHash);
      if (reservation !== undefined) transaction.zrem(this.keys.tokenReservations(record.hostTokenHash), reservation);
    }
    if (owns) transaction.sadd(this.keys.owned(relayId), record.id);
    await transaction.exec();
    this.snapshots.set(record, next);
  }

  async delete(session: string): Promise<void> {
    const metaText = await this.redis.hget(this.keys.session(session), 'meta');
    const tokenHash = metaText !== null ? (JSON.parse(metaText) as Meta).hostTokenHash : undefined;
    const transaction = this.redis.multi()
      .del(this.keys.session(session), this.keys.seq(session), this.keys.buffer(session), this.keys.presence(session))
      .srem(this.keys.sessions(), session);
    if (tokenHash !== undefined) transaction.srem(this.keys.token(tokenHash), session);
    await transaction.exec();
  }

  /**
   * Live sessions of a host token plus the slots other creates reserved, and — when that is below
   * the limit — a reservation of one more slot for the caller, in one script: the routing creates
   * a session right after a count below the limit, so two processes racing cannot both see room
   * for the last slot. The reservation is filled by the new session's first {@link save}, or
   * expires after {@link RESERVATION_TTL_MS} when the create does not get that far.
   */
  async countByToken(tokenHash: string): Promise<number> {
    const live = await this.countLive(this.keys.token(tokenHash));
    const limit = this.options.maxSessionsPerToken;
    if (limit === undefined) return live;
    const reservation = newSecret(9);
    const count = Number(await this.redis.eval(
      RESERVE_TOKEN_SCRIPT, 2, this.keys.token(tokenHash), this.keys.tokenReservations(tokenHash), String(limit), reservation, String(RESERVATION_TTL_MS),
    ));
    if (count < limit) {
      // A few at most: one per create of this token in flight here (older ones of failed creates have expired in Redis).
      const mine = (this.reservations.get(tokenHash) ?? []).slice(-15);
      mine.push(reservation);
      this.reservations.set(tokenHash, mine);
    }
    return count;
  }

  count(): Promise<number> {
    return this.countLive(this.keys.sessions());
  }

  async appendRelayed(session: string, message: RelayedInput): Promise<number> {
    const probe = message.frame(SEQ_PLACEHOLDER);
    const at = probe.lastIndexOf(String(SEQ_PLACEHOLDER));
    if (at < 0) throw new Error('a relayed frame does not carry its sequence number');
    const result = await this.redis.eval(
      APPEND_SCRIPT, 2, this.keys.seq(session), this.keys.buffer(session),
      probe.slice(0, at), probe.slice(at + String(SEQ_PLACEHOLDER).length), message.kind, message.from, message.to ?? '',
      String(this.options.bufferMessages), String(this.options.sessionTtlMs), this.keys.channel(session),
      // Approximate trimming (whole stream nodes of ~100 entries) is cheaper but never trims a small buffer.
      this.options.bufferMessages >= 1_000 ? '~' : '=',
    );
    return Number(result);
  }

  async replay(session: string, lastSeq: number): Promise<Replay> {
    await this.channels.get(session)?.ready;
    const key = this.keys.buffer(session);
    const results = await this.redis.multi()
      .xrange(key, '-', '+', 'COUNT', 1)
      .xrange(key, `(${lastSeq}-0`, '+')
      .get(this.keys.seq(session))
      .exec();
    const oldest = (results?.[0]?.[1] ?? []) as Array<[string, string[]]>;
    const newer = (results?.[1]?.[1] ?? []) as Array<[string, string[]]>;
    const seq = Number(results?.[2]?.[1] ?? 0);
    const first = oldest[0] ? Number(oldest[0][0].split('-')[0]) : undefined;
    // Sequence numbers are contiguous, so anything missing between lastSeq and the oldest entry was trimmed.
    const gap = first !== undefined ? first > lastSeq + 1 : seq > lastSeq;
    return { gap, messages: newer.map(([id, fields]) => bufferedMessage(id, fields)) };
  }

  /**
   * Not awaited: a connection's messages are handled one after another, and presence (volatile,
   * latest wins) need not cost its sender a Redis round trip. Commands on one connection run in
   * order, so the publish that follows still reaches Redis after this write.
   */
  setPresence(session: string, participant: string, frame: string): void {
    const key = this.keys.presence(session);
    this.redis.multi().hset(key, participant, frame).pexpire(key, this.options.sessionTtlMs).exec()
      .catch((err: unknown) => this.options.logger.warn({ err, session }, 'keeping a presence snapshot failed'));
  }

  async clearPresence(session: string, participant: string): Promise<void> {
    await this.redis.hdel(this.keys.presence(session), participant);
  }

  async presence(session: string): Promise<ReadonlyMap<string, string>> {
    await this.channels.get(session)?.ready;
    return new Map(Object.entries(await this.redis.hgetall(this.keys.presence(session))));
  }

  publish(session: string, delivery: Delivery): Promise<void> | void {
    const sent = this.redis.publish(this.keys.channel(session), JSON.stringify(delivery));
    if (delivery.type === 'message' && delivery.label === 'relayed:presence') {
      // Presence is volatile and its sender's messages are handled one after another: it does not
      // wait for Redis's answer. Commands on one connection run in order, so nothing overtakes it.
      sent.catch((err: unknown) => this.options.logger.warn({ err, session }, 'publishing presence failed'));
      return;
    }
    return sent.then(() => undefined);
  }

  subscribe(session: string, listener: DeliveryListener): () => void {
    let channel = this.channels.get(session);
    if (!channel) {
      const name = this.keys.channel(session);
      const ready = this.subscriber.subscribe(name).then(
        () => undefined,
        (err: unknown) => this.options.logger.error({ err, session }, 'subscribing to a session failed'),
      );
      channel = { listeners: new Set(), ready };
      this.channels.set(session, channel);
    }
    const current = channel;
    current.listeners.add(listener);
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size > 0 || this.channels.get(session) !== current) return;
      this.channels.delete(session);
      this.subscriber.unsubscribe(this.keys.channel(session))
        .catch((err: unknown) => this.options.logger.warn({ err, session }, 'unsubscribing from a session failed'));
    };
  }

  /** Delivers to this process's own listeners only (Redis lost the sessions: nothing to publish to). */
  deliverLocally(session: string, delivery: Delivery): void {
    for (const listener of [...(this.channels.get(session)?.listeners ?? [])]) listener(delivery);
  }

  /** Compare-and-set of one participant field; false when someone changed it since `expected` was read. */
  async swapParticipant(session: string, id: string, expected: string, next: StoredParticipant | undefined): Promise<boolean> {
    const result = await this.redis.eval(SWAP_FIELD_SCRIPT, 1, this.keys.session(session), `p:${id}`, expected, next ? JSON.stringify(next) : '');
    return Number(result) === 1;
  }

  /** The session's `meta` field as stored (raw JSON), undefined when the session is gone. */
  async storedMeta(session: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.session(session), 'meta')) ?? undefined;
  }

  /** Compare-and-set of the `meta` field; false when someone changed it since `expected` was read. */
  async swapMeta(session: string, expected: string, next: Meta): Promise<boolean> {
    const result = await this.redis.eval(SWAP_FIELD_SCRIPT, 1, this.keys.session(session), 'meta', expected, JSON.stringify(next));
    return Number(result) === 1;
  }

  /** Participant fields as stored (raw JSON), for the takeover of a dead relay's participants. */
  async storedParticipants(session: string): Promise<Map<string, string>> {
    const fields = await this.redis.hgetall(this.keys.session(session));
    const participants = new Map<string, string>();
    if (fields.meta === undefined) return participants;
    for (const [field, value] of Object.entries(fields)) if (field.startsWith('p:')) participants.set(field.slice(2), value);
    return participants;
  }

  /** Keeps the sessions this process serves from expiring. */
  async refresh(sessions: readonly string[]): Promise<void> {
    if (sessions.length === 0) return;
    const transaction = this.redis.multi();
    for (const session of sessions) {
      for (const key of [this.keys.session(session), this.keys.seq(session), this.keys.buffer(session), this.keys.presence(session)]) {
        transaction.pexpire(key, this.options.sessionTtlMs);
      }
    }
    await transaction.exec();
  }

  private takeReservation(tokenHash: string): string | undefined {
    const mine = this.reservations.get(tokenHash);
    // The newest first: an older one may belong to a create that failed and has expired anyway.
    const reservation = mine?.pop();
    if (mine?.length === 0) this.reservations.delete(tokenHash);
    return reservation;
  }

  private async countLive(setKey: string): Promise<number> {
    const ids = await this.redis.smembers(setKey);
    if (ids.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.exists(this.keys.session(id));
    const results = (await pipeline.exec()) ?? [];
    const stale = ids.filter((_, index) => Number(results[index]?.[1] ?? 0) === 0);
    if (stale.length > 0) await this.redis.srem(setKey, ...stale);
    return ids.length - stale.length;
  }

  private received(channelName: string, text: string): void {
    const session = this.keys.sessionFromChannel(channelName);
    const channel = session !== undefined ? this.channels.get(session) : undefined;
    if (!channel) return;
    let delivery: Delivery;
    try {
      delivery = JSON.parse(text) as Delivery;
    } catch (err) {
      this.options.logger.warn({ err, session }, 'unreadable fan-out message');
      return;
    }
    for (const listener of [...channel.listeners]) listener(delivery);
  }
}

/** The record without its participants and sequence number (those live in their own fields and key). */
function metaOf(record: SessionRecord): Meta {
  // A copy minus two fields rather than a list of fields, so fields added to the record later are kept.
  const meta: Partial<SessionRecord> = { ...record };
  delete meta.participants;
  delete meta.seq;
  return meta as Meta;
}

function bufferedMessage(id: string, fields: string[]): BufferedMessage {
  const values = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2) values.set(fields[index] ?? '', fields[index + 1] ?? '');
  const to = values.get('to');
  const base = { seq: Number(id.split('-')[0]), kind: (values.get('kind') ?? 'update') as RelayedKind, from: values.get('from') ?? '', frame: values.get('frame') ?? '' };
  return to !== undefined ? { ...base, to } : base;
}
