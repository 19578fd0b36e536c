/**
 * A raw WebSocket client for relay integration tests: sends exactly what a test says (hostile
 * frames included) and lets it await the next message of a type, or the close, with a bounded
 * timeout. Also helpers to host and join a session with fresh secrets.
 */
import { WebSocket } from 'ws';
import {
  BEARER_PROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL, deriveSessionId, hashSecret, newSecret,
  type RelayMessage, type RelayMessageOf, type RosterEntry, type SessionSettings,
} from '../../protocol';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface ConnectOptions {
  /** Host access token, sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** Send the token as a `bearer.<token>` subprotocol instead of the header. */
  readonly tokenInProtocol?: boolean;
  /** Answer the relay's WebSocket pings (default true). */
  readonly autoPong?: boolean;
  /** Extra query string, e.g. `?token=x`, for hostile tests. */
  readonly query?: string;
  /** Extra request headers, e.g. `Origin`. */
  readonly headers?: Record<string, string>;
}

export class RawClient {
  readonly received: RelayMessage[] = [];
  private readonly queue: RelayMessage[] = [];
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<Closed>;
  private closedWith: Closed | undefined;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as RelayMessage;
      this.received.push(message);
      this.queue.push(message);
      for (const wake of [...this.waiters]) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString('utf8') };
        resolve(this.closedWith);
        for (const wake of [...this.waiters]) wake();
      });
    });
    socket.on('error', () => undefined);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Removes and returns the first queued message matching `predicate`, waiting for one if needed. */
  nextWhere<M extends RelayMessage>(predicate: (message: RelayMessage) => message is M, description: string, timeoutMs?: number): Promise<M>;
  nextWhere(predicate: (message: RelayMessage) => boolean, description: string, timeoutMs?: number): Promise<RelayMessage>;
  nextWhere(predicate: (message: RelayMessage) => boolean, description: string, timeoutMs = 4000): Promise<RelayMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.queue.findIndex(predicate);
        if (index >= 0) {
          const [message] = this.queue.splice(index, 1);
          finish();
          resolve(message as RelayMessage);
          return true;
        }
        if (this.closedWith) {
          finish();
          reject(new Error(`connection closed (${this.closedWith.code} ${this.closedWith.reason}) while waiting for ${description}; queue: ${JSON.stringify(this.queue)}`));
          return true;
        }
        return false;
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${description} within ${timeoutMs} ms; queue: ${JSON.stringify(this.queue)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      if (!check()) this.waiters.add(wake);
    });
  }

  next<T extends RelayMessage['type']>(type: T, timeoutMs?: number): Promise<RelayMessageOf<T>> {
    return this.nextWhere((message): message is RelayMessageOf<T> => message.type === type, `"${type}" message`, timeoutMs);
  }

  /** Messages still queued (not yet taken by next/nextWhere). */
  pending(): readonly RelayMessage[] {
    return [...this.queue];
  }

  /** Round trip through the relay: every frame the relay sent before the pong has arrived once this resolves. */
  async flush(): Promise<void> {
    const id = Math.floor(Math.random() * 1e9);
    this.send({ type: 'ping', id });
    await this.nextWhere((message) => message.type === 'pong' && message.id === id, `pong ${id}`);
  }

  async waitClosed(timeoutMs = 4000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`connection not closed within ${timeoutMs} ms; queue: ${JSON.stringify(this.queue)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }
}

function socketFor(wsUrl: string, options: ConnectOptions): WebSocket {
  const protocols = [SUBPROTOCOL];
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) {
    if (options.tokenInProtocol) protocols.push(`${BEARER_PROTOCOL_PREFIX}${options.token}`);
    else headers.authorization = `Bearer ${options.token}`;
  }
  return new WebSocket(`${wsUrl}${options.query ?? ''}`, protocols, { headers, autoPong: options.autoPong ?? true });
}

/** Opens a connection (no hello yet). Rejects when the upgrade is refused. */
export function connect(wsUrl: string, options: ConnectOptions = {}): Promise<RawClient> {
  const socket = socketFor(wsUrl, options);
  const client = new RawClient(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Attempts an upgrade that must be refused; resolves with the HTTP status and body. */
export function refusedUpgrade(wsUrl: string, options: ConnectOptions = {}): Promise<{ status: number; body: string }> {
  const socket = socketFor(wsUrl, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted but should have been refused'));
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    socket.once('error', () => undefined);
  });
}

/** Connects and completes the hello/welcome exchange. */
export async function connectHello(wsUrl: string, options: ConnectOptions = {}): Promise<RawClient> {
  const client = await connect(wsUrl, options);
  client.send({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'relay-test/1' });
  await client.next('welcome');
  return client;
}

export interface SessionSecrets {
  readonly hostSecret: string;
  readonly session: string;
  readonly inviteSecret: string;
  readonly inviteHash: string;
}

export function newSessionSecrets(): SessionSecrets {
  const hostSecret = newSecret();
  const inviteSecret = newSecret();
  return { hostSecret, session: deriveSessionId(hostSecret), inviteSecret, inviteHash: hashSecret(inviteSecret) };
}

export interface Hosted {
  readonly client: RawClient;
  readonly secrets: SessionSecrets;
  readonly joined: RelayMessageOf<'joined'>;
}

export interface HostOptions extends ConnectOptions {
  readonly settings?: SessionSettings;
  readonly secrets?: SessionSecrets;
  readonly name?: string;
  readonly participant?: string;
  readonly roster?: RosterEntry[];
}

export async function hostSession(wsUrl: string, options: HostOptions = {}): Promise<Hosted> {
  const secrets = options.secrets ?? newSessionSecrets();
  const client = await connectHello(wsUrl, options);
  client.send({
    type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash,
    name: options.name ?? 'Host', settings: options.settings ?? { approval: 'auto', defaultRole: 'editor' },
    ...(options.participant ? { participant: options.participant } : {}),
    ...(options.roster ? { roster: options.roster } : {}),
  });
  const joined = await client.next('joined');
  return { client, secrets, joined };
}

export async function joinSession(wsUrl: string, secrets: SessionSecrets, name = 'Guest', participant?: string, options: ConnectOptions = {}): Promise<{ client: RawClient; joined: RelayMessageOf<'joined'> }> {
  const client = await connectHello(wsUrl, options);
  client.send({ type: 'join', session: secrets.session, inviteSecret: secrets.inviteSecret, name, ...(participant ? { participant } : {}) });
  const joined = await client.next('joined');
  return { client, joined };
}

export function body(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function text(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** Closes every client given (terminate), ignoring ones already closed. */
export function closeAll(...clients: Array<RawClient | undefined>): void {
  for (const client of clients) client?.close();
}
