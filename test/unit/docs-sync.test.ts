import { strict as assert } from 'node:assert';
import { MAX_INSERT_PER_UPDATE, type RemoteChange } from '../../client/docs/shared-document';
import { DocumentError } from '../../client/docs/types';
import { Y } from '../../client/docs/yjs';
import { applyEditsToString, createDocsSession, type DocsSession } from '../support/docs-harness';

describe('document sync: basic exchange', () => {
  let session: DocsSession;
  afterEach(() => session?.dispose());

  it('two guests and the host see each other\'s edits, and remote deltas rebuild the text', async () => {
    session = createDocsSession({ files: { 'src/a.txt': 'hello world\r\nsecond line' } });
    const { host, guests: [alice, bob], relay } = session;
    const hostDoc = await host.sync.open('src/a.txt');
    const opening = [alice.sync.open('./src//a.txt'), bob.sync.open('src/a.txt')];
    await relay.settle();
    const [aliceDoc, bobDoc] = await Promise.all(opening);
    assert.equal(aliceDoc.path, 'src/a.txt');
    assert.equal(aliceDoc.text, 'hello world\r\nsecond line');

    // Bob's editor mirrors remote changes by applying the deltas, as a binding would.
    let bobEditor = bobDoc.text;
    const bobChanges: RemoteChange[] = [];
    bobDoc.onDidChangeRemote((change) => {
      bobChanges.push(change);
      bobEditor = applyEditsToString(bobEditor, change.edits);
    });
    aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 5, insert: 'HELLO' }, { offset: 11, deleteCount: 0, insert: '!' }]);
    hostDoc.applyLocalEdits([{ offset: hostDoc.text.length, deleteCount: 0, insert: '\r\nthird 🎉' }]);
    await relay.settle();
    const expected = 'HELLO world!\r\nsecond line\r\nthird 🎉';
    for (const doc of [hostDoc, aliceDoc, bobDoc]) assert.equal(doc.text, expected);
    assert.equal(bobEditor, expected);
    assert.ok(bobChanges.every((change) => !change.heal));
    for (const peer of session.all) assert.equal(peer.sync.heals, 0);
  });

  it('applies several local edits as one transaction with offsets in the current text', async () => {
    session = createDocsSession({ files: { 'a.txt': 'abcdef' } });
    const { host, guests: [alice], relay } = session;
    const hostDoc = await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    const sentBefore = alice.client.sent.filter((entry) => entry.kind === 'update').length;
    // Multi-cursor: the offsets all refer to "abcdef", given in any order.
    aliceDoc.applyLocalEdits([{ offset: 4, deleteCount: 1, insert: 'E' }, { offset: 0, deleteCount: 0, insert: '>' }, { offset: 2, deleteCount: 0, insert: '|' }]);
    assert.equal(aliceDoc.text, '>ab|cdEf');
    assert.equal(alice.client.sent.filter((entry) => entry.kind === 'update').length, sentBefore + 1, 'one update for one transaction');
    assert.throws(() => aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 3, insert: '' }, { offset: 2, deleteCount: 1, insert: '' }]), RangeError);
    assert.throws(() => aliceDoc.applyLocalEdits([{ offset: 99, deleteCount: 0, insert: 'x' }]), RangeError);
    assert.equal(aliceDoc.text, '>ab|cdEf', 'refused edits change nothing');
    await relay.settle();
    assert.equal(hostDoc.text, '>ab|cdEf');
  });

  it('sends a large multi-cursor paste as several updates that each fit a relay frame', async () => {
    session = createDocsSession({ files: { 'a.txt': 'head|tail' }, limits: { maxDocumentBytes: 4 * 1024 * 1024 } });
    const { host, guests: [alice, bob], relay } = session;
    const hostDoc = await host.sync.open('a.txt');
    const opening = [alice.sync.open('a.txt'), bob.sync.open('a.txt')];
    await relay.settle();
    const [aliceDoc, bobDoc] = await Promise.all(opening);
    let bobEditor = bobDoc.text;
    bobDoc.onDidChangeRemote((change) => {
      bobEditor = applyEditsToString(bobEditor, change.edits);
    });
    const largest: number[] = [];
    relay.intercept = (envelope) => {
      if (envelope.kind === 'update') largest.push(envelope.payload.length);
      return 'deliver';
    };
    // 150,001 code units of 3- and 4-byte characters, an astral one right at a chunk boundary.
    const paste = '中'.repeat(MAX_INSERT_PER_UPDATE - 1) + '😀' + '中'.repeat(2 * MAX_INSERT_PER_UPDATE);
    aliceDoc.applyLocalEdits([{ offset: 4, deleteCount: 1, insert: paste }, { offset: 0, deleteCount: 0, insert: paste }, { offset: 9, deleteCount: 0, insert: '!' }]);
    const expected = paste + 'head' + paste + 'tail!';
    assert.equal(aliceDoc.text, expected);
    await relay.settle();
    assert.equal(hostDoc.text, expected);
    assert.equal(bobDoc.text, expected);
    assert.equal(bobEditor, expected);
    assert.ok(largest.length >= 5, `several updates (${largest.length})`);
    assert.ok(Math.max(...largest) < 400 * 1024, `each fits a frame (largest ${Math.max(...largest)} bytes)`);
  });

  it('keeps relative positions on their character while others type', async () => {
    session = createDocsSession({ files: { 'a.txt': 'one two three' } });
    const { host, guests: [alice], relay } = session;
    const hostDoc = await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    const atTwo = aliceDoc.relativePosition(4);
    hostDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'zero ' }]);
    await relay.settle();
    assert.equal(aliceDoc.absolutePosition(atTwo), 9);
    assert.equal(aliceDoc.text.slice(9, 12), 'two');
    // Serialised positions travel: the host resolves Alice's position in its own copy.
    assert.equal(hostDoc.absolutePosition(atTwo), 9);
    assert.equal(aliceDoc.absolutePosition('not a position'), undefined);
  });

  it('ignores updates for documents this participant did not open', async () => {
    session = createDocsSession({ files: { 'a.txt': 'x' } });
    const { host, guests: [alice, bob], relay } = session;
    await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    (await opening).applyLocalEdits([{ offset: 1, deleteCount: 0, insert: 'y' }]);
    await relay.settle();
    assert.deepEqual(bob.sync.paths, []);
    assert.ok(bob.logger.at('debug').some((line) => line.message.includes('not open here')));
    assert.equal(host.sync.get('a.txt')?.text, 'xy');
  });

  it('saves through the host, and everyone sees the document clean', async () => {
    session = createDocsSession({ files: { 'a.txt': 'draft' } });
    const { host, source, guests: [alice], relay } = session;
    const hostDoc = await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    aliceDoc.applyLocalEdits([{ offset: 5, deleteCount: 0, insert: ' 2' }]);
    const cleanAt: string[] = [];
    hostDoc.onDidSave((event) => event.clean && cleanAt.push('host'));
    aliceDoc.onDidSave((event) => event.clean && cleanAt.push('alice'));
    const saving = aliceDoc.save();
    await relay.settle();
    await saving;
    assert.deepEqual(source.saves, [{ path: 'a.txt', text: 'draft 2' }]);
    assert.deepEqual(cleanAt.sort(), ['alice', 'host']);
  });
});

