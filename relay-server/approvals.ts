/**
 * Guests waiting for the host's approval ("knocks"): the host is asked, answers with approve or
 * deny, or does not answer in time; a guest that goes away withdraws its knock. Knocks live in
 * the session record, so a host that reconnects is asked again.
 */
import { CloseCode, type ClientMessageOf } from '../protocol';
import type { RelayConfig } from './config';
import type { Deadlines } from './deadlines';
import type { RelayLogger } from './logger';
import { Member, type LocalMembers, type Peer } from './members';
import { addGuest, sendError, sendToHost } from './participants';
import type { KnockRecord, SessionRecord, SessionStore } from './store';

export interface ApprovalsOptions {
  readonly store: SessionStore;
  readonly config: RelayConfig;
  readonly logger: RelayLogger;
  readonly members: LocalMembers;
  readonly deadlines: Deadlines;
  readonly now: () => number;
}

export class Approvals {
  constructor(private readonly options: ApprovalsOptions) {}

  /** Puts a guest in the waiting room and asks the host. */
  async knock(peer: Peer, record: SessionRecord, id: string, name: string, rejoinHash?: string): Promise<void> {
    const { store, config, members, deadlines } = this.options;
    const expiresAt = this.options.now() + config.approvalTimeoutMs;
    record.knocks.push(rejoinHash !== undefined ? { id, name, expiresAt, rejoinHash } : { id, name, expiresAt });
    await store.save(record);
    members.add(new Member(peer, record.id, id, 'waiting'));
    peer.settle();
    peer.send({ type: 'waiting', timeoutMs: config.approvalTimeoutMs });
    this.options.logger.info({ session: record.id, participant: id }, 'guest waiting for approval');
    await sendToHost(store, record, { type: 'knock', participant: { id, name } });
    deadlines.schedule(record.id, id, config.approvalTimeoutMs, () => this.expired(record.id, id));
  }

  /** The host's yes: the guest's connection completes its join when the `admit` reaches it. */
  async approve(peer: Peer, record: SessionRecord, message: ClientMessageOf<'approve'>): Promise<void> {
    const { store, config } = this.options;
    const knock = this.take(record, message.participant);
    if (!knock) return sendError(peer, 'unknown-participant', 'Nobody with that id is waiting to join.', message.type);
    await sendToHost(store, record, { type: 'knock-withdrawn', participant: knock.id, reason: 'answered' });
    if (Object.keys(record.participants).length >= config.maxParticipants) {
      await store.save(record);
      await store.publish(record.id, { type: 'close', participant: knock.id, code: CloseCode.SessionFull, reason: 'the session is full' });
      return;
    }
    addGuest(record, knock.id, knock.name, message.role, knock.rejoinHash);
    await store.save(record);
    await store.publish(record.id, { type: 'admit', participant: knock.id });
  }

  async deny(peer: Peer, record: SessionRecord, message: ClientMessageOf<'deny'>): Promise<void> {
    const { store } = this.options;
    const knock = this.take(record, message.participant);
    if (!knock) return sendError(peer, 'unknown-participant', 'Nobody with that id is waiting to join.', message.type);
    await store.save(record);
    await store.publish(record.id, { type: 'close', participant: knock.id, code: CloseCode.Forbidden, reason: 'the host declined' });
    await sendToHost(store, record, { type: 'knock-withdrawn', participant: knock.id, reason: 'answered' });
  }

  /** The waiting guest left (or timed out): the host's prompt goes away. */
  async withdraw(record: SessionRecord, id: string, reason: 'left' | 'timeout'): Promise<void> {
    if (!this.take(record, id)) return;
    await this.options.store.save(record);
    await sendToHost(this.options.store, record, { type: 'knock-withdrawn', participant: id, reason });
  }

  /** Asks a (re)connected host again about every guest still waiting. */
  async resend(session: string): Promise<void> {
    const record = await this.options.store.get(session);
    if (!record) return;
    for (const knock of record.knocks) await sendToHost(this.options.store, record, { type: 'knock', participant: { id: knock.id, name: knock.name } });
  }

  private take(record: SessionRecord, id: string): KnockRecord | undefined {
    const index = record.knocks.findIndex((knock) => knock.id === id);
    if (index < 0) return undefined;
    const [knock] = record.knocks.splice(index, 1);
    this.options.deadlines.clear(record.id, id);
    return knock;
  }

  private async expired(session: string, id: string): Promise<void> {
    const record = await this.options.store.get(session);
    if (!record || !record.knocks.some((knock) => knock.id === id)) return;
    await this.withdraw(record, id, 'timeout');
    await this.options.store.publish(session, { type: 'close', participant: id, code: CloseCode.Timeout, reason: 'the host did not answer in time' });
  }
}
