/**
 * Property: three participants (host and two guests) editing one document concurrently through a
 * misbehaving relay (holds, reorders, partitions, cut links with and without resume, relay
 * restarts, hash rounds at random moments) always converge once the network heals: identical texts, every
 * insert anyone typed still there exactly once, each editor's mirror (built only from remote
 * deltas and its own edits) equal to the document, and no heal. With a relay that keeps each
 * recipient's order that holds as soon as everything is delivered; with one that reorders across
 * senders or partitions, after the hash rounds' state-vector exchange.
 *
 * Reproduce a failure with the seed fast-check prints: FC_SEED=<seed> [FC_PATH=<path>].
 * More runs: FC_NUM_RUNS=5000, or DOCS_LONG=1 / `--long` for 3000.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { SharedDocument } from '../../client/docs/shared-document';
import { splitsSurrogatePair } from '../../client/docs/text-edits';
import { stateDigest } from '../../client/docs/yjs-codec';
import { applyEditsToString, createDocsSession, seededRandom } from '../support/docs-harness';

const LONG = process.env.DOCS_LONG === '1' || process.argv.includes('--long');
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? (LONG ? 3000 : 250));
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const PATH = process.env.FC_PATH;
const HASH_INTERVAL = 1000;
/** Hash rounds a guest needs to notice a lasting difference and exchange state vectors (2), plus one. */
const ANTI_ENTROPY_ROUNDS = 3;

/** Markers are unique and atomic: no edit lands inside one, no delete touches one. */
const MARKER = /⟦\d+⟧/g;

type Action =
  | { type: 'insert'; who: number; at: number; filler: string }
  | { type: 'delete'; who: number; at: number; size: number }
  | { type: 'replace'; who: number; at: number; size: number; filler: string }
  | { type: 'disconnect'; who: number; resume: boolean }
  | { type: 'reconnect'; who: number }
  | { type: 'hold'; who: number }
  | { type: 'release'; who: number }
  | { type: 'deliver'; count: number }
  | { type: 'partition'; who: number }
  | { type: 'heal-partition' }
  | { type: 'tick' }
  | { type: 'restart' };

const fragment = fc.constantFrom('a', 'Z', ' ', '\n', '\r\n', '\r', '\t', 'é', 'ß', '中', '😀', '𝄞', '👩‍💻', 'e\u0301', '\u200b', '{}', 'abc ');
const filler = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''));
const who = fc.integer({ min: 0, max: 2 });
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('insert' as const), who, at: fraction, filler }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('delete' as const), who, at: fraction, size: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('replace' as const), who, at: fraction, size: fc.integer({ min: 1, max: 20 }), filler }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('disconnect' as const), who, resume: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('reconnect' as const), who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('hold' as const), who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('release' as const), who }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('deliver' as const), count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('partition' as const), who }) },
  { weight: 1, arbitrary: fc.constant({ type: 'heal-partition' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'tick' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'restart' as const }) },
);

/** The starting text; large ones as line × repeat, so a printed counterexample stays readable. */
type Initial = string | { readonly line: string; readonly repeat: number };

const initialText: fc.Arbitrary<Initial> = fc.oneof(
  fc.constant(''),
  fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')),
  // Large: a few thousand lines of CRLF text.
  fc.record({ line: fc.constantFrom('line of text\r\n', 'x😀y\n', 'ab\r\n'), repeat: fc.constant(3000) }),
);

