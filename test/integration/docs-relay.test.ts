/**
 * Document sync through the real relay process and real WebSockets: a host and two guests, each
 * behind its own chaos proxy, type concurrently while links are cut and blackholed (and, in the
 * second test, the relay is killed and restarted on the same port). Once the network heals, every
 * replica has the same text, every insert anyone typed is there exactly once, and nobody healed.
 *
 * Runs per CI: 200 with cut and blackholed links plus 100 with a relay restart (each run is
 * about half a second to a second of real reconnects). More: FC_NUM_RUNS_RELAY=N, or DOCS_LONG=1
 * (`npm run test:long`) for 2000 + 1000. Reproduce with FC_SEED=<seed printed on failure>; add
 * FC_SHRINK=1 to shrink the counterexample (off by default: every failing attempt through a real
 * relay waits out its timeouts, so shrinking can take longer than the whole suite may).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { DocumentSync } from '../../client/docs/document-sync';
import type { SharedDocument } from '../../client/docs/shared-document';
import { splitsSurrogatePair } from '../../client/docs/text-edits';
import { stateDigest } from '../../client/docs/yjs-codec';
import { systemClock } from '../../client/ports';
import { SessionClient } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { startChaosProxy, type ChaosProxy } from '../support/chaos-proxy';
import { FAST } from '../support/client-events';
import { MemorySource, RecordingLogger } from '../support/docs-harness';
import { startRelay, type RunningRelay } from '../support/relay-process';

const LONG = process.env.DOCS_LONG === '1';
const NUM_RUNS = Number(process.env.FC_NUM_RUNS_RELAY ?? (LONG ? 2000 : 200));
const RESTART_RUNS = Math.max(1, Math.ceil(NUM_RUNS / 2));
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
/** Mocha's limit for each property; the property stops itself a minute before it (see runOptions). */
const TEST_TIMEOUT_MS = LONG ? 0 : 600_000;
const MARKER = /⟦\d+⟧/g;

type Action =
  | { type: 'insert'; who: number; at: number; filler: string }
  | { type: 'delete'; who: number; at: number; size: number }
  | { type: 'replace'; who: number; at: number; size: number; filler: string }
  | { type: 'cut'; who: number }
  | { type: 'blackhole'; who: number; on: boolean }
  | { type: 'pause'; ms: number };

const fragment = fc.constantFrom('a', ' ', '\n', '\r\n', 'é', '中', '😀', '𝄞', 'xyz');
const filler = fc.array(fragment, { maxLength: 5 }).map((parts) => parts.join(''));
const who = fc.integer({ min: 0, max: 2 });
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const actions = fc.array(fc.oneof(
  { weight: 8, arbitrary: fc.record({ type: fc.constant('insert' as const), who, at: fraction, filler }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('delete' as const), who, at: fraction, size: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('replace' as const), who, at: fraction, size: fc.integer({ min: 1, max: 20 }), filler }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('cut' as const), who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('blackhole' as const), who, on: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 120 }) }) },
), { minLength: 5, maxLength: 40 });

/** Empty, small with CRLF and astral characters, and large (10,000 bytes). */
const initialText = fc.constantFrom('', 'shared\r\ntext 😀\r\n', 'line\n'.repeat(2000));

interface Participant {
  readonly name: string;
  readonly client: SessionClient;
  readonly clientLogger: RecordingLogger;
  readonly sync: DocumentSync;
  readonly proxy: ChaosProxy;
  readonly logger: RecordingLogger;
  doc?: SharedDocument;
}

function safeInsertOffset(text: string, offset: number): number {
  for (const match of text.matchAll(MARKER)) {
    if (offset > match.index && offset < match.index + match[0].length) return match.index;
  }
  return splitsSurrogatePair(text, offset) ? offset - 1 : offset;
}

function safeDeleteRange(text: string, start: number, end: number): [number, number] | undefined {
  end = Math.min(end, text.length);
  for (const match of text.matchAll(MARKER)) {
    const markerEnd = match.index + match[0].length;
    if (markerEnd <= start || match.index >= end) continue;
    if (start < match.index) end = match.index;
    else start = Math.min(markerEnd, end);
  }
  if (splitsSurrogatePair(text, start)) start--;
  if (splitsSurrogatePair(text, end)) end++;
  return end > start ? [start, end] : undefined;
}

