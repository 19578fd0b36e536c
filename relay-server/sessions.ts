/**
 * Session routing: create, join (with approval), resume, roles, removal, leave/end and relayed
 * messages. State lives in the {@link SessionStore}; sockets in {@link LocalMembers}. Every
 * handler receives a message that was parsed and validated once, at the edge (connection.ts).
 */
import {
  CloseCode, WRITE_KINDS, VOLATILE_KINDS, deriveSessionId, encodeMessage, hashSecret, newSecret, secretsEqual,
  type ClientMessageOf, type GuestRole,
} from '../protocol';
import { Approvals } from './approvals';
import type { RelayConfig } from './config';
import { Deadlines } from './deadlines';
import type { RelayLogger } from './logger';
import { LocalMembers, Member, type Peer } from './members';
import { checkInvite, registeredInvites, rejoinAllowed, rememberRemoved, wasRemovedId, wasRemovedToken } from './invites';
import { addGuest, hostViewOf, lowestFreeColor, markOnline, newParticipantId, publicParticipant, sendError } from './participants';
import type { ParticipantRecord, SessionRecord, SessionStore } from './store';

export interface SessionsOptions {
  readonly store: SessionStore;
  readonly config: RelayConfig;
  readonly logger: RelayLogger;
  readonly now?: () => number;
}

export class Sessions {
  readonly members: LocalMembers;
  private readonly store: SessionStore;
  private readonly config: RelayConfig;
  private readonly logger: RelayLogger;
  private readonly now: () => number;
  /** Resume windows and approval waits. */
  private readonly deadlines: Deadlines;
  private readonly approvals: Approvals;
  /** Sessions ended recently, so late joins and resumes hear 4410 rather than 4404 (bounded). */
  private readonly ended = new Map<string, number>();

  constructor(options: SessionsOptions) {
    this.store = options.store;
    this.config = options.config;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.deadlines = new Deadlines(this.logger);
    this.members = new LocalMembers(this.store, {
      onAdmit: (member) => {
        this.admitted(member).catch((err: unknown) => this.logger.error({ err, session: member.session }, 'admitting a guest failed'));
      },
    });
    this.approvals = new Approvals({ store: this.store, config: this.config, logger: this.logger, members: this.members, deadlines: this.deadlines, now: this.now });
  }

  dispose(): void {
    this.deadlines.dispose();
  }

  // -------------------------------------------------------------------------------------------
  // Entering a session

  async create(peer: Peer, message: ClientMessageOf<'create'>): Promise<void> {
    if (this.rejectIfMember(peer, message.type)) return;
    if (this.config.auth === 'token' && peer.tokenHash === undefined) {
      peer.close(CloseCode.Unauthorized, 'this relay requires an access token to start a session');
      return;
    }
    if (deriveSessionId(message.hostSecret) !== message.session) {
      peer.close(CloseCode.Forbidden, 'the host secret does not match this session id');
      return;
    }
    let record = await this.store.get(message.session);
    const now = this.now();
    if (!record) {
      if (peer.tokenHash !== undefined && (await this.store.countByToken(peer.tokenHash)) >= this.config.maxSessionsPerToken) {
        peer.close(CloseCode.Forbidden, `this access token already holds ${this.config.maxSessionsPerToken} sessions; end one first`);
        return;
      }
      const hostId = message.participant ?? newParticipantId();
      this.ended.delete(message.session);
      record = {
        id: message.session, inviteHash: message.inviteHash, settings: message.settings, hostId,
        participants: {}, knocks: [], seq: 0, invites: registeredInvites(message.inviteHash, message.invites),
        ...(peer.tokenHash !== undefined ? { hostTokenHash: peer.tokenHash } : {}),
      };
      this.addPlaceholders(record, message.roster ?? [], now);
      record.participants[hostId] = { id: hostId, name: message.name, color: lowestFreeColor(record), role: 'host', state: 'online' };
      this.logger.info({ session: record.id, participant: hostId, restored: (message.roster ?? []).length }, 'session created');
    } else {
      // The real host (it holds the secret) reconnecting or re-registering: keep the session's state.
      record.inviteHash = message.inviteHash;
      record.invites = registeredInvites(message.inviteHash, message.invites);
      record.settings = message.settings;
      this.addPlaceholders(record, message.roster ?? [], now);
      const host = record.participants[record.hostId];
      if (host) {
        if (host.state === 'online') await this.store.publish(record.id, { type: 'close', participant: host.id, code: CloseCode.Replaced, reason: 'the host connected again from elsewhere' });
        host.name = message.name;
      } else {
        record.participants[record.hostId] = { id: record.hostId, name: message.name, color: lowestFreeColor(record), role: 'host', state: 'online' };
      }
      this.logger.info({ session: record.id, participant: record.hostId }, 'session re-registered by its host');
    }
    const hostRecord = record.participants[record.hostId];
    if (hostRecord) markOnline(hostRecord);
    await this.store.save(record);
    await this.enter(peer, record.id, record.hostId, { resumed: false, gap: false });
    await this.announce(record.id, record.hostId, 'updated');
    await this.approvals.resend(record.id);
  }

