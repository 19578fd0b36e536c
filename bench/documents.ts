/**
 * Documents and files over a real relay with real `SessionClient`s (encryption on, the default):
 * a guest opening a 1 MiB file from the host (shared files), three participants converging after
 * many concurrent edits (document sync), and the bytes one keystroke puts on the wire.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseInviteLink } from '../protocol';
import { SessionClient } from '../client/session-client';
import { WebSocketTransport } from '../client/ws-transport';
import { silentLogger, systemClock } from '../client/ports';
import { DocumentSync, type SharedDocument } from '../client/docs';
import { Y } from '../client/docs/yjs';
import { TEXT_NAME } from '../client/docs/yjs-codec';
import { HostFileServer } from '../client/files/host-file-server';
import { RemoteFiles } from '../client/files/remote-files';
import { monoMs, until } from './clock';
import { quantileOf } from './histogram';
import { CountingTransport, webSocketHeaderBytes, type FrameRecord } from './counting-transport';
import type { Launcher, RunningServer } from './processes';

export type Measured<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

export interface FileOpenFigures { readonly bytes: number; readonly runs: number; readonly firstMs: number; readonly medianMs: number; readonly maxMs: number }
export interface ConvergeFigures { readonly edits: number; readonly participants: number; readonly totalMs: number; readonly cpuMs: number; readonly afterLastEditMs: number; readonly rateLimit: string; readonly textLength: number }
export interface KeystrokeFigures {
  readonly keystrokes: number;
  readonly sentText: number;
  readonly sentWire: number;
  readonly receivedText: number;
  readonly receivedWire: number;
  readonly presenceSentText: number;
}

export interface DocumentFigures {
  readonly fileOpen: Measured<FileOpenFigures>;
  readonly converge: Measured<ConvergeFigures>;
  readonly keystroke: Measured<KeystrokeFigures>;
}

export interface DocumentParameters {
  readonly fileBytes: number;
  readonly fileRuns: number;
  readonly edits: number;
  readonly keystrokes: number;
}

interface Party {
  readonly client: SessionClient;
  readonly transport: CountingTransport;
}

const SETTINGS = { approval: 'auto', defaultRole: 'editor' } as const;
const EDIT_DEADLINE_MS = 600_000;

async function party(relay: string, name: string, mode: ConstructorParameters<typeof SessionClient>[0]['mode']): Promise<Party> {
  const transport = new CountingTransport(new WebSocketTransport());
  const client = new SessionClient({ relay, name, mode, transport, clock: systemClock, random: Math.random, logger: silentLogger, clientName: 'pairline-bench/0.1.0' });
  await client.start();
  return { client, transport };
}

/** A host and `guests` guests in a fresh encrypted session. */
async function session(server: RunningServer, guests: number): Promise<Party[]> {
  const host = await party(server.httpBase, 'bench host', { type: 'host', settings: SETTINGS });
  const link = host.client.inviteLink;
  const invite = link ? parseInviteLink(link) : undefined;
  if (!invite?.ok) throw new Error('the host has no usable invite link');
  if (!host.client.safetyCode) throw new Error('the session is not encrypted');
  const others = await Promise.all(Array.from({ length: guests }, (_unused, index) => party(server.httpBase, `bench guest ${index + 1}`, { type: 'guest', invite: invite.invite })));
  const everyone = [host, ...others];
  await until(() => everyone.every((member) => member.client.roster.length === everyone.length), 10_000, 'every roster to list everyone');
  return everyone;
}

function dispose(parties: readonly Party[]): void {
  for (const member of parties) member.client.dispose();
}

async function attempt<T>(work: () => Promise<T>): Promise<Measured<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

export async function measureDocuments(launcher: Launcher, parameters: DocumentParameters): Promise<DocumentFigures> {
  const server = await launcher.pairline();
  try {
    const fileOpen = await attempt(() => fileOpenFigures(server, parameters));
    const keystroke = await attempt(() => keystrokeFigures(server, parameters));
    // Ten thousand edits as fast as possible would trip the default per-connection rate limit
    // (200 messages/s): the convergence run gets its own relay with the limit lifted.
    const converge = await attempt(() => convergeFigures(launcher, parameters));
    return { fileOpen, converge, keystroke };
  } finally {
    await server.stop();
  }
}

async function fileOpenFigures(server: RunningServer, parameters: DocumentParameters): Promise<FileOpenFigures> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'pairline-bench-'));
  const parties = await session(server, 1);
  const [host, guest] = parties;
  try {
    if (!host || !guest) throw new Error('session incomplete');
    // Source-like text: what a guest typically opens.
    const line = 'export function example(value: number): number { return value * 2 + 1; } // padding\n';
    const text = line.repeat(Math.ceil(parameters.fileBytes / line.length)).slice(0, parameters.fileBytes);
    await fs.writeFile(path.join(folder, 'large.ts'), text);
    const fileServer = await HostFileServer.create(host.client, { folders: [{ path: folder }], watch: false });
    const files = new RemoteFiles(guest.client);
    try {
      const times: number[] = [];
      for (let run = 0; run < parameters.fileRuns; run++) {
        const started = monoMs();
        const bytes = await files.readFile('large.ts');
        times.push(monoMs() - started);
        if (bytes.length !== parameters.fileBytes) throw new Error(`read ${bytes.length} bytes instead of ${parameters.fileBytes}`);
      }
      return { bytes: parameters.fileBytes, runs: times.length, firstMs: times[0] ?? Number.NaN, medianMs: quantileOf(times, 0.5), maxMs: Math.max(...times) };
    } finally {
      files.dispose();
      fileServer.dispose();
    }
  } finally {
    dispose(parties);
    await fs.rm(folder, { recursive: true, force: true });
  }
}