/**
 * fast-check options for a property through the real relay. A property must end before mocha's
 * timeout: mocha does not stop a timed-out test, so its runs would go on in the background and
 * dispose the next test's clients. Running out of time counts as a failure (fewer runs than
 * promised), and the first failing run is reported as it is, unless FC_SHRINK=1.
 */
function runOptions(numRuns: number): fc.Parameters<unknown> {
  return {
    numRuns,
    endOnFailure: process.env.FC_SHRINK !== '1',
    ...(SEED !== undefined ? { seed: SEED } : {}),
    ...(TEST_TIMEOUT_MS > 0 ? { plugins: [fc.interruptAfterTimeLimit(TEST_TIMEOUT_MS - 60_000, { failOnInterrupt: true })] } : {}),
  };
}

/** Checks `condition` now and every 50 ms until it holds or `timeoutMs` passed. */
async function eventually(condition: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('document sync through the real relay', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let relay: RunningRelay | undefined;
  const proxies: ChaosProxy[] = [];
  const participants: Participant[] = [];

  async function cleanupSession(): Promise<void> {
    for (const participant of participants.splice(0)) {
      participant.sync.dispose();
      participant.client.dispose();
    }
    for (const proxy of proxies.splice(0)) await proxy.close();
  }

  afterEach(async () => {
    await cleanupSession();
    await relay?.kill9();
    relay = undefined;
  });

  async function startSession(initial: string): Promise<Participant[]> {
    relay ??= await startRelay();
    const source = new MemorySource({ 'doc.txt': initial });
    const make = async (name: string, mode: ConstructorParameters<typeof SessionClient>[0]['mode']): Promise<Participant> => {
      const proxy = await startChaosProxy(relay!.port);
      proxies.push(proxy);
      const clientLogger = new RecordingLogger();
      const client = new SessionClient({
        relay: proxy.url, name, mode, transport: new WebSocketTransport({ handshakeTimeoutMs: 1_000, closeTimeoutMs: 200 }),
        clock: systemClock, random: Math.random, logger: clientLogger, options: FAST,
      });
      const logger = new RecordingLogger();
      const sync = new DocumentSync({
        client, clock: systemClock, logger, limits: { hashIntervalMs: 300, openTimeoutMs: 10_000 },
        ...(mode.type === 'host' ? { source } : {}),
      });
      const participant: Participant = { name, client, clientLogger, sync, proxy, logger };
      participants.push(participant);
      return participant;
    };
    const host = await make('Hana', { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } });
    await host.client.start();
    const invite = { relay: relay.url, session: host.client.session!, inviteSecret: host.client.resumeState!.inviteSecret, key: host.client.resumeState!.key! };
    const guests = [await make('Gus', { type: 'guest', invite }), await make('Gia', { type: 'guest', invite })];
    for (const guest of guests) await guest.client.start();
    host.doc = await host.sync.open('doc.txt');
    for (const guest of guests) guest.doc = await guest.sync.open('doc.txt');
    return [host, ...guests];
  }

  async function play(all: Participant[], steps: Action[], markers: string[], restartAt?: number): Promise<void> {
    for (const [index, step] of steps.entries()) {
      if (index === restartAt) {
        const port = relay!.port;
        await relay!.kill9();
        relay = await startRelay({ port });
      }
      switch (step.type) {
        case 'insert': {
          const doc = all[step.who].doc!;
          const marker = `⟦${markers.length}⟧`;
          markers.push(marker);
          const at = safeInsertOffset(doc.text, Math.floor(step.at * (doc.text.length + 1)));
          doc.applyLocalEdits([{ offset: at, deleteCount: 0, insert: step.filler + marker }]);
          break;
        }
        case 'delete': {
          const doc = all[step.who].doc!;
          const at = Math.floor(step.at * (doc.text.length + 1));
          const range = safeDeleteRange(doc.text, at, at + step.size);
          if (range) doc.applyLocalEdits([{ offset: range[0], deleteCount: range[1] - range[0], insert: '' }]);
          break;
        }
        case 'replace': {
          // A selection typed over: one transaction deletes the range and inserts in its place.
          const doc = all[step.who].doc!;
          const marker = `⟦${markers.length}⟧`;
          markers.push(marker);
          const at = Math.floor(step.at * (doc.text.length + 1));
          const range = safeDeleteRange(doc.text, at, at + step.size);
          const [start, end] = range ?? [safeInsertOffset(doc.text, at), safeInsertOffset(doc.text, at)];
          doc.applyLocalEdits([{ offset: start, deleteCount: end - start, insert: marker + step.filler }]);
          break;
        }
        case 'cut':
          all[step.who].proxy.cut();
          break;
        case 'blackhole':
          all[step.who].proxy.blackhole(step.on);
          break;
        case 'pause':
          // Lets traffic (and reconnects) happen between edits: part of the scenario, not a wait.
          await new Promise((resolve) => setTimeout(resolve, step.ms));
          break;
      }
    }
  }

  /** What each client and the relay logged last: a failure on a CI machine must say why. */
  function diagnosis(all: Participant[]): string {
    const show = (line: RecordingLogger['lines'][number]): string => `    ${line.level} ${line.message} ${JSON.stringify(line.fields ?? {})}`;
    const clients = all.map((participant) => [
      `  ${participant.name} (${participant.client.state}):`,
      ...participant.clientLogger.lines.slice(-12).map(show),
      ...participant.logger.lines.filter((line) => line.level === 'warn' || line.level === 'error').slice(-5).map(show),
    ].join('\n'));
    const relayTail = (relay?.logs ?? []).slice(-15).map(({ service: _service, version: _version, level: _level, ...line }) => `    ${JSON.stringify(line)}`);
    return ['', ...clients, '  relay:', ...relayTail].join('\n');
  }

  async function healAndCheck(all: Participant[], markers: string[]): Promise<void> {
    for (const participant of all) participant.proxy.blackhole(false);
    await eventually(() => all.every((participant) => participant.client.state === 'connected'), () => `everyone connected (${all.map((p) => p.client.state).join(', ')})${diagnosis(all)}`);
    const texts = (): string[] => all.map((participant) => participant.doc!.text);
    await eventually(
      () => new Set(texts()).size === 1 && new Set(all.map((participant) => stateDigest(participant.doc!.yDoc))).size === 1,
      () => `convergence; lengths ${texts().map((text) => text.length).join(', ')}${diagnosis(all)}`,
    );
    const text = texts()[0];
    for (const marker of markers) assert.equal(text.split(marker).length - 1, 1, `insert ${marker} is present exactly once`);
    assert.deepEqual(all.map((participant) => participant.sync.heals), [0, 0, 0], 'no heal');
  }

  it('keeps edits made on both sides while the relay is down and merges them once it is back', async () => {
    const all = await startSession('line one\r\nline two\r\n');
    const [host, guest] = all;
    const port = relay!.port;
    await relay!.kill9();
    relay = undefined;
    await eventually(() => all.every((participant) => participant.client.state !== 'connected'), () => 'everyone to notice the relay is gone');
    guest.doc!.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'guest offline: ' }]);
    host.doc!.applyLocalEdits([{ offset: host.doc!.text.length, deleteCount: 0, insert: 'host offline\r\n' }]);
    relay = await startRelay({ port });
    await healAndCheck(all, []);
    assert.equal(host.doc!.text, 'guest offline: line one\r\nline two\r\nhost offline\r\n');
  });

  it(`converges through cut and blackholed links (${NUM_RUNS} runs)`, async () => {
    await fc.assert(fc.asyncProperty(initialText, actions, async (initial, steps) => {
      try {
        const all = await startSession(initial);
        const markers: string[] = [];
        await play(all, steps, markers);
        await healAndCheck(all, markers);
      } finally {
        await cleanupSession();
      }
    }), runOptions(NUM_RUNS));
  });

  it(`converges when the relay is killed and restarted in the middle of concurrent edits (${RESTART_RUNS} runs)`, async () => {
    await fc.assert(fc.asyncProperty(initialText, actions, fc.integer({ min: 0, max: 39 }), async (initial, steps, restartAt) => {
      try {
        const all = await startSession(initial);
        const markers: string[] = [];
        await play(all, steps, markers, Math.min(restartAt, steps.length - 1));
        await healAndCheck(all, markers);
      } finally {
        await cleanupSession();
      }
    }), runOptions(RESTART_RUNS));
  });
});