  async join(peer: Peer, message: ClientMessageOf<'join'>): Promise<void> {
    if (this.rejectIfMember(peer, message.type)) return;
    const record = await this.existingSession(peer, message.session);
    if (!record) return;
    const invite = checkInvite(record, message.inviteSecret, this.now());
    // A guest already admitted keeps its place through a relay restart even when the link it
    // joined with was rotated or has expired since: its rejoin proof, not the link, is what
    // identifies it then. Without a proof, the link must still be valid.
    if (!invite.ok && !this.provesPlace(record, message)) {
      peer.close(CloseCode.Unauthorized, invite.reason);
      return;
    }
    if (message.participant !== undefined && wasRemovedId(record, message.participant)) {
      peer.close(CloseCode.Forbidden, 'the host removed you from this session');
      return;
    }
    const previous = message.participant !== undefined ? record.participants[message.participant] : undefined;
    if (previous && previous.state === 'reconnecting' && previous.role !== 'host') {
      if (!rejoinAllowed(previous, message.rejoinSecret)) {
        this.logger.info({ session: record.id, participant: previous.id }, 'rejoin refused: no matching rejoin secret');
        peer.close(CloseCode.Forbidden, 'cannot take that participant\'s place: the rejoin secret is missing or wrong');
        return;
      }
      // A guest coming back after a relay restart (or within its window without a resume token).
      previous.name = message.name;
      markOnline(previous);
      await this.store.save(record);
      this.logger.info({ session: record.id, participant: previous.id }, 'guest rejoined its place');
      await this.enter(peer, record.id, previous.id, { resumed: false, gap: true });
      await this.announce(record.id, previous.id, 'updated');
      return;
    }
    if (!invite.ok) {
      // Only reachable with a proof for a place that is no longer waiting (online again, or the host's).
      peer.close(CloseCode.Unauthorized, invite.reason);
      return;
    }
    if (Object.keys(record.participants).length + record.knocks.length >= this.config.maxParticipants) {
      peer.close(CloseCode.SessionFull, `the session already has ${this.config.maxParticipants} participants`);
      return;
    }
    const id = newParticipantId();
    if (record.settings.approval === 'auto') {
      addGuest(record, id, message.name, invite.role, message.rejoinHash);
      await this.store.save(record);
      this.logger.info({ session: record.id, participant: id }, 'guest joined');
      await this.enter(peer, record.id, id, { resumed: false, gap: false });
      await this.announce(record.id, id, 'joined');
      return;
    }
    await this.approvals.knock(peer, record, id, message.name, message.rejoinHash);
  }

