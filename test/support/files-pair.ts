/**
 * An in-memory session for file tests: participants whose `send` reaches the others on a later
 * macrotask (like a network), with a shared roster the test controls. It implements the part of
 * SessionClientApi that the file server and RemoteFiles use (FileSessionClient).
 * The "relay" here does not refuse viewers' `file-write` messages, so the host's own check is
 * what the tests exercise.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import type { Participant, RelayedKind, Role } from '../../protocol';
import type { ConnectionState, Inbound, JoinInfo, RosterChange, StateChange } from '../../client/api';
import { RemoteFileError } from '../../client/files/remote-file-error';
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

/** Paths of the shared-folder fixture. */
export interface FolderFixture {
  /** The temporary directory holding both folders; remove it after the test. */
  readonly base: string;
  /** The shared folder. */
  readonly shared: string;
  /** A sibling folder that must never be reachable. */
  readonly outside: string;
  /** Bytes of `image.bin` (every byte value) and `big.bin` (3 MiB, several chunks). */
  readonly binary: Buffer;
  readonly big: Buffer;
  /** Number of files in `huge/`. */
  readonly hugeCount: number;
  remove(): Promise<void>;
}

/**
 * A temporary shared folder with nested folders, binary files, a 3 MiB file, secrets (`.env`,
 * `config/.env.local`, `certs/server.pem`, `id_rsa`, `keys/app.key`), symlinks inside and out,
 * and a folder of 2,000 entries; plus `outside/secret.txt` next to it.
 */
export async function makeFolderFixture(options: { hugeCount?: number } = {}): Promise<FolderFixture> {
  const base = await fs.mkdtemp(nodePath.join(os.tmpdir(), 'pairline-files-'));
  const shared = nodePath.join(base, 'work');
  const outside = nodePath.join(base, 'outside');
  const write = async (relative: string, content: string | Buffer) => {
    const path = nodePath.join(shared, relative);
    await fs.mkdir(nodePath.dirname(path), { recursive: true });
    await fs.writeFile(path, content);
  };
  await fs.mkdir(outside, { recursive: true });
  await fs.writeFile(nodePath.join(outside, 'secret.txt'), 'outside secret');
  await write('README.md', '# Fixture\n');
  await write('src/a.ts', 'export const a = 1;\r\n');
  await write('src/nested/deep/b.txt', 'deep');
  const binary = Buffer.from(Array.from({ length: 512 }, (_, index) => index % 256));
  await write('image.bin', binary);
  const big = Buffer.alloc(3 * 1024 * 1024 + 12_345);
  for (let index = 0; index < big.length; index++) big[index] = (index * 31 + (index >> 10)) % 256;
  await write('big.bin', big);
  await write('.env', 'TOKEN=do-not-share');
  await write('config/.env.local', 'TOKEN=local');
  await write('config/app.json', '{}');
  await write('certs/server.pem', 'PEM');
  await write('id_rsa', 'PRIVATE KEY');
  await write('keys/app.key', 'KEY');
  await fs.symlink(nodePath.join(outside, 'secret.txt'), nodePath.join(shared, 'link-out'));
  await fs.symlink('../outside', nodePath.join(shared, 'linkdir-out'));
  await fs.symlink('src/a.ts', nodePath.join(shared, 'link-in'));
  await fs.symlink('.env', nodePath.join(shared, 'link-env'));
  const hugeCount = options.hugeCount ?? 2000;
  await fs.mkdir(nodePath.join(shared, 'huge'));
  for (let start = 0; start < hugeCount; start += 200) {
    await Promise.all(Array.from({ length: Math.min(200, hugeCount - start) }, (_, offset) =>
      fs.writeFile(nodePath.join(shared, 'huge', `f${String(start + offset).padStart(4, '0')}.txt`), String(start + offset))));
  }
  return { base, shared, outside, binary, big, hugeCount, remove: () => fs.rm(base, { recursive: true, force: true }) };
}

/** Resolves with the first value `event` fires that passes `predicate`, or rejects after `timeoutMs`. */
export function nextEvent<T>(event: (listener: (value: T) => void) => { dispose(): void }, predicate: (value: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const subscription = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`the expected event did not arrive within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

/** The RemoteFileError a request fails with; fails the test if it succeeds or fails otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<RemoteFileError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof RemoteFileError, `expected a RemoteFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}
