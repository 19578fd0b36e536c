/**
 * An in-memory session for file tests: participants whose `send` reaches the others on a later
 * macrotask (like a network), with a shared roster the test controls. It implements the part of
 * SessionClientApi that the file server and RemoteFiles use (FileSessionClient).
 * The "relay" here does not refuse viewers' `file-write` messages, so the host's own check is
 * what the tests exercise.
 */
import type { Participant, RelayedKind, Role } from '../../protocol';
import type { ConnectionState, Inbound, JoinInfo, RosterChange, StateChange } from '../../client/api';
import type { FileSessionClient } from '../../client/files/remote-files';
import { Emitter } from '../../client/events';

export interface SentMessage {
  readonly from: string;
  readonly kind: Exclude<RelayedKind, 'presence'>;
  readonly to: string | undefined;
  readonly payload: Uint8Array;
}

export class FakeSession {
  readonly participants = new Map<string, FakeClient>();
  roster: Participant[] = [];
  /** Every message sent, in order (tests inspect sizes and targets). */
  readonly sent: SentMessage[] = [];

  add(id: string, role: Role, name = id): FakeClient {
    const participant: Participant = { id, name, color: this.roster.length, role, state: 'online' };
    this.roster = [...this.roster, participant];
    const client = new FakeClient(this, participant);
    this.participants.set(id, client);
    for (const other of this.participants.values()) other.rosterEmitter.fire({ change: 'joined', participant });
    return client;
  }

  /** Changes a participant in the roster (role, online/reconnecting) and tells everyone. */
  update(id: string, change: Partial<Pick<Participant, 'role' | 'state'>>): void {
    this.roster = this.roster.map((participant) => (participant.id === id ? { ...participant, ...change } : participant));
    const participant = this.roster.find((candidate) => candidate.id === id);
    if (!participant) return;
    for (const other of this.participants.values()) other.rosterEmitter.fire({ change: 'updated', participant });
  }

  /** Delivers on a later macrotask, as a network would; undelivered when the target is gone. */
  deliver(from: FakeClient, kind: Exclude<RelayedKind, 'presence'>, payload: Uint8Array, to: string | undefined): boolean {
    if (from.state !== 'connected') return false;
    this.sent.push({ from: from.me.id, kind, to, payload });
    const sender = this.roster.find((participant) => participant.id === from.me.id) ?? from.me;
    setImmediate(() => {
      for (const [id, client] of this.participants) {
        if (id === from.me.id || (to !== undefined && to !== id) || client.state !== 'connected') continue;
        client.receiveEmitter.fire({ kind, from: sender, payload, direct: to !== undefined });
      }
    });
    return true;
  }
}

export class FakeClient implements FileSessionClient {
  readonly rosterEmitter = new Emitter<RosterChange>();
  readonly receiveEmitter = new Emitter<Inbound>();
  readonly stateEmitter = new Emitter<StateChange>();
  private readonly joinEmitter = new Emitter<JoinInfo>();
  state: ConnectionState = 'connected';

  constructor(private readonly sessionDouble: FakeSession, readonly me: Participant) {}

  get session(): string { return 'in-memory-session'; }
  get role(): Role { return this.sessionDouble.roster.find((participant) => participant.id === this.me.id)?.role ?? this.me.role; }
  get roster(): readonly Participant[] { return this.sessionDouble.roster; }

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidJoin = this.joinEmitter.event;
  readonly onDidChangeRoster = this.rosterEmitter.event;
  readonly onDidReceive = this.receiveEmitter.event;

  /** Simulates our own connection going down or coming back. */
  setState(state: ConnectionState): void {
    const previous = this.state;
    this.state = state;
    this.stateEmitter.fire({ state, previous, reason: 'test', attempt: 0 });
  }

  send(kind: Exclude<RelayedKind, 'presence'>, payload: Uint8Array, to?: string): boolean {
    return this.sessionDouble.deliver(this, kind, payload, to);
  }

}