  /** Whether `message` carries a rejoin secret matching the waiting guest place it names. */
  private provesPlace(record: SessionRecord, message: ClientMessageOf<'join'>): boolean {
    if (message.participant === undefined || message.rejoinSecret === undefined) return false;
    const previous = record.participants[message.participant];
    return previous !== undefined && previous.state === 'reconnecting' && previous.role !== 'host'
      && previous.rejoinHash !== undefined && rejoinAllowed(previous, message.rejoinSecret);
  }

  async resume(peer: Peer, message: ClientMessageOf<'resume'>): Promise<void> {
    if (this.rejectIfMember(peer, message.type)) return;
    const record = await this.existingSession(peer, message.session);
    if (!record) return;
    const tokenHash = hashSecret(message.resumeToken);
    if (wasRemovedToken(record, tokenHash)) {
      peer.close(CloseCode.Forbidden, 'the host removed you from this session');
      return;
    }
    const participant = Object.values(record.participants)
      .find((candidate) => candidate.resumeTokenHash !== undefined && secretsEqual(candidate.resumeTokenHash, tokenHash));
    if (!participant) {
      this.logger.info({ session: record.id, connection: peer.connectionId }, 'resume refused');
      sendError(peer, 'resume-failed', 'The resume token is not valid here (already used, expired, or for another session). Join the session again.', message.type);
      return;
    }
    if (participant.state === 'online') {
      await this.store.publish(record.id, { type: 'close', participant: participant.id, code: CloseCode.Replaced, reason: 'resumed from another connection' });
    }
    markOnline(participant);
    await this.store.save(record);
    this.deadlines.clear(record.id, participant.id);
    const replay = await this.store.replay(record.id, message.lastSeq);
    const gap = replay.gap || message.lastSeq > record.seq;
    this.logger.info({ session: record.id, participant: participant.id, lastSeq: message.lastSeq, gap }, 'participant resumed');
    await this.enter(peer, record.id, participant.id, { resumed: true, gap, lastSeq: message.lastSeq });
    await this.announce(record.id, participant.id, 'updated');
    if (participant.id === record.hostId) await this.approvals.resend(record.id);
  }

  // -------------------------------------------------------------------------------------------
  // Host commands

  async approve(peer: Peer, message: ClientMessageOf<'approve'>): Promise<void> {
    const record = await this.hostRecord(peer, message.type);
    if (record) await this.approvals.approve(peer, record, message);
  }

  async deny(peer: Peer, message: ClientMessageOf<'deny'>): Promise<void> {
    const record = await this.hostRecord(peer, message.type);
    if (record) await this.approvals.deny(peer, record, message);
  }

  async setRole(peer: Peer, message: ClientMessageOf<'set-role'>): Promise<void> {
    const record = await this.hostRecord(peer, message.type);
    if (!record) return;
    const participant = record.participants[message.participant];
    if (!participant || participant.role === 'host') return sendError(peer, 'unknown-participant', 'No guest with that id is in the session.', message.type);
    participant.role = message.role;
    await this.store.save(record);
    await this.announce(record.id, participant.id, 'updated', undefined, true);
  }

  async remove(peer: Peer, message: ClientMessageOf<'remove'>): Promise<void> {
    const record = await this.hostRecord(peer, message.type);
    if (!record) return;
    const participant = record.participants[message.participant];
    if (!participant || participant.role === 'host') return sendError(peer, 'unknown-participant', 'No guest with that id is in the session.', message.type);
    rememberRemoved(record, participant);
    await this.dropParticipant(record, participant, 'removed');
    await this.store.publish(record.id, { type: 'close', participant: participant.id, code: CloseCode.Forbidden, reason: 'removed by the host' });
  }

  async end(peer: Peer, message: ClientMessageOf<'end'>): Promise<void> {
    const record = await this.hostRecord(peer, message.type);
    if (record) await this.endSession(record, 'the host ended the session');
  }

