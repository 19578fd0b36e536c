/**
 * A host process restart ("never lose an edit", issue #6): with its document state kept
 * (DocumentSyncOptions.persistence) the host comes back with the same history and epoch, so every
 * edit either side made — while the host was down, or in flight when it died — is in every copy
 * exactly once; without it, guests rebase their unconfirmed insertions onto the host's new copy.
 */
import { strict as assert } from 'node:assert';
import { DocumentSync } from '../../client/docs/document-sync';
import type { SharedDocument } from '../../client/docs/shared-document';
import { createDocsSession, seededRandom, type DocsSession } from '../support/docs-harness';
import { MemoryDocumentStore } from '../support/memory-document-store';

const SESSION = 'memory-session-000000';

describe('document sync: host restart', () => {
  let session: DocsSession;
  const engines: DocumentSync[] = [];
  afterEach(() => {
    for (const engine of engines.splice(0)) engine.dispose();
    session?.dispose();
  });

  /** A host engine on the session's host participant, keeping its state in `store` (if any). */
  function hostEngine(store: MemoryDocumentStore | undefined, seed: number): DocumentSync {
    const { host, source, clock } = session;
    const engine = new DocumentSync({
      client: host.client, source, clock, logger: host.logger, random: seededRandom(seed),
      limits: { hashIntervalMs: 1000 },
      ...(store ? { persistence: { store, session: () => SESSION } } : {}),
    });
    engines.push(engine);
    return engine;
  }

  /** Starts the session with our own host engine (the harness's has no persistence). */
  async function start(files: Record<string, string>, store: MemoryDocumentStore | undefined): Promise<SharedDocument[]> {
    session = createDocsSession({ files, limits: { hashIntervalMs: 1000 }, seed: 7 });
    session.host.sync.dispose();
    const host = hostEngine(store, 1);
    const hostDoc = await host.open('a.txt');
    const opening = session.guests.map((guest) => guest.sync.open('a.txt'));
    await session.relay.settle();
    return [hostDoc, ...(await Promise.all(opening))];
  }

  /** Kills the host engine (no goodbye, nothing flushed) and takes it off the relay. */
  function crashHost(engine: DocumentSync): void {
    session.relay.disconnect(session.host.id);
    engine.dispose();
  }

  /** Restarts the host engine, brings it back online and lets the guests catch up. */
  async function restartHost(store: MemoryDocumentStore | undefined): Promise<SharedDocument> {
    const engine = hostEngine(store, 2);
    session.relay.reconnect(session.host.id);
    await session.relay.settle();
    const document = await engine.open('a.txt');
    for (let round = 0; round < 4; round++) {
      await session.clock.advance(1000);
      await session.relay.settle();
    }
    return document;
  }

  function insertAt(doc: SharedDocument, offset: number, text: string): void {
    doc.applyLocalEdits([{ offset, deleteCount: 0, insert: text }]);
  }

  function assertOnceEverywhere(docs: SharedDocument[], markers: string[]): string {
    const texts = docs.map((doc) => doc.text);
    assert.equal(new Set(texts).size, 1, `all copies equal: ${JSON.stringify(texts)}`);
    for (const marker of markers) assert.equal(texts[0].split(marker).length - 1, 1, `${marker} exactly once in ${JSON.stringify(texts[0])}`);
    return texts[0];
  }

  it('keeps the epoch and merges guests\' edits made while the host was down, each once', async () => {
    const store = new MemoryDocumentStore();
    const [hostDoc, aliceDoc, bobDoc] = await start({ 'a.txt': 'base' }, store);
    insertAt(aliceDoc, 4, ' <a1>');
    insertAt(hostDoc, 0, '<h1> ');
    await session.relay.settle();
    const epoch = hostDoc.epoch;
    crashHost(engines[0]);
    insertAt(aliceDoc, aliceDoc.text.length, ' <a2>');
    insertAt(bobDoc, 0, '<b1> ');
    await session.relay.settle();
    const restarted = await restartHost(store);
    assert.equal(restarted.epoch, epoch, 'the restarted host kept the epoch');
    const text = assertOnceEverywhere([restarted, aliceDoc, bobDoc], ['<a1>', '<h1>', '<a2>', '<b1>', 'base']);
    assert.ok(text.includes('base <a1>'), 'an unsaved edit is not reverted to the file\'s text');
    assert.equal(session.source.files.get('a.txt'), 'base', 'nothing was written to the file');
    for (const guest of session.guests) assert.ok(!guest.logger.lines.some((line) => line.message.includes('host reloaded')));
    assert.equal(session.guests.reduce((sum, guest) => sum + guest.sync.heals, 0), 0);
  });

  it('edits in flight when the host died arrive once, not duplicated', async () => {
    const store = new MemoryDocumentStore();
    const [hostDoc, aliceDoc, bobDoc] = await start({ 'a.txt': 'base' }, store);
    // Alice's edit is still queued for the host when it dies (lost there); the host's last edit
    // reached its store but not Alice (lost on the way); Bob's reached the host only.
    insertAt(aliceDoc, 0, '<a-lost> ');
    insertAt(hostDoc, hostDoc.text.length, ' <h-unseen>');
    session.relay.dropQueued(session.guests[0].id);
    insertAt(bobDoc, 2, '<b-half>');
    assert.ok(session.relay.deliverOne(session.host.id, 1), 'Bob\'s edit (after Alice\'s) reaches the host');
    crashHost(engines[0]);
    await session.relay.settle();
    const restarted = await restartHost(store);
    assertOnceEverywhere([restarted, aliceDoc, bobDoc], ['<a-lost>', '<h-unseen>', '<b-half>']);
  });

  it('brings in what the host typed while its engine was down, merged with the guests\' edits', async () => {
    const store = new MemoryDocumentStore();
    const [hostDoc, aliceDoc, bobDoc] = await start({ 'a.txt': 'one\ntwo\n' }, store);
    insertAt(aliceDoc, 4, 'alice\n');
    await session.relay.settle();
    await hostDoc.save();
    const epoch = hostDoc.epoch;
    crashHost(engines[0]);
    insertAt(bobDoc, 0, 'bob\n');
    await session.relay.settle();
    // The host edits its buffer before any guest asks for the document again.
    session.source.files.set('a.txt', 'one\nalice\ntwo\nhost\n');
    const restarted = await restartHost(store);
    const text = assertOnceEverywhere([restarted, aliceDoc, bobDoc], ['alice', 'bob', 'host', 'one', 'two']);
    assert.equal(text, 'bob\none\nalice\ntwo\nhost\n');
    assert.equal(restarted.epoch, epoch, 'merged into the kept history, not reloaded');
  });

  it('without kept state, guests rebase their unconfirmed insertions onto the host\'s new copy', async () => {
    const [hostDoc, aliceDoc, bobDoc] = await start({ 'a.txt': 'base' }, undefined);
    insertAt(aliceDoc, 4, ' <a1>');
    await session.relay.settle();
    await session.clock.advance(1000); // a hash: the host confirms <a1>
    await session.relay.settle();
    await hostDoc.save();
    crashHost(engines[0]);
    insertAt(aliceDoc, aliceDoc.text.length, ' <a2>');
    insertAt(bobDoc, 0, '<b1> ');
    await session.relay.settle();
    assert.equal(aliceDoc.text, '<b1> base <a1> <a2>');
    const restarted = await restartHost(undefined);
    assert.notEqual(restarted.epoch, undefined);
    const text = assertOnceEverywhere([restarted, aliceDoc, bobDoc], ['<a1>', '<a2>', '<b1>', 'base']);
    assert.equal(text, '<b1> base <a1> <a2>');
    assert.ok(session.guests[0].logger.lines.some((line) => line.message.includes('host reloaded')));
  });

  it('without kept state, an insertion the host already holds is not inserted twice', async () => {
    const [hostDoc, aliceDoc, bobDoc] = await start({ 'a.txt': 'saved' }, undefined);
    // Never confirmed by a hash, but saved into the host's file.
    insertAt(aliceDoc, 5, ' text');
    await session.relay.settle();
    await hostDoc.save();
    crashHost(engines[0]);
    insertAt(aliceDoc, aliceDoc.text.length, ' more');
    await session.relay.settle();
    const restarted = await restartHost(undefined);
    assert.equal(assertOnceEverywhere([restarted, aliceDoc, bobDoc], [' text', ' more']), 'saved text more');
  });
});
