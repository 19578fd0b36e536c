/**
 * The cost of a run of edits: local updates of one tick go as one message after the first, and
 * the text is built only when read — while staying exactly Yjs's text, and RemoteChange.text
 * staying the text right after its change even when read later.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { RemoteChange } from '../../client/docs/shared-document';
import { applyEdits, LazyText, type TextEdit } from '../../client/docs/text-edits';
import { TEXT_NAME } from '../../client/docs/yjs-codec';
import { applyEditsToString, createDocsSession, type DocsSession } from '../support/docs-harness';

function updatesSentBy(session: DocsSession, index: number): number {
  const peer = session.all[index];
  return peer ? peer.client.sent.filter((entry) => entry.kind === 'update').length : 0;
}

describe('document sync: coalescing and the lazy text', () => {
  let session: DocsSession | undefined;
  afterEach(() => session?.dispose());

  it('sends the first edit of a tick at once and the rest of the tick as one merged update', async () => {
    session = createDocsSession({ files: { 'a.txt': '' } });
    const { host, guests: [alice], relay } = session;
    if (!alice) throw new Error('no guest');
    const hostDoc = await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    const before = updatesSentBy(session, 1);
    for (let index = 0; index < 10; index++) aliceDoc.applyLocalEdits([{ offset: index, deleteCount: 0, insert: String(index) }]);
    assert.equal(updatesSentBy(session, 1), before + 1, 'the first edit went at once');
    await Promise.resolve();
    assert.equal(updatesSentBy(session, 1), before + 2, 'the other nine went as one update');
    await relay.settle();
    assert.equal(hostDoc.text, '0123456789');
    // Edits in separate ticks each travel alone, without delay.
    aliceDoc.applyLocalEdits([{ offset: 10, deleteCount: 0, insert: 'a' }]);
    await relay.settle();
    aliceDoc.applyLocalEdits([{ offset: 11, deleteCount: 0, insert: 'b' }]);
    assert.equal(updatesSentBy(session, 1), before + 4);
    await relay.settle();
    assert.equal(hostDoc.text, '0123456789ab');
  });

  it('a save sent in the same tick as edits follows them', async () => {
    session = createDocsSession({ files: { 'a.txt': 'v' } });
    const { host, guests: [alice], relay, source } = session;
    if (!alice) throw new Error('no guest');
    await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    for (const letter of ['1', '2', '3']) aliceDoc.applyLocalEdits([{ offset: aliceDoc.text.length, deleteCount: 0, insert: letter }]);
    const saved = aliceDoc.save();
    await relay.settle();
    await saved;
    assert.deepEqual(source.saves.map((save) => save.text), ['v123']);
  });

  it('keeps the text equal to Yjs\'s and each RemoteChange.text right, read at once or later', async () => {
    const edit = fc.record({
      who: fc.nat(2),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      size: fc.nat(4),
      insert: fc.constantFrom('', 'x', 'ab', '😀', 'é\n'),
    });
    const step = fc.oneof(
      { weight: 4, arbitrary: edit.map((value) => ({ type: 'edit' as const, ...value })) },
      { weight: 1, arbitrary: fc.constant({ type: 'deliver' as const }) },
      { weight: 1, arbitrary: fc.constant({ type: 'tick' as const }) },
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
      const current = createDocsSession({ files: { 'a.txt': 'start 😀 text' } });
      try {
        const docs = [await current.host.sync.open('a.txt')];
        const opening = current.guests.map((guest) => guest.sync.open('a.txt'));
        await current.relay.settle();
        docs.push(...await Promise.all(opening));
        const changes: { change: RemoteChange; expected: string; index: number }[] = [];
        docs.forEach((doc, index) => doc.onDidChangeRemote((change) => {
          const expected = doc.yDoc.getText(TEXT_NAME).toString();
          // Every other change is read at once; the rest only at the end, after later changes.
          if (changes.length % 2 === 0) assert.equal(change.text, expected);
          changes.push({ change, expected, index });
        }));
        const mirrors = docs.map((doc) => doc.text);
        docs.forEach((doc, index) => doc.onDidChangeRemote((change) => {
          mirrors[index] = applyEditsToString(mirrors[index] ?? '', change.edits);
        }));
        for (const action of steps) {
          if (action.type === 'deliver') current.relay.deliverAll();
          else if (action.type === 'tick') await Promise.resolve();
          else {
            const doc = docs[action.who];
            if (!doc) continue;
            const text = doc.text;
            let offset = Math.floor(action.at * text.length);
            if (offset > 0 && offset < text.length && /[\udc00-\udfff]/.test(text.charAt(offset))) offset--;
            let end = Math.min(text.length, offset + action.size);
            if (end < text.length && /[\udc00-\udfff]/.test(text.charAt(end))) end++;
            doc.applyLocalEdits([{ offset, deleteCount: end - offset, insert: action.insert }]);
            mirrors[action.who] = applyEditsToString(mirrors[action.who] ?? '', [{ offset, deleteCount: end - offset, insert: action.insert }]);
          }
          docs.forEach((doc) => assert.equal(doc.text, doc.yDoc.getText(TEXT_NAME).toString()));
        }
        await current.relay.settle();
        const texts = docs.map((doc) => doc.text);
        assert.equal(new Set(texts).size, 1, 'converged');
        docs.forEach((doc, index) => assert.equal(mirrors[index], doc.text, 'edits rebuild the text'));
        for (const { change, expected } of changes) assert.equal(change.text, expected);
      } finally {
        current.dispose();
      }
    }), { numRuns: 120 });
  });

  it('validates local edits against surrogate pairs only when the text may hold one', async () => {
    session = createDocsSession({ files: { 'a.txt': 'plain' } });
    const { host, guests: [alice], relay } = session;
    if (!alice) throw new Error('no guest');
    const hostDoc = await host.sync.open('a.txt');
    const opening = alice.sync.open('a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    hostDoc.applyLocalEdits([{ offset: 5, deleteCount: 0, insert: '😀' }]);
    await relay.settle();
    // A remote insert brought the pair: splitting it is refused.
    assert.throws(() => aliceDoc.applyLocalEdits([{ offset: 6, deleteCount: 0, insert: 'x' }]), /surrogate/);
    assert.throws(() => aliceDoc.applyLocalEdits([{ offset: 7, deleteCount: 1, insert: '' }]), /outside/);
    aliceDoc.applyLocalEdits([{ offset: 7, deleteCount: 0, insert: '!' }]);
    await relay.settle();
    assert.equal(hostDoc.text, 'plain😀!');
  });

  it('LazyText: replays edits, forgets past its bound, snapshots survive both', () => {
    let truth = 'abc';
    let builds = 0;
    const lazy = new LazyText(() => {
      builds++;
      return truth;
    }, 2);
    const change = (edits: TextEdit[]): (() => string) => {
      truth = applyEdits(truth, edits);
      return lazy.recordWithSnapshot(edits);
    };
    assert.equal(lazy.value, 'abc');
    const first = change([{ offset: 0, deleteCount: 1, insert: 'A' }, { offset: 3, deleteCount: 0, insert: 'd' }]);
    const second = change([{ offset: 1, deleteCount: 1, insert: '' }]);
    assert.equal(builds, 1, 'no rebuild while edits are kept');
    const third = change([{ offset: 0, deleteCount: 0, insert: '>' }]);
    assert.equal(builds, 2, 'past the bound, the text is rebuilt from the source');
    lazy.record([{ offset: 4, deleteCount: 0, insert: '<' }]);
    truth = applyEdits(truth, [{ offset: 4, deleteCount: 0, insert: '<' }]);
    assert.equal(lazy.value, '>Acd<');
    lazy.forget();
    truth = 'replaced';
    assert.equal(lazy.value, 'replaced');
    assert.deepEqual([first(), second(), third()], ['Abcd', 'Acd', '>Acd']);
  });
});