  async rotateInvite(peer: Peer, message: ClientMessageOf<'rotate-invite'>): Promise<void> {
    const record = await this.hostRecord(peer, message.type);
    if (!record) return;
    record.inviteHash = message.inviteHash;
    record.invites = registeredInvites(message.inviteHash, message.invites);
    await this.store.save(record);
    this.logger.info({ session: record.id, invites: record.invites.length }, 'invites replaced by the host');
    peer.send({ type: 'invites-updated', count: record.invites.length });
  }

  async leave(peer: Peer): Promise<void> {
    const member = this.members.of(peer);
    if (!member) {
      peer.close(CloseCode.Normal, 'left');
      return;
    }
    const record = await this.store.get(member.session);
    this.members.remove(member);
    if (record) {
      if (member.state === 'waiting') await this.approvals.withdraw(record, member.participant, 'left');
      else if (member.participant === record.hostId) await this.endSession(record, 'the host ended the session');
      else {
        const participant = record.participants[member.participant];
        if (participant) await this.dropParticipant(record, participant, 'left');
      }
    }
    peer.close(CloseCode.Normal, 'left the session');
  }

  // -------------------------------------------------------------------------------------------
  // Relayed messages

  async send(peer: Peer, message: ClientMessageOf<'send'>): Promise<void> {
    const member = this.members.of(peer);
    if (!member || member.state !== 'joined') return sendError(peer, 'not-joined', 'Join a session before sending to it.', message.type);
    const cap = this.config.kindLimits[message.kind];
    if (message.body.length > cap) {
      peer.close(CloseCode.TooBig, `a ${message.kind} body of ${message.body.length} bytes is over this relay's ${cap}-byte cap`);
      return;
    }
    // Every relayed message passes here: read the sender (and the target) only, not a copy of the record.
    const session = member.session;
    const [sender, target] = await this.store.participants(session, message.to !== undefined ? [member.participant, message.to] : [member.participant]);
    if (!sender) return sendError(peer, 'not-joined', 'You are no longer in this session.', message.type);
    if (sender.role === 'viewer' && WRITE_KINDS.has(message.kind)) {
      return sendError(peer, 'forbidden', `Viewers cannot edit: the host gave you view-only access, so your ${message.kind} was not sent.`, message.type);
    }
    if (message.to !== undefined && !target) {
      return sendError(peer, 'unknown-participant', 'That participant is not in this session.', message.type);
    }
    const base = { type: 'relayed', kind: message.kind, from: sender.id, ...(message.to !== undefined ? { to: message.to } : {}), body: message.body } as const;
    if (VOLATILE_KINDS.has(message.kind)) {
      const frame = encodeMessage(base);
      if (message.to === undefined) await this.store.setPresence(session, sender.id, frame);
      await this.store.publish(session, message.to === undefined
        ? { type: 'message', frame, label: 'relayed:presence', except: sender.id, from: sender.id }
        : { type: 'message', frame, label: 'relayed:presence', to: message.to, from: sender.id });
      return;
    }
    await this.store.appendRelayed(session, {
      kind: message.kind, from: sender.id, ...(message.to !== undefined ? { to: message.to } : {}),
      frame: (seq) => encodeMessage({ ...base, seq }),
    });
  }