describe('document sync: refusals', () => {
  let session: DocsSession;
  afterEach(() => session?.dispose());

  it('refuses paths that leave the workspace, locally and at the host', async () => {
    session = createDocsSession({ files: { 'a.txt': 'x' } });
    const { host, guests: [alice], relay } = session;
    for (const bad of ['../secret', '/etc/passwd', 'C:\\Windows\\x', 'a/../../b', '%2e%2e/x']) {
      await assert.rejects(alice.sync.open(bad), (err: unknown) => err instanceof DocumentError && err.code === 'invalid-path', bad);
    }
    // A hand-made subscribe for a traversal path gets a clear doc-error, not silence.
    const answers: string[] = [];
    alice.client.onDidReceive((inbound) => answers.push(Buffer.from(inbound.payload).toString('utf8')));
    alice.client.send('sync', Buffer.from(JSON.stringify({ type: 'subscribe', doc: '../../etc/passwd', sv: '' })), host.id);
    await relay.settle();
    assert.equal(answers.length, 1);
    const answer = JSON.parse(answers[0]) as { type: string; code: string };
    assert.equal(answer.type, 'doc-error');
    assert.equal(answer.code, 'outside-workspace');
    assert.equal(session.source.reads, 0, 'the host never read anything for a refused path');
  });

  it('refuses documents over the size limit with a clear error, not a hang', async () => {
    session = createDocsSession({ files: { 'big.txt': 'é'.repeat(600), 'small.txt': 'ok' }, limits: { maxDocumentBytes: 1000 } });
    const { guests: [alice], relay } = session;
    const refused = assert.rejects(alice.sync.open('big.txt'), (err: unknown) => err instanceof DocumentError && err.code === 'too-large' && /limit is 1000/.test(err.message));
    await relay.settle();
    await refused;
    assert.deepEqual(alice.sync.paths, []);
    const small = alice.sync.open('small.txt');
    await relay.settle();
    assert.equal((await small).text, 'ok');
  });

  it('reports missing and excluded files, and an offline host after the timeout', async () => {
    session = createDocsSession({ files: { '.env': 'SECRET=1' }, limits: { openTimeoutMs: 5000 } });
    const { guests: [alice], relay, source, clock, host } = session;
    source.excluded.add('.env');
    const missing = assert.rejects(alice.sync.open('nope.txt'), (err: unknown) => err instanceof DocumentError && err.code === 'not-found');
    const excluded = assert.rejects(alice.sync.open('.env'), (err: unknown) => err instanceof DocumentError && err.code === 'excluded' && !err.message.includes('SECRET'));
    await relay.settle();
    await missing;
    await excluded;
    relay.disconnect(host.id);
    const offline = alice.sync.open('nope.txt');
    const rejected = assert.rejects(offline, (err: unknown) => err instanceof DocumentError && err.code === 'host-offline');
    await clock.advance(5000);
    await rejected;
  });

  it('ignores edits from a viewer even when the relay lets them through', async () => {
    session = createDocsSession({
      files: { 'a.txt': 'keep me' }, enforceRoles: false,
      guests: [{ name: 'alice', role: 'editor' }, { name: 'victor', role: 'viewer' }],
    });
    const { host, guests: [alice, victor], relay } = session;
    await host.sync.open('a.txt');
    const opening = [alice.sync.open('a.txt'), victor.sync.open('a.txt')];
    await relay.settle();
    const [aliceDoc, victorDoc] = await Promise.all(opening);
    assert.equal(victorDoc.readOnly, true);
    assert.throws(() => victorDoc.applyLocalEdits([{ offset: 0, deleteCount: 4, insert: '' }]), /read-only/);
    await assert.rejects(victorDoc.save(), (err: unknown) => err instanceof DocumentError && err.code === 'read-only');
    // A modified viewer client sends an update anyway: built from its copy, so well-formed.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(victorDoc.yDoc));
    doc.getText('text').delete(0, 4);
    const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(victorDoc.yDoc));
    victor.client.send('update', Buffer.from(JSON.stringify({ type: 'update', doc: 'a.txt', update: Buffer.from(update).toString('base64') })));
    await relay.settle();
    assert.equal(host.sync.get('a.txt')?.text, 'keep me');
    assert.equal(aliceDoc.text, 'keep me');
    assert.ok(host.logger.at('warn').some((line) => line.message.includes('viewer') && line.fields?.from === victor.id));
  });

  it('refuses malformed Yjs updates and keeps the document intact', async () => {
    session = createDocsSession({ files: { 'a.txt': 'intact' } });
    const { host, guests: [alice], relay } = session;
    const hostDoc = await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    const other = new Y.Doc();
    other.getMap('text-but-a-map').set('k', 'v');
    const embed = new Y.Doc();
    embed.getText('text').insertEmbed(0, { image: 'x' });
    const bad = [
      Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]),
      Buffer.from('garbage that is not yjs at all'),
      Buffer.from(Y.encodeStateAsUpdate(other)),
      Buffer.from(Y.encodeStateAsUpdate(embed)),
      Buffer.from(Y.encodeStateAsUpdate(hostDoc.yDoc)).subarray(0, 7),
    ];
    for (const update of bad) {
      alice.client.send('update', Buffer.from(JSON.stringify({ type: 'update', doc: 'a.txt', update: update.toString('base64') })));
    }
    alice.client.send('update', Buffer.from('{"type":"update","doc":"a.txt","update":"%%%"}'));
    await relay.settle();
    assert.equal(hostDoc.text, 'intact');
    assert.ok(host.logger.at('warn').filter((line) => line.message.includes('malformed')).length >= bad.length + 1);
    // The document still works both ways.
    aliceDoc.applyLocalEdits([{ offset: 6, deleteCount: 0, insert: '!' }]);
    hostDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: '¡' }]);
    await relay.settle();
    assert.equal(hostDoc.text, '¡intact!');
    assert.equal(aliceDoc.text, '¡intact!');
  });
});
