import { strict as assert } from 'node:assert';
import { parsePayload } from '../../protocol/payloads';
import { SyncPayloadSchema } from '../../protocol/doc-payloads';
import { DocumentSync } from '../../client/docs/document-sync';
import type { SharedDocument } from '../../client/docs/shared-document';
import { Y } from '../../client/docs/yjs';
import { createDocsSession, type DocsSession, type Peer } from '../support/docs-harness';

async function openEverywhere(session: DocsSession, path: string): Promise<SharedDocument[]> {
  const hostDoc = await session.host.sync.open(path);
  const opening = session.guests.map((guest) => guest.sync.open(path));
  await session.relay.settle();
  return [hostDoc, ...(await Promise.all(opening))];
}

function insertAtEnd(doc: SharedDocument, text: string): void {
  doc.applyLocalEdits([{ offset: doc.text.length, deleteCount: 0, insert: text }]);
}

function totalHeals(session: DocsSession): number {
  return session.all.reduce((sum, peer: Peer) => sum + peer.sync.heals, 0);
}

describe('document sync: offline and reconnect', () => {
  let session: DocsSession;
  afterEach(() => session?.dispose());

  it('merges offline edits of a guest and of the host after the guest reconnects (gap)', async () => {
    session = createDocsSession({ files: { 'a.txt': 'base' } });
    const { relay, guests: [alice] } = session;
    const [hostDoc, aliceDoc, bobDoc] = await openEverywhere(session, 'a.txt');
    relay.disconnect(alice.id);
    insertAtEnd(aliceDoc, ' alice-offline');
    assert.equal(alice.client.sent.at(-1)?.accepted, false, 'the send failed: the edit stays local');
    hostDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'host-while-away ' }]);
    bobDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'bob ' }]);
    await relay.settle();
    assert.equal(aliceDoc.text, 'base alice-offline');
    relay.reconnect(alice.id);
    await relay.settle();
    const texts = [hostDoc, aliceDoc, bobDoc].map((doc) => doc.text);
    assert.equal(new Set(texts).size, 1, JSON.stringify(texts));
    // Concurrent inserts at the same place land in an order Yjs picks (by client id).
    assert.ok(['bob host-while-away base alice-offline', 'host-while-away bob base alice-offline'].includes(texts[0]), texts[0]);
    assert.equal(totalHeals(session), 0);
  });

  it('gets a guest\'s edits to the host that was away, once the host is back', async () => {
    session = createDocsSession({ files: { 'a.txt': 'base' } });
    const { relay, host } = session;
    const [hostDoc, aliceDoc, bobDoc] = await openEverywhere(session, 'a.txt');
    relay.disconnect(host.id); // no resume: what is sent to the host meanwhile is lost
    insertAtEnd(aliceDoc, ' +alice');
    hostDoc.applyLocalEdits([{ offset: 0, deleteCount: 4, insert: 'BASE' }]);
    await relay.settle();
    assert.equal(bobDoc.text, 'base +alice');
    relay.reconnect(host.id);
    await relay.settle();
    const texts = [hostDoc, aliceDoc, bobDoc].map((doc) => doc.text);
    assert.equal(new Set(texts).size, 1, JSON.stringify(texts));
    // Both inserted right after the (deleted) old text: Yjs orders them by client id.
    assert.ok(['BASE +alice', ' +aliceBASE'].includes(texts[0]), texts[0]);
  });

  it('converges after a relay restart with offline edits everywhere, sending only what is missing', async () => {
    session = createDocsSession({ files: { 'a.txt': 'x'.repeat(5000) } });
    const { relay, host, guests: [alice, bob] } = session;
    const [hostDoc, aliceDoc, bobDoc] = await openEverywhere(session, 'a.txt');
    relay.restart();
    insertAtEnd(hostDoc, 'H');
    insertAtEnd(aliceDoc, 'A');
    bobDoc.applyLocalEdits([{ offset: 0, deleteCount: 10, insert: 'B' }]);
    let largest = 0;
    relay.intercept = (envelope) => {
      largest = Math.max(largest, envelope.payload.length);
      return 'deliver';
    };
    // Guests come back before the host ("waiting for the host"), then the host.
    relay.reconnect(alice.id);
    relay.reconnect(bob.id);
    await relay.settle();
    relay.reconnect(host.id);
    await relay.settle();
    const texts = [hostDoc, aliceDoc, bobDoc].map((doc) => doc.text);
    assert.equal(new Set(texts).size, 1, 'all equal');
    assert.ok(/^Bx{4990}(HA|AH)$/.test(texts[0]), texts[0].slice(0, 20) + '…' + texts[0].slice(-5));
    assert.ok(largest < 1000, `only what was missing travelled (largest message ${largest} bytes for a 5000-byte document)`);
  });

  it('restores subscriptions after a resumed reconnection without losing queued updates', async () => {
    session = createDocsSession({ files: { 'a.txt': '' } });
    const { relay, guests: [alice] } = session;
    const [hostDoc, aliceDoc] = await openEverywhere(session, 'a.txt');
    relay.disconnect(alice.id, { resume: true });
    insertAtEnd(hostDoc, 'queued for alice');
    await relay.settle();
    relay.reconnect(alice.id);
    await relay.settle();
    assert.equal(aliceDoc.text, 'queued for alice');
  });

  it('replaces a guest\'s copy, without duplicating text, when the host process restarted', async () => {
    session = createDocsSession({ files: { 'a.txt': 'saved text' } });
    const { relay, host, source, clock, guests: [alice] } = session;
    const [hostDoc, aliceDoc, bobDoc] = await openEverywhere(session, 'a.txt');
    aliceDoc.applyLocalEdits([{ offset: 10, deleteCount: 0, insert: ' + more' }]);
    await relay.settle();
    await hostDoc.save();
    // The host's window reloads: a new engine on the same participant loads the file afresh.
    relay.disconnect(host.id);
    host.sync.dispose();
    const restarted = new DocumentSync({ client: host.client, source, clock, logger: host.logger });
    try {
      const reloaded = await restarted.open('a.txt');
      relay.reconnect(host.id);
      await relay.settle();
      for (const doc of [reloaded, aliceDoc, bobDoc]) assert.equal(doc.text, 'saved text + more');
      assert.ok(alice.logger.at('warn').some((line) => line.message.includes('host reloaded')));
      // Editing goes on normally on the new copy.
      bobDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: '# ' }]);
      await relay.settle();
      for (const doc of [reloaded, aliceDoc, bobDoc]) assert.equal(doc.text, '# saved text + more');
      assert.equal(totalHeals(session) + restarted.heals, 0);
    } finally {
      restarted.dispose();
    }
  });

  it('unsubscribes when the last handle is released, and can open again', async () => {
    session = createDocsSession({ files: { 'a.txt': 'one' } });
    const { relay, host, guests: [alice] } = session;
    const hostDoc = await host.sync.open('a.txt');
    const first = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await first;
    const again = await alice.sync.open('a.txt');
    assert.equal(again, aliceDoc, 'one document per path, reference counted');
    aliceDoc.dispose();
    assert.deepEqual(alice.sync.paths, ['a.txt'], 'still held by the second handle');
    again.dispose();
    assert.deepEqual(alice.sync.paths, []);
    await relay.settle();
    hostDoc.applyLocalEdits([{ offset: 3, deleteCount: 0, insert: ' two' }]);
    assert.equal(host.client.sent.at(-1)?.kind, 'sync', 'no update broadcast for a document nobody subscribes to');
    const reopening = alice.sync.open('a.txt');
    await relay.settle();
    assert.equal((await reopening).text, 'one two');
  });

  it('opens a document asked for while offline once the connection is back', async () => {
    session = createDocsSession({ files: { 'a.txt': 'later' }, limits: { openTimeoutMs: 30_000 } });
    const { relay, host, guests: [alice], clock } = session;
    await host.sync.open('a.txt');
    relay.disconnect(alice.id);
    const opening = alice.sync.open('a.txt');
    await clock.advance(10_000);
    relay.reconnect(alice.id);
    await relay.settle();
    assert.equal((await opening).text, 'later');
  });
});