const scenario = fc.record({
  initial: initialText,
  actions: fc.array(action, { minLength: 1, maxLength: 40 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  window: fc.integer({ min: 1, max: 4 }),
});

interface Replica {
  doc: SharedDocument;
  /** What an editor showing this document would hold: local edits plus remote deltas. */
  mirror: string;
}

/** Moves an offset out of any marker and off the middle of a surrogate pair. */
function safeInsertOffset(text: string, offset: number): number {
  for (const match of text.matchAll(MARKER)) {
    const start = match.index;
    if (offset > start && offset < start + match[0].length) return start;
  }
  return splitsSurrogatePair(text, offset) ? offset - 1 : offset;
}

/** Shrinks [start, end) so it touches no marker and splits no surrogate pair; undefined if empty. */
function safeDeleteRange(text: string, start: number, end: number): [number, number] | undefined {
  end = Math.min(end, text.length);
  for (const match of text.matchAll(MARKER)) {
    const markerStart = match.index;
    const markerEnd = markerStart + match[0].length;
    if (markerEnd <= start || markerStart >= end) continue;
    if (start < markerStart) end = markerStart;
    else start = Math.min(markerEnd, end);
  }
  if (splitsSurrogatePair(text, start)) start--;
  if (splitsSurrogatePair(text, end)) end++;
  return end > start ? [start, end] : undefined;
}

interface Scenario {
  readonly initial: Initial;
  readonly actions: Action[];
  readonly seed: number;
  readonly window: number;
}

async function runScenario(input: Scenario): Promise<void> {
  const initial = typeof input.initial === 'string' ? input.initial : input.initial.line.repeat(input.initial.repeat);
  const session = createDocsSession({ files: { 'doc.txt': initial }, limits: { hashIntervalMs: HASH_INTERVAL, openTimeoutMs: 3_600_000 }, seed: input.seed });
  try {
    const { relay, clock, all } = session;
    const random = seededRandom(input.seed ^ 0x5bd1e995);
    const deliverOptions = { random, window: input.window };
    const docs = [await session.host.sync.open('doc.txt')];
    const opening = session.guests.map((guest) => guest.sync.open('doc.txt'));
    await relay.settle();
    docs.push(...(await Promise.all(opening)));
    const replicas: Replica[] = docs.map((doc) => ({ doc, mirror: doc.text }));
    for (const replica of replicas) {
      replica.doc.onDidChangeRemote((change) => {
        replica.mirror = applyEditsToString(replica.mirror, change.edits);
        assert.equal(replica.mirror, change.text, 'remote deltas rebuild the text');
      });
    }
    const markers: string[] = [];
    const localEdit = (index: number, offset: number, deleteCount: number, insert: string): void => {
      const replica = replicas[index];
      replica.doc.applyLocalEdits([{ offset, deleteCount, insert }]);
      replica.mirror = applyEditsToString(replica.mirror, [{ offset, deleteCount, insert }]);
    };

    for (const step of input.actions) {
      switch (step.type) {
        case 'insert':
        case 'replace': {
          const text = replicas[step.who].doc.text;
          const marker = `⟦${markers.length}⟧`;
          markers.push(marker);
          const at = Math.floor(step.at * (text.length + 1));
          if (step.type === 'insert') {
            localEdit(step.who, safeInsertOffset(text, at), 0, step.filler + marker);
          } else {
            const range = safeDeleteRange(text, at, at + step.size);
            if (range) localEdit(step.who, range[0], range[1] - range[0], marker + step.filler);
            else localEdit(step.who, safeInsertOffset(text, at), 0, marker + step.filler);
          }
          break;
        }
        case 'delete': {
          const text = replicas[step.who].doc.text;
          const at = Math.floor(step.at * (text.length + 1));
          const range = safeDeleteRange(text, at, at + step.size);
          if (range) localEdit(step.who, range[0], range[1] - range[0], '');
          break;
        }
        case 'disconnect':
          relay.disconnect(all[step.who].id, { resume: step.resume });
          break;
        case 'reconnect':
          relay.reconnect(all[step.who].id);
          break;
        case 'hold':
          relay.hold(all[step.who].id);
          break;
        case 'release':
          relay.release(all[step.who].id);
          break;
        case 'deliver':
          for (let i = 0; i < step.count; i++) {
            const ready = all.filter((peer) => relay.deliverable(peer.id) > 0);
            if (ready.length === 0) break;
            const peer = ready[Math.floor(random() * ready.length)];
            relay.deliverOne(peer.id, Math.floor(random() * Math.min(input.window, relay.deliverable(peer.id))));
          }
          await new Promise<void>((resolve) => setImmediate(resolve));
          break;
        case 'partition':
          // One participant on its own side: it and the others no longer hear each other.
          relay.partition([all[step.who].id]);
          break;
        case 'heal-partition':
          relay.healPartition();
          break;
        case 'tick':
          await clock.advance(HASH_INTERVAL);
          break;
        case 'restart':
          relay.restart();
          break;
      }
    }

    // Heal the network: everyone back, nothing held or partitioned, everything delivered.
    relay.healPartition();
    for (const peer of all) {
      relay.release(peer.id);
      relay.reconnect(peer.id);
    }
    await relay.settle(deliverOptions);
    // A relay that hands each recipient its messages in the order it took them in (the real one
    // does, over TCP, also across processes through one Redis channel) leaves nothing to catch up
    // once everything is delivered. This one can reorder across senders (window > 1) or hold one
    // pair's messages (a partition) while later ones pass: a guest back from a gap can then get the
    // host's state before the host integrated an update that guest missed while away. The hash
    // rounds' state-vector exchange (anti-entropy, not a heal) brings it.
    const reordered = input.window > 1 || input.actions.some((step) => step.type === 'partition');
    if (!reordered) assert.equal(new Set(replicas.map((replica) => replica.doc.text)).size, 1, 'every replica has the same text as soon as everything is delivered');
    if (reordered) {
      for (let round = 0; round < ANTI_ENTROPY_ROUNDS; round++) {
        await clock.advance(HASH_INTERVAL);
        await relay.settle(deliverOptions);
      }
    }
    const texts = replicas.map((replica) => replica.doc.text);
    assert.equal(new Set(texts).size, 1, 'every replica has the same text');
    assert.equal(new Set(docs.map((doc) => stateDigest(doc.yDoc))).size, 1, 'every replica integrated the same operations');
    for (const marker of markers) {
      assert.equal(texts[0].split(marker).length - 1, 1, `insert ${marker} is present exactly once`);
    }
    for (const replica of replicas) assert.equal(replica.mirror, replica.doc.text, 'the editor mirror matches the document');
    // Hash rounds on a converged document: nothing to heal, nothing to exchange.
    for (let round = 0; round < 3; round++) {
      await clock.advance(HASH_INTERVAL);
      await relay.settle(deliverOptions);
    }
    assert.deepEqual(all.map((peer) => peer.sync.heals), [0, 0, 0], 'no heal on the happy path');
    assert.equal(new Set(replicas.map((replica) => replica.doc.text)).size, 1);
    for (const peer of all) {
      const problems = peer.logger.lines.filter((line) => line.level === 'warn' || line.level === 'error');
      assert.deepEqual(problems, [], `${peer.name} logged no warning`);
    }
  } finally {
    session.dispose();
  }
}

describe('document sync: convergence (property)', function () {
  this.timeout(LONG ? 0 : 60_000);

  it(`converges with every insert kept, through holds, reorders, partitions, cuts and relay restarts (${NUM_RUNS} runs)`, async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), {
      numRuns: NUM_RUNS,
      ...(SEED !== undefined ? { seed: SEED } : {}),
      ...(PATH !== undefined ? { path: PATH } : {}),
    });
  });
});