async function openShared(parties: readonly Party[], text: string): Promise<SharedDocument[]> {
  const source = { read: (wanted: string) => Promise.resolve(wanted === 'src/shared.ts' ? text : '') };
  const syncs = parties.map((member, index) => new DocumentSync({
    client: member.client, clock: systemClock, logger: silentLogger, ...(index === 0 ? { source } : {}),
  }));
  const documents = [];
  for (const sync of syncs) documents.push(await sync.open('src/shared.ts'));
  return documents;
}

async function keystrokeFigures(server: RunningServer, parameters: DocumentParameters): Promise<KeystrokeFigures> {
  const parties = await session(server, 2);
  try {
    const documents = await openShared(parties, 'function main() {\n  \n}\n'.repeat(50));
    const typist = parties[1];
    const document = documents[1];
    const watcher = parties[2];
    if (!typist || !document || !watcher) throw new Error('session incomplete');
    for (const member of parties) member.transport.clear();
    let offset = 20;
    for (let index = 0; index < parameters.keystrokes; index++) {
      document.applyLocalEdits([{ offset, deleteCount: 0, insert: String.fromCharCode(97 + (index % 26)) }]);
      offset += 1;
      // Typing speed, not a burst: each keystroke travels alone.
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await until(() => watcher.transport.frames.filter((frame) => frame.label === 'relayed:update').length >= parameters.keystrokes, 10_000, 'every keystroke to arrive');
    const sent = sizes(typist.transport.frames, 'out', 'send:update');
    const received = sizes(watcher.transport.frames, 'in', 'relayed:update');
    typist.transport.clear();
    typist.client.setPresence({ file: 'src/shared.ts', selections: [{ anchor: { line: 1, character: 14 }, head: { line: 1, character: 14 } }] });
    const presence = sizes(typist.transport.frames, 'out', 'send:presence');
    return {
      keystrokes: sent.length,
      sentText: quantileOf(sent, 0.5),
      sentWire: quantileOf(sent, 0.5) + webSocketHeaderBytes(quantileOf(sent, 0.5), true),
      receivedText: quantileOf(received, 0.5),
      receivedWire: quantileOf(received, 0.5) + webSocketHeaderBytes(quantileOf(received, 0.5), false),
      presenceSentText: quantileOf(presence, 0.5),
    };
  } finally {
    dispose(parties);
  }
}

function sizes(frames: readonly FrameRecord[], direction: 'out' | 'in', label: string): number[] {
  return frames.filter((frame) => frame.direction === direction && frame.label === label).map((frame) => frame.bytes);
}

async function convergeFigures(launcher: Launcher, parameters: DocumentParameters): Promise<ConvergeFigures> {
  const rateLimit = '1000000';
  const server = await launcher.pairline({ args: ['--rate-limit', rateLimit, '--rate-burst', rateLimit] });
  const parties = await session(server, 2).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  try {
    const documents = await openShared(parties, 'const seed = 1;\n'.repeat(64));
    const perParticipant = Math.ceil(parameters.edits / documents.length);
    let random = 12345;
    const next = (): number => {
      // A small deterministic generator: the same edits on every run.
      random = (random * 1103515245 + 12345) % 2147483648;
      return random / 2147483648;
    };
    const started = monoMs();
    const cpuAtStart = process.cpuUsage();
    // Bounded: on a starved machine the edits alone can take minutes.
    const deadline = started + EDIT_DEADLINE_MS;
    let lastEditAt = started;
    // All three type at once, interleaved by macrotask so remote updates land between local edits.
    await Promise.all(documents.map(async (document) => {
      for (let done = 0; done < perParticipant;) {
        for (let batch = 0; batch < 10 && done < perParticipant; batch++, done++) {
          // Y.Text knows its length; reading `text` would build the whole string on every edit.
          const length = document.yDoc.getText(TEXT_NAME).length;
          const offset = Math.floor(next() * (length + 1));
          if (next() < 0.2 && length > 0) document.applyLocalEdits([{ offset: Math.min(offset, length - 1), deleteCount: 1, insert: '' }]);
          else document.applyLocalEdits([{ offset, deleteCount: 0, insert: 'x' }]);
        }
        await new Promise((resolve) => setImmediate(resolve));
        if (monoMs() > deadline) throw new Error(`the edits did not finish within ${EDIT_DEADLINE_MS / 1000} s`);
      }
      lastEditAt = Math.max(lastEditAt, monoMs());
    }));
    const vectors = (): string[] => documents.map((document) => {
      const vector = Y.decodeStateVector(Y.encodeStateVector(document.yDoc));
      return JSON.stringify([...vector.entries()].sort((a, b) => a[0] - b[0]));
    });
    await until(() => {
      const [first, ...rest] = vectors();
      const texts = documents.map((document) => document.text);
      return rest.every((vector) => vector === first) && texts.every((text) => text === texts[0]);
    }, 120_000, 'the three copies to converge', 5);
    const convergedAt = monoMs();
    const cpu = process.cpuUsage(cpuAtStart);
    return {
      edits: perParticipant * documents.length, participants: documents.length, totalMs: convergedAt - started, cpuMs: (cpu.user + cpu.system) / 1000,
      afterLastEditMs: convergedAt - lastEditAt, rateLimit: `${rateLimit}/s (default 200/s lifted)`, textLength: documents[0]?.text.length ?? 0,
    };
  } finally {
    dispose(parties);
    await server.stop();
  }
}
