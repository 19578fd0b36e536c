/**
 * An in-memory relay double. Each connect() is answered by the test's script: open, fail (with a
 * TransportError), or hang. A FakeConnection records what the client sent and lets the test push
 * frames and close from the relay's side, so a 30-second outage costs no real time.
 */
import type { Connection, Transport } from '../../client/ports';
import { TransportError } from '../../client/transport-error';
import {
  encodeMessage, parseClientMessage, type ClientMessage, type ClientMessageOf, type Participant,
  type RelayMessage, type RelayMessageOf,
} from '../../protocol';
import { FakeClock, flushMicrotasks } from './fake-clock';
import type { ClientError, StateChange } from '../../client/api';
import { SessionClient, type SessionClientOptions } from '../../client/session-client';
import { silentLogger } from '../../client/ports';

export type ConnectOutcome = 'open' | 'hang' | { fail: TransportError };

export class FakeConnection implements Connection {
  readonly sent: ClientMessage[] = [];
  closedWith: { code: number; reason: string; by: 'client' | 'relay' } | undefined;
  bufferedAmount = 0;
  private readonly messageListeners: ((frame: string) => void)[] = [];
  private readonly closeListeners: ((code: number, reason: string) => void)[] = [];

  constructor(readonly url: string, readonly options: { token?: string; protocols: string[] }) {}

  send(frame: string): void {
    if (this.closedWith) return;
    const parsed = parseClientMessage(frame);
    if (!parsed.ok) throw new Error(`client sent an invalid frame: ${parsed.error}`);
    this.sent.push(parsed.message);
  }

  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason, by: 'client' };
    // Like ws: the close event follows asynchronously.
    queueMicrotask(() => this.emitClose(code, reason));
  }

  onMessage(listener: (frame: string) => void): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  /** The relay sends a frame (a catalogue message, or raw text for hostile-input tests). */
  async receive(message: RelayMessage | string): Promise<void> {
    const frame = typeof message === 'string' ? message : encodeMessage(message);
    if (!this.closedWith) for (const listener of this.messageListeners) listener(frame);
    await flushMicrotasks();
  }

  /** The relay closes the connection. */
  async closeFromRelay(code: number, reason = ''): Promise<void> {
    if (!this.closedWith) {
      this.closedWith = { code, reason, by: 'relay' };
      this.emitClose(code, reason);
    }
    await flushMicrotasks();
  }

  /** Messages of one type the client sent. */
  sentOf<T extends ClientMessage['type']>(type: T): ClientMessageOf<T>[] {
    return this.sent.filter((message): message is ClientMessageOf<T> => message.type === type);
  }

  /** The last message the client sent, ignoring pings. */
  get lastControl(): ClientMessage | undefined {
    return this.sent.filter((message) => message.type !== 'ping').at(-1);
  }

  private emitClose(code: number, reason: string): void {
    for (const listener of this.closeListeners) listener(code, reason);
  }
}

export class FakeTransport implements Transport {
  readonly connections: FakeConnection[] = [];
  /** Every connect() call, including the failed and hanging ones. */
  readonly attempts: { url: string; options: { token?: string; protocols: string[] } }[] = [];
  private readonly script: ConnectOutcome[] = [];
  /** What happens when the script is empty. */
  fallback: ConnectOutcome = 'open';

  /** Queues the outcome of the next connect() calls, in order. */
  queue(...outcomes: ConnectOutcome[]): this {
    this.script.push(...outcomes);
    return this;
  }

  connect(url: string, options: { token?: string; protocols: string[] }): Promise<Connection> {
    this.attempts.push({ url, options });
    const outcome = this.script.shift() ?? this.fallback;
    if (outcome === 'hang') return new Promise<Connection>(() => undefined);
    if (outcome !== 'open') return Promise.reject(outcome.fail);
    const connection = new FakeConnection(url, options);
    this.connections.push(connection);
    return Promise.resolve(connection);
  }

  get last(): FakeConnection {
    const connection = this.connections.at(-1);
    if (!connection) throw new Error('no connection was opened');
    return connection;
  }
}

// --- relay message builders -------------------------------------------------------------------

export const SESSION = 'AAAAAAAAAAAAAAAAAAAAAA';

export function participant(id: string, name: string, role: Participant['role'] = 'editor', state: Participant['state'] = 'online'): Participant {
  return { id, name, role, state, color: id.length % 8 };
}

export function welcome(): RelayMessageOf<'welcome'> {
  return { type: 'welcome', protocol: 1, relay: { version: 'test' }, limits: { maxPayload: 1_048_576, kinds: { presence: 8_192, sync: 1_048_576, update: 262_144, file: 1_048_576, 'file-write': 1_048_576 } }, heartbeatMs: 15_000 };
}

let tokenCounter = 0;
/** A fresh, valid-looking resume token. */
export function token(): string {
  tokenCounter += 1;
  return `tok${String(tokenCounter).padStart(4, '0')}`.padEnd(22, 'x');
}

export function joined(you: Participant, others: Participant[] = [], extra: Partial<RelayMessageOf<'joined'>> = {}): RelayMessageOf<'joined'> {
  return {
    type: 'joined', session: SESSION, you, roster: [you, ...others], settings: { approval: 'auto', defaultRole: 'editor' },
    seq: 0, resumeToken: token(), resumeWindowMs: 120_000, resumed: false, gap: false, ...extra,
  };
}

// --- a SessionClient wired to fakes -----------------------------------------------------------


export interface Rig {
  readonly client: SessionClient;
  readonly clock: FakeClock;
  readonly transport: FakeTransport;
  readonly states: StateChange[];
  readonly errors: ClientError[];
}

/** A host (default) or guest client on a fake clock and transport; `random` defaults to 0.5. */
export function rig(overrides: Partial<SessionClientOptions> = {}): Rig {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const client = new SessionClient({
    relay: 'http://relay.test', name: 'Hana',
    mode: { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } },
    transport, clock, random: () => 0.5, logger: silentLogger, ...overrides,
  });
  const states: StateChange[] = [];
  const errors: ClientError[] = [];
  client.onDidChangeState((change) => states.push(change));
  client.onDidError((error) => errors.push(error));
  return { client, clock, transport, states, errors };
}

/** Answers the latest connection's hello with welcome, then its create/join/resume with `joinedMessage`. */
export async function admit(r: Rig, joinedMessage: RelayMessageOf<'joined'>): Promise<FakeConnection> {
  await flushMicrotasks();
  const connection = r.transport.last;
  await connection.receive(welcome());
  await connection.receive({ ...joinedMessage, session: r.client.session });
  return connection;
}