  /** The socket closed without `leave`: the participant keeps its place for its resume window. */
  async disconnected(peer: Peer): Promise<void> {
    const member = this.members.of(peer);
    if (!member) return;
    this.members.remove(member);
    const record = await this.store.get(member.session);
    if (!record) return;
    if (member.state === 'waiting') {
      await this.approvals.withdraw(record, member.participant, 'left');
      return;
    }
    const participant = record.participants[member.participant];
    if (!participant || participant.state !== 'online') return;
    const windowMs = participant.role === 'host' ? this.config.hostResumeMs : this.config.guestResumeMs;
    participant.state = 'reconnecting';
    participant.expiresAt = this.now() + windowMs;
    await this.store.save(record);
    this.logger.info({ session: record.id, participant: participant.id, windowMs }, 'participant disconnected; keeping its place');
    await this.announce(record.id, participant.id, 'updated');
    this.deadlines.schedule(record.id, participant.id, windowMs, () => this.placeExpired(record.id, participant.id));
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /** Registers a joined connection and sends, in order: joined, the replay, the presence snapshot. */
  private async enter(peer: Peer, session: string, participantId: string, options: { resumed: boolean; gap: boolean; lastSeq?: number }): Promise<void> {
    const member = new Member(peer, session, participantId, 'joined');
    member.held = [];
    this.members.add(member);
    peer.settle();
    const record = await this.store.get(session);
    const participant = record?.participants[participantId];
    if (!record || !participant) {
      this.members.remove(member);
      peer.close(CloseCode.SessionEnded, 'the session ended');
      return;
    }
    const resumeToken = newSecret();
    participant.resumeTokenHash = hashSecret(resumeToken);
    await this.store.save(record);
    const you = publicParticipant(participant);
    const isHost = participant.role === 'host';
    peer.send({
      type: 'joined', session, you, roster: Object.values(record.participants).map(isHost ? hostViewOf : publicParticipant),
      settings: record.settings, seq: record.seq, resumeToken,
      resumeWindowMs: isHost ? this.config.hostResumeMs : this.config.guestResumeMs,
      resumed: options.resumed, gap: options.gap,
    });
    if (options.lastSeq !== undefined) {
      member.lastSeq = options.lastSeq;
      const replay = await this.store.replay(session, options.lastSeq);
      for (const buffered of replay.messages) {
        const addressed = buffered.to !== undefined ? buffered.to === participantId : buffered.from !== participantId;
        // Straight to the socket: live fan-out is held until the replay is through.
        if (addressed && buffered.seq > member.lastSeq) {
          member.lastSeq = buffered.seq;
          peer.sendFrame(buffered.frame, `relayed:${buffered.kind}`);
        }
      }
    }
    member.lastSeq = Math.max(member.lastSeq, record.seq);
    for (const [from, frame] of await this.store.presence(session)) {
      if (from !== participantId) peer.sendFrame(frame, 'relayed:presence', from);
    }
    member.release();
  }

  private async admitted(member: Member): Promise<void> {
    this.members.remove(member);
    await this.enter(member.peer, member.session, member.participant, { resumed: false, gap: false });
    this.logger.info({ session: member.session, participant: member.participant }, 'guest approved and joined');
    await this.announce(member.session, member.participant, 'joined');
  }

  private rejectIfMember(peer: Peer, ref: string): boolean {
    if (!this.members.of(peer)) return false;
    sendError(peer, 'already-joined', 'This connection is already in a session; open another connection for another session.', ref);
    return true;
  }

  private async hostRecord(peer: Peer, ref: string): Promise<SessionRecord | undefined> {
    const member = this.members.of(peer);
    if (!member || member.state !== 'joined') {
      sendError(peer, 'not-joined', 'Join a session first.', ref);
      return undefined;
    }
    const record = await this.store.get(member.session);
    if (!record || record.hostId !== member.participant) {
      sendError(peer, 'not-host', 'Only the host can do that.', ref);
      return undefined;
    }
    return record;
  }

  private addPlaceholders(record: SessionRecord, roster: ReadonlyArray<{ id: string; name: string; role: GuestRole; color: number; rejoinHash?: string }>, now: number): void {
    for (const entry of roster) {
      if (record.participants[entry.id] || entry.id === record.hostId || wasRemovedId(record, entry.id)) continue;
      if (Object.keys(record.participants).length >= this.config.maxParticipants - 1) break;
      const expiresAt = now + this.config.guestResumeMs;
      record.participants[entry.id] = {
        id: entry.id, name: entry.name, color: entry.color, role: entry.role, state: 'reconnecting', expiresAt,
        ...(entry.rejoinHash !== undefined ? { rejoinHash: entry.rejoinHash } : {}),
      };
      this.deadlines.schedule(record.id, entry.id, this.config.guestResumeMs, () => this.placeExpired(record.id, entry.id));
    }
  }

  private async placeExpired(session: string, participantId: string): Promise<void> {
    const record = await this.store.get(session);
    const participant = record?.participants[participantId];
    // The timer is replaced on every disconnect and cleared on every return, so reaching here
    // while still reconnecting means the window really passed — unless a later window started on
    // another relay process (shared store: it came back there and dropped again); that one decides.
    if (!record || !participant || participant.state !== 'reconnecting') return;
    if (participant.expiresAt !== undefined && participant.expiresAt - this.now() > 1_000) return;
    if (participant.role === 'host') {
      await this.endSession(record, 'the host did not come back in time');
      return;
    }
    this.logger.info({ session, participant: participantId }, 'resume window expired');
    await this.dropParticipant(record, participant, 'timeout');
  }

  private async dropParticipant(record: SessionRecord, participant: ParticipantRecord, reason: 'left' | 'removed' | 'timeout'): Promise<void> {
    delete record.participants[participant.id];
    this.deadlines.clear(record.id, participant.id);
    await this.store.save(record);
    await this.store.clearPresence(record.id, participant.id);
    await this.store.publish(record.id, {
      type: 'message', label: 'roster', except: participant.id,
      frame: encodeMessage({ type: 'roster', change: 'left', participant: publicParticipant(participant), reason }),
    });
  }

  private async endSession(record: SessionRecord, reason: string): Promise<void> {
    this.logger.info({ session: record.id }, 'session ended');
    this.rememberEnded(record.id);
    for (const id of [...Object.keys(record.participants), ...record.knocks.map((knock) => knock.id)]) this.deadlines.clear(record.id, id);
    await this.store.delete(record.id);
    const host = this.members.get(record.id, record.hostId);
    if (host) {
      this.members.remove(host);
      host.peer.close(CloseCode.Normal, 'you ended the session');
    }
    await this.store.publish(record.id, { type: 'close', except: record.hostId, code: CloseCode.SessionEnded, reason });
  }

  private async announce(session: string, participantId: string, change: 'joined' | 'updated', reason?: string, includeSelf = false): Promise<void> {
    const record = await this.store.get(session);
    const participant = record?.participants[participantId];
    if (!record || !participant) return;
    const frameOf = (view: typeof publicParticipant): string => encodeMessage({ type: 'roster', change, participant: view(participant), ...(reason ? { reason } : {}) });
    const except = includeSelf ? [] : [participantId];
    if (participant.rejoinHash !== undefined && record.hostId !== participantId) {
      // Only the host learns the rejoin hash, to re-register it after a relay restart.
      await this.store.publish(session, { type: 'message', frame: frameOf(publicParticipant), label: 'roster', except: [...except, record.hostId] });
      await this.store.publish(session, { type: 'message', frame: frameOf(hostViewOf), label: 'roster', to: record.hostId });
      return;
    }
    await this.store.publish(session, { type: 'message', frame: frameOf(publicParticipant), label: 'roster', except });
  }

  private rememberEnded(session: string): void {
    const now = this.now();
    for (const [id, until] of this.ended) {
      if (until > now && this.ended.size < 10_000) break;
      this.ended.delete(id);
    }
    this.ended.set(session, now + this.config.hostResumeMs);
  }

  /** True (and the peer closed with 4410) when the session ended recently. */
  /** The session a guest joins or resumes, or undefined after closing the peer: 4410 if it ended recently, else 4404. */
  private async existingSession(peer: Peer, session: string): Promise<SessionRecord | undefined> {
    const record = await this.store.get(session);
    if (record) return record;
    const until = this.ended.get(session);
    if (until !== undefined && until > this.now()) peer.close(CloseCode.SessionEnded, 'the host ended this session');
    else peer.close(CloseCode.NoSuchSession, 'no such session on this relay (yet)');
    return undefined;
  }

}
