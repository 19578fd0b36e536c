/**
 * One participant's connection to a session: the connection state machine, heartbeat, reconnect
 * with backoff, resume, presence and roster. Platform-free; the transport, clock, random source and
 * logger come in through the constructor. Liveness lives in heartbeat.ts, retry timing in
 * reconnect.ts, resume bookkeeping in resume.ts, opening relayed bodies in inbound.ts; this file
 * wires them to the wire protocol.
 */
import {
  CloseCode, encodeMessage, encodePayload, encryptedCodec,
  parseRelayMessage, plainCodec, PresencePayloadSchema, PROTOCOL_VERSION, relayWebSocketUrl,
  safetyCode, SUBPROTOCOL,
  type BodyCodec, type ClientMessage, type GuestRole, type Participant, type PresencePayload,
  type RelayedKind, type RelayMessage, type RelayMessageOf, type Role,
} from '../protocol';
import type {
  ConnectionState, InviteLink, JoinInfo, ResumeState, RoundTrip, SessionClientApi, StateChange,
} from './api';
import { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from './heartbeat';
import { openRelayed } from './inbound';
import { membershipFor, type SessionMode } from './membership';
import type { Clock, Connection, Logger, Random, TimerHandle, Transport } from './ports';
import { afterClose, DEFAULT_RECONNECT, ReconnectScheduler, WAITING_FOR_HOST_CAP_MS, WAITING_FOR_HOST_FAST_FOR_MS, type ReconnectOptions } from './reconnect';
import { HostInvites, inviteRefusal, type InviteChange } from './rejoin';
import { withReplayGuard } from './replay-guard';
import { ResumeBook } from './resume';
import { deferred, SessionEvents } from './session-events';
import { ABNORMAL_CLOSURE, TransportError } from './transport-error';

export type { SessionMode, HostMode, GuestMode } from './membership';

export interface SessionClientTimings extends HeartbeatOptions, ReconnectOptions {
  /**
   * Give up on a connection attempt the relay has not answered in full by then: the socket did not
   * open, or the relay never answered hello and the join (no `joined`, no `waiting`). Default 15 s.
   */
  readonly connectTimeoutMs: number;
  /** How long leave()/end() wait for the relay to close before closing themselves. Default 3 s. */
  readonly leaveTimeoutMs: number;
}

export const DEFAULT_TIMINGS: SessionClientTimings = {
  ...DEFAULT_HEARTBEAT, ...DEFAULT_RECONNECT, connectTimeoutMs: 15_000, leaveTimeoutMs: 3_000,
};

export interface SessionClientOptions {
  /** The relay's http(s) base URL. */
  readonly relay: string;
  readonly name: string;
  readonly mode: SessionMode;
  /** Relay access token (hosts on a `token` relay). */
  readonly token?: string;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** A saved {@link ResumeState}: come back to that session instead of starting a new one. */
  readonly resumeState?: ResumeState;
  readonly options?: Partial<SessionClientTimings>;
  /** Identifies this client in the relay's logs, e.g. `pairline-cli/0.1.0`. */
  readonly clientName?: string;
}

interface Link {
  readonly connection: Connection;
  readonly heartbeat: Heartbeat;
}

/** A `rotate-invite` awaiting the relay's `invites-updated`. */
interface InviteRequest {
  readonly change: InviteChange;
  readonly timer: TimerHandle;
  resolve(): void;
  reject(err: Error): void;
}

export class SessionClient implements SessionClientApi {
  private readonly events = new SessionEvents();
  readonly onDidChangeState = this.events.state.event;
  readonly onDidJoin = this.events.join.event;
  readonly onDidChangeRoster = this.events.roster.event;
  readonly onDidReceivePresence = this.events.presence.event;
  readonly onDidMeasureRoundTrip = this.events.roundTrip.event;
  readonly onDidKnock = this.events.knock.event;
  readonly onDidWithdrawKnock = this.events.withdraw.event;
  readonly onDidReceive = this.events.receive.event;
  readonly onDidError = this.events.error.event;
  readonly onDidChangeFollowing = this.events.following.event;
  readonly onDidChangeResumeState = this.events.resumeState.event;

  private readonly timings: SessionClientTimings;
  private readonly book: ResumeBook;
  private readonly codec: BodyCodec;
  private readonly reconnect: ReconnectScheduler;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly rosterById = new Map<string, Participant>();
  private readonly roundTripSamples: number[] = [];
  /** Bumped whenever a connection is given up, so late callbacks from it are ignored. */
  private generation = 0;
  private link: Link | undefined;
  /** Runs from the start of a connection attempt until the relay admits us or puts us in the waiting room. */
  private attemptTimer: TimerHandle | undefined;
  private stateValue: ConnectionState = 'idle';
  /** Clock time this wait for the host began (see WAITING_FOR_HOST_CAP_MS). */
  private waitingForHostSince: number | undefined;
  private meValue: Participant | undefined;
  private roundTripValue: RoundTrip | undefined;
  private presence: PresencePayload | undefined;
  private followingValue: string | undefined;
  private closing: { reason: string; timer?: TimerHandle } | undefined;
  private readonly firstJoin = deferred<JoinInfo>();
  private readonly closed = deferred<void>();
  private disposed = false;
  /** Host only: the invite links the relay accepts (changed by rotateInvite/createInvite). */
  private readonly invites: HostInvites | undefined;
  private inviteRequest: InviteRequest | undefined;
  /** Invite changes run one at a time, each on the links the previous one left. */
  private inviteQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SessionClientOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.options };
    this.clock = options.clock;
    this.logger = options.logger;
    const membership = membershipFor(options.relay, options.name, options.mode, options.resumeState);
    this.book = new ResumeBook(membership, options.resumeState);
    if (membership.side === 'host') this.invites = new HostInvites(membership.inviteSecret, options.resumeState?.invites);
    // Encrypted sessions also refuse bodies replayed by the relay or anyone in between.
    this.codec = membership.key ? withReplayGuard(encryptedCodec(membership.session, membership.key)) : plainCodec();
    this.reconnect = new ReconnectScheduler(options.clock, options.random, this.timings);
  }

  get state(): ConnectionState { return this.stateValue; }
  get session(): string { return this.book.membership.session; }
  get me(): Participant | undefined { return this.meValue; }
  get role(): Role | undefined { return this.meValue?.role; }
  get roster(): readonly Participant[] { return [...this.rosterById.values()]; }
  get roundTrip(): RoundTrip | undefined { return this.roundTripValue; }
  get following(): string | undefined { return this.followingValue; }
  get resumeState(): ResumeState | undefined { return this.stateValue === 'ended' ? undefined : this.snapshot(); }

  get inviteLink(): string | undefined {
    return this.invites?.link(this.book.membership, { secret: this.invites.primary }).link;
  }

  get safetyCode(): string | undefined {
    const { session, key } = this.book.membership;
    return key ? safetyCode(session, key) : undefined;
  }

  start(): Promise<JoinInfo> {
    if (this.stateValue === 'idle') {
      this.transition('connecting', this.book.hasResumeToken ? 'Reconnecting to the session…' : 'Connecting to the relay…');
      this.connect();
    }
    return this.firstJoin.promise;
  }

  setPresence(presence: Omit<PresencePayload, 'type'>): void {
    const parsed = PresencePayloadSchema.safeParse({ ...presence, type: 'presence' });
    if (!parsed.success) {
      this.report('bad-presence', `Presence not sent: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
      return;
    }
    this.presence = parsed.data;
    this.sendPresence();
  }

  send(kind: Exclude<RelayedKind, 'presence'>, payload: Uint8Array, to?: string): boolean {
    if (this.stateValue !== 'connected' || !this.link || !this.meValue) return false;
    this.write({ type: 'send', kind, body: this.codec.seal(kind, this.meValue.id, payload), ...(to ? { to } : {}) });
    return true;
  }

  approve(participant: string, role: GuestRole): void { this.control({ type: 'approve', participant, role }); }
  deny(participant: string): void { this.control({ type: 'deny', participant }); }
  setRole(participant: string, role: GuestRole): void { this.control({ type: 'set-role', participant, role }); }
  remove(participant: string): void { this.control({ type: 'remove', participant }); }

  rotateInvite(): Promise<InviteLink> {
    return this.changeInvites((invites) => invites.rotation());
  }

  createInvite(options: { readonly role?: GuestRole; readonly expiresAt?: number }): Promise<InviteLink> {
    return this.changeInvites((invites, now) => invites.addition(options, now));
  }

  follow(participant: string | undefined): void {
    if (participant === this.followingValue) return;
    if (participant !== undefined && !this.rosterById.has(participant)) {
      this.report('unknown-participant', `Cannot follow ${participant}: nobody with that id is in the session.`);
      return;
    }
    const reason = participant ? `Following ${this.nameOf(participant)}.` : 'Stopped following.';
    this.setFollowing(participant, reason);
  }

  reconnectNow(reason: string): void {
    if (this.reconnect.waiting) {
      this.logger.info('retrying now', { reason });
      this.transition(this.stateValue, `Retrying now (${reason}).`, { attempt: this.reconnect.attempt });
      this.reconnect.retryNow();
    } else {
      // Connected or mid-attempt: a ping proves the current link quickly (or lets it die).
      this.link?.heartbeat.probe();
    }
  }

  leave(): Promise<void> { return this.shutDown({ type: 'leave' }, 'You left the session.'); }

  end(): Promise<void> {
    if (this.book.membership.side !== 'host') return Promise.reject(new Error('Only the host can end the session.'));
    return this.shutDown({ type: 'end' }, 'You ended the session.');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Not a leave: the relay keeps our place so a restarted process can resume from resumeState.
    this.dropLink(CloseCode.GoingAway, 'client shut down');
    this.reconnect.dispose();
    this.events.dispose();
    // Nobody waits forever on a disposed client (both are no-ops once settled).
    this.firstJoin.reject(new Error('The session client was shut down.'));
    this.settleInviteRequest(new Error('The session client was shut down before the relay confirmed the invite change.'));
    this.closed.resolve(undefined);
  }

  // --- connections --------------------------------------------------------------------------

  private connect(): void {
    const generation = ++this.generation;
    const url = relayWebSocketUrl(this.book.membership.relay);
    // An open socket is not enough: a join the relay never answers (a relay hung mid-restart, a
    // proxy in between that swallowed it) would otherwise leave us "reconnecting" on a link whose
    // pings are answered.
    this.clearAttemptTimer();
    this.attemptTimer = this.clock.setTimeout(() => {
      this.attemptTimer = undefined;
      const reason = this.link ? 'the relay did not answer the join in time' : 'the relay did not answer in time';
      this.linkDown(generation, ABNORMAL_CLOSURE, reason);
    }, this.timings.connectTimeoutMs);
    const token = this.options.token;
    this.options.transport.connect(url, { protocols: [SUBPROTOCOL], ...(token ? { token } : {}) }).then((connection) => {
      if (generation !== this.generation || this.disposed) {
        connection.close(CloseCode.GoingAway, 'connection attempt superseded');
        return;
      }
      this.attach(connection, generation);
    }, (err: unknown) => {
      const code = err instanceof TransportError ? err.closeCode : ABNORMAL_CLOSURE;
      this.linkDown(generation, code, err instanceof Error ? err.message : String(err));
    });
  }

  private attach(connection: Connection, generation: number): void {
    const heartbeat = new Heartbeat(this.clock, this.timings, {
      sendPing: (id) => this.write({ type: 'ping', id }),
      onDead: (silentMs) => {
        const reason = `no data from the relay for ${Math.round(silentMs / 1000)} s`;
        connection.close(CloseCode.Timeout, reason);
        this.linkDown(generation, ABNORMAL_CLOSURE, reason);
      },
      onRoundTrip: (roundTrip) => {
        this.roundTripValue = roundTrip;
        this.events.roundTrip.fire(roundTrip);
      },
    }, this.roundTripSamples);
    this.link = { connection, heartbeat };
    connection.onMessage((frame) => {
      if (generation === this.generation) this.handleFrame(frame);
    });
    connection.onClose((code, reason) => this.linkDown(generation, code, reason));
    this.write({ type: 'hello', protocol: PROTOCOL_VERSION, client: this.options.clientName ?? 'pairline-client/0.1.0' });
  }

  private dropLink(code: number, reason: string): void {
    this.generation++;
    this.clearAttemptTimer();
    const link = this.link;
    this.link = undefined;
    link?.heartbeat.stop();
    link?.connection.close(code, reason);
  }

  /** A connection closed, failed to open, or was declared dead. Decide what comes next. */
  private linkDown(generation: number, code: number, reason: string): void {
    if (generation !== this.generation || this.stateValue === 'ended' || this.disposed) return;
    this.dropLink(CloseCode.GoingAway, 'client gave up this connection');
    this.reconnect.noteDisconnected();
    this.logger.info('connection closed', { code, reason });
    if (this.closing) return this.finish(this.closing.reason, code);
    const next = afterClose(code, reason, this.book.membership.side, this.stateValue === 'waiting-for-approval');
    if (next.action === 'stop') return this.finish((this.book.membership.side === 'guest' ? inviteRefusal(code, reason) : undefined) ?? next.reason, code);
    if (next.forgetToken) this.book.dropToken();
    this.retry(next.state, next.reason, code, next.immediate);
  }

  private retry(state: ConnectionState, reason: string, closeCode: number, immediate = false): void {
    let capMs: number | undefined;
    if (state === 'waiting-for-host') {
      if (this.stateValue !== 'waiting-for-host' || this.waitingForHostSince === undefined) this.waitingForHostSince = this.clock.now();
      if (this.clock.now() - this.waitingForHostSince < WAITING_FOR_HOST_FAST_FOR_MS) capMs = WAITING_FOR_HOST_CAP_MS;
    }
    const next = this.reconnect.schedule(() => this.connect(), immediate, capMs);
    this.transition(state, reason, { attempt: next.attempt, retryAt: next.retryAt, retryInMs: next.retryInMs, closeCode });
  }

  private finish(reason: string, closeCode?: number): void {
    this.dropLink(CloseCode.Normal, 'done');
    this.reconnect.dispose();
    if (this.closing?.timer) this.clock.clearTimeout(this.closing.timer);
    this.transition('ended', reason, closeCode === undefined ? {} : { closeCode });
    this.settleInviteRequest(new Error(`The invite links did not change: ${reason}`));
    this.events.resumeState.fire(undefined);
    this.firstJoin.reject(new Error(reason));
    this.closed.resolve(undefined);
  }

  private shutDown(message: ClientMessage, reason: string): Promise<void> {
    if (this.stateValue === 'ended' || this.closing) return this.closed.promise;
    this.closing = { reason };
    if (this.link && (this.stateValue === 'connected' || this.stateValue === 'waiting-for-approval')) {
      this.write(message);
      const generation = this.generation;
      this.closing.timer = this.clock.setTimeout(() => this.linkDown(generation, CloseCode.Normal, 'relay did not close'), this.timings.leaveTimeoutMs);
    } else {
      this.finish(reason);
    }
    return this.closed.promise;
  }

  // --- inbound ------------------------------------------------------------------------------

  private handleFrame(frame: string): void {
    this.link?.heartbeat.noteInbound();
    const parsed = parseRelayMessage(frame);
    if (!parsed.ok) {
      this.logger.warn('ignored a frame from the relay', { error: parsed.error });
      return;
    }
    this.handleMessage(parsed.message);
  }

  private handleMessage(message: RelayMessage): void {
    switch (message.type) {
      case 'welcome':
        this.link?.heartbeat.startPinging();
        return this.write(this.withInvites(this.book.openingMessage()));
      case 'joined':
        return this.onJoined(message);
      case 'waiting':
        // The relay answered; how long the host takes is the relay's knock deadline (4408), not ours.
        this.clearAttemptTimer();
        return this.transition('waiting-for-approval', 'Waiting for the host to let you in…');
      case 'knock':
        return this.events.knock.fire({ participant: message.participant });
      case 'knock-withdrawn':
        return this.events.withdraw.fire({ participant: message.participant, reason: message.reason });
      case 'roster':
        return this.onRoster(message);
      case 'relayed':
        return this.onRelayed(message);
      case 'pong':
        return this.link?.heartbeat.notePong(message.id);
      case 'error':
        if (message.code === 'resume-failed') {
          this.logger.info('resume refused; joining afresh', { message: message.message });
          return this.write(this.withInvites(this.book.fallback()));
        }
        if (message.ref === 'rotate-invite') this.settleInviteRequest(new Error(message.message));
        return this.report(message.code, message.message);
      case 'invites-updated':
        return this.settleInviteRequest();
    }
  }

  private onJoined(joined: RelayMessageOf<'joined'>): void {
    const rejoin = this.book.participantId !== undefined;
    const { needsResync } = this.book.noteJoined(joined);
    this.clearAttemptTimer();
    this.meValue = joined.you;
    this.rosterById.clear();
    for (const participant of [...joined.roster, joined.you]) this.rosterById.set(participant.id, participant);
    this.book.rememberRoster(this.roster);
    this.reconnect.cancel();
    this.reconnect.noteConnected();
    if (this.followingValue && joined.resumed && !this.rosterById.has(this.followingValue)) {
      this.setFollowing(undefined, 'The participant you followed left while you were away.');
    }
    const reason = joined.resumed ? 'Reconnected; your place in the session was kept.' : rejoin ? 'Rejoined the session.' : 'Joined the session.';
    this.transition('connected', reason);
    const info: JoinInfo = {
      session: joined.session, you: joined.you, roster: this.roster, settings: joined.settings,
      resumed: joined.resumed, needsResync,
    };
    // Saved before anyone hears of the join, so a crash right after it still finds the new token.
    this.events.resumeState.fire(this.snapshot());
    this.events.join.fire(info);
    this.sendPresence();
    // A change whose confirmation the dropped link lost: the same message again is harmless.
    if (this.inviteRequest) this.write(this.inviteRequest.change.message);
    this.firstJoin.resolve(info);
  }

  private onRoster(message: RelayMessageOf<'roster'>): void {
    const { participant, change } = message;
    if (change === 'left') {
      this.rosterById.delete(participant.id);
      if (this.followingValue === participant.id) this.setFollowing(undefined, `${participant.name} left the session.`);
    } else {
      this.rosterById.set(participant.id, participant);
      if (participant.id === this.meValue?.id) this.meValue = participant;
    }
    this.book.rememberRoster(this.roster);
    this.events.roster.fire({ change, participant, ...(message.reason ? { reason: message.reason } : {}) });
    if (this.book.membership.side === 'host') this.events.resumeState.fire(this.snapshot());
  }

  private onRelayed(message: RelayMessageOf<'relayed'>): void {
    if (!this.book.acceptSeq(message.seq)) {
      this.logger.debug('dropped a relayed message already delivered', { seq: message.seq });
      return;
    }
    const opened = openRelayed(this.codec, message, this.rosterById.get(message.from));
    switch (opened.type) {
      case 'presence':
        return this.events.presence.fire(opened.value);
      case 'message':
        return this.events.receive.fire(opened.value);
      case 'dropped':
        if (opened.code) return this.report(opened.code, opened.reason);
        return this.logger.debug(opened.reason, { from: message.from });
    }
  }

  // --- host invites -------------------------------------------------------------------------

  private changeInvites(plan: (invites: HostInvites, now: number) => InviteChange): Promise<InviteLink> {
    const run = async (): Promise<InviteLink> => {
      const invites = this.invites;
      if (!invites) throw new Error('Only the host can make invite links.');
      if (this.stateValue !== 'connected') throw new Error('Cannot change the invite links while not connected to the relay. Try again once reconnected.');
      const change = plan(invites, this.clock.now());
      await new Promise<void>((resolve, reject) => {
        const timer = this.clock.setTimeout(
          () => this.settleInviteRequest(new Error('The relay did not confirm the invite change in time. Try again: until it does, the old links may still work.')),
          this.timings.connectTimeoutMs);
        this.inviteRequest = { change, timer, resolve, reject };
        this.write(change.message);
      });
      invites.apply(change);
      this.logger.info('invite links changed', { extraLinks: invites.extras.length });
      this.events.resumeState.fire(this.snapshot());
      return invites.link(this.book.membership, change.created);
    };
    const result = this.inviteQueue.then(run, run);
    this.inviteQueue = result.catch(() => undefined);
    return result;
  }

  /** Ends the pending invite change: confirmed (no error) or failed. */
  private settleInviteRequest(error?: Error): void {
    const request = this.inviteRequest;
    if (!request) return;
    this.inviteRequest = undefined;
    this.clock.clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve();
  }

  /** A host's `create` registers the invite links as they are now, not as the session began. */
  private withInvites(message: ClientMessage): ClientMessage {
    return this.invites ? this.invites.intoCreate(message, this.clock.now()) : message;
  }

  private snapshot(): ResumeState {
    const state = this.book.snapshot();
    return this.invites ? this.invites.intoResumeState(state) : state;
  }

  // --- helpers ------------------------------------------------------------------------------

  private clearAttemptTimer(): void {
    if (this.attemptTimer) this.clock.clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
  }

  private sendPresence(): void {
    if (!this.presence || this.stateValue !== 'connected' || !this.meValue) return;
    this.write({ type: 'send', kind: 'presence', body: this.codec.seal('presence', this.meValue.id, encodePayload(this.presence)) });
  }

  private control(message: ClientMessage): void {
    if (this.stateValue !== 'connected') {
      this.report('not-connected', `Cannot ${message.type} right now: not connected to the relay. Try again once reconnected.`);
      return;
    }
    this.write(message);
  }

  private write(message: ClientMessage): void {
    this.link?.connection.send(encodeMessage(message));
  }

  private setFollowing(participant: string | undefined, reason: string): void {
    this.followingValue = participant;
    this.events.following.fire({ participant, reason });
  }

  private nameOf(id: string): string {
    return this.rosterById.get(id)?.name ?? id;
  }

  private report(code: string, message: string): void {
    this.logger.warn(message, { code });
    this.events.error.fire({ code, message });
  }

  private transition(state: ConnectionState, reason: string, extra: Partial<StateChange> = {}): void {
    const previous = this.stateValue;
    this.stateValue = state;
    this.logger.info(`state ${previous} → ${state}`, { reason, attempt: extra.attempt ?? 0, closeCode: extra.closeCode });
    this.events.state.fire({ state, previous, reason, attempt: 0, ...extra });
  }
}