describe('document sync: desync detection and heal', () => {
  let session: DocsSession;
  afterEach(() => session?.dispose());

  it('never heals on the happy path, with edits in flight at every hash', async () => {
    session = createDocsSession({ files: { 'a.txt': 'start' }, limits: { hashIntervalMs: 1000 } });
    const { relay, clock } = session;
    const docs = await openEverywhere(session, 'a.txt');
    let hashes = 0;
    relay.intercept = (envelope) => {
      const parsed = parsePayload(SyncPayloadSchema, envelope.payload);
      if (parsed.ok && parsed.payload.type === 'hash') hashes++;
      return 'deliver';
    };
    for (let round = 0; round < 20; round++) {
      docs[round % 3].applyLocalEdits([{ offset: 0, deleteCount: round % 2, insert: `r${round} ` }]);
      // Deliver only part of the traffic before the hash goes out: states differ at hash time.
      relay.deliverOne(session.guests[0].id);
      await clock.advance(1000);
      if (round % 4 === 3) await relay.settle();
    }
    await relay.settle();
    await clock.advance(3000);
    await relay.settle();
    assert.ok(hashes >= 20, `hashes were checked (${hashes})`);
    assert.equal(new Set(docs.map((doc) => doc.text)).size, 1);
    assert.equal(totalHeals(session), 0);
    assert.ok(session.all.every((peer) => peer.logger.at('warn').length === 0));
  });

  it('heals a corrupt copy exactly once, from the host, and logs the path but no content', async () => {
    session = createDocsSession({ files: { 'a.txt': 'the real text' }, limits: { hashIntervalMs: 1000 } });
    const { relay, clock, host, guests: [alice, bob] } = session;
    const hostDoc = await host.sync.open('a.txt');
    const hostClient = hostDoc.yDoc.clientID;
    // Corrupt the state Alice receives: same ids (client, clocks) as the host's, other content —
    // what a clientID collision or a bit flip in transit would produce. Her state vector matches.
    relay.intercept = (envelope) => {
      const parsed = parsePayload(SyncPayloadSchema, envelope.payload);
      if (envelope.recipient !== alice.id || !parsed.ok || parsed.payload.type !== 'state') return 'deliver';
      const forged = new Y.Doc();
      forged.clientID = hostClient;
      forged.getText('text').insert(0, 'THE FAKE TEXT');
      const update = Buffer.from(Y.encodeStateAsUpdate(forged)).toString('base64');
      return Buffer.from(JSON.stringify({ ...parsed.payload, update }));
    };
    const opening = [alice.sync.open('a.txt'), bob.sync.open('a.txt')];
    await relay.settle();
    relay.intercept = () => 'deliver';
    const [aliceDoc, bobDoc] = await Promise.all(opening);
    assert.equal(aliceDoc.text, 'THE FAKE TEXT');
    const healEvents: string[] = [];
    alice.sync.onDidHeal((event) => healEvents.push(event.path));
    const healChanges: boolean[] = [];
    aliceDoc.onDidChangeRemote((change) => healChanges.push(change.heal));
    await clock.advance(1000);
    assert.ok(relay.deliverOne(alice.id), 'the hash reaches Alice');
    assert.equal(alice.sync.heals, 1);
    // Alice types while the resync is in flight: her edit survives the heal.
    aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: '> ' }]);
    await relay.settle();
    assert.equal(alice.sync.heals, 1);
    assert.deepEqual(healEvents, ['a.txt']);
    assert.ok(healChanges.includes(true));
    for (let round = 0; round < 5; round++) {
      await clock.advance(1000);
      await relay.settle();
    }
    assert.equal(alice.sync.heals, 1, 'exactly one heal');
    assert.equal(bob.sync.heals + host.sync.heals, 0);
    const texts = [hostDoc, aliceDoc, bobDoc].map((doc) => doc.text);
    assert.equal(new Set(texts).size, 1, JSON.stringify(texts));
    assert.ok(texts[0].includes('the real text') && texts[0].includes('> '), texts[0]);
    const warning = alice.logger.at('warn').find((line) => line.message.includes('desync'));
    assert.deepEqual(warning?.fields, { path: 'a.txt', heals: 1 });
    assert.ok(!JSON.stringify(alice.logger.lines).includes('real text'));
  });

  it('catches up by itself when a message was silently lost (anti-entropy, no heal)', async () => {
    session = createDocsSession({ files: { 'a.txt': 'abc' }, limits: { hashIntervalMs: 1000 } });
    const { relay, clock, guests: [, bob] } = session;
    const [hostDoc, aliceDoc, bobDoc] = await openEverywhere(session, 'a.txt');
    aliceDoc.applyLocalEdits([{ offset: 1, deleteCount: 1, insert: '' }]); // a deletion only
    bobDoc.applyLocalEdits([{ offset: 3, deleteCount: 0, insert: 'd' }]);
    relay.dropQueued(bob.id);
    relay.dropQueued(session.host.id);
    await relay.settle();
    assert.equal(hostDoc.text, 'abc');
    for (let round = 0; round < 4; round++) {
      await clock.advance(1000);
      await relay.settle();
    }
    for (const doc of [hostDoc, aliceDoc, bobDoc]) assert.equal(doc.text, 'acd');
    assert.equal(totalHeals(session), 0);
  });
});
