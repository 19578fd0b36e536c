import { strict as assert } from 'node:assert';
import {
  anchorAt, anchoredSelections, hasAnchors, offsetOfAnchor, PRESENCE_BUDGET_BYTES, resolveSelections, stringPositions as positionsOf,
  withinPresenceBudget, type AnchorDocument,
} from '../../client/presence/anchors';
import type { SharedDocument } from '../../client/docs';
import { Y } from '../../client/docs/yjs';
import { encodePayload, encryptedCodec, newPayloadKey, PresencePayloadSchema, RelativePositionSchema, type Selection } from '../../protocol';
import { createDocsSession, type DocsSession } from '../support/docs-harness';

const caret = (line: number, character: number): Selection => ({ anchor: { line, character }, head: { line, character } });

describe('presence anchors: cursors that stay on their character', () => {
  let session: DocsSession;
  afterEach(() => session?.dispose());

  /** Host, alice and bob holding `text` as `a.txt`. */
  async function threeReplicas(text: string): Promise<[SharedDocument, SharedDocument, SharedDocument]> {
    session = createDocsSession({ files: { 'a.txt': text }, seed: 7 });
    const hostDoc = await session.host.sync.open('a.txt');
    const opening = session.guests.map((guest) => guest.sync.open('a.txt'));
    await session.relay.settle();
    const [alice, bob] = await Promise.all(opening);
    return [hostDoc, alice, bob];
  }

  it('an anchor is short base64url the schema accepts, and resolves to its offset', async () => {
    const [, alice] = await threeReplicas('hello world\r\nsecond line\r\n');
    for (const offset of [0, 6, 13, alice.text.length]) {
      const anchor = anchorAt(alice, offset);
      assert.ok(anchor !== undefined);
      assert.match(anchor, /^[A-Za-z0-9_-]+$/);
      assert.ok(RelativePositionSchema.safeParse(anchor).success, anchor);
      assert.equal(offsetOfAnchor(alice, anchor), offset);
    }
  });

  it('a cursor follows its character across concurrent inserts before it (and CRLF line breaks)', async () => {
    const [host, alice, bob] = await threeReplicas('first line\r\nsecond line\r\nthird line\r\n');
    const bobText = positionsOf(() => bob.text);
    // Alice's cursor sits before "line" on the third line.
    const selections = anchoredSelections([caret(2, 6)], alice, positionsOf(() => alice.text));
    assert.ok(hasAnchors({ selections }));
    assert.deepEqual(resolveSelections(selections, bob, bobText), [caret(2, 6)]);
    // Bob and the host type above her cursor before her presence (or their edits) went anywhere.
    bob.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'bob was here\r\n' }]);
    host.applyLocalEdits([{ offset: 12, deleteCount: 0, insert: 'host: ' }, { offset: 31, deleteCount: 0, insert: 'more ' }]);
    await session.relay.settle();
    assert.equal(bob.text, alice.text);
    assert.equal(bob.text, 'bob was here\r\nfirst line\r\nhost: second line\r\nthird more line\r\n');
    // Still before "line" of "third …", now one line further down and five characters to the right.
    assert.deepEqual(resolveSelections(selections, bob, bobText), [caret(3, 11)]);
    assert.equal(bob.text.slice(bobText.offsetAt({ line: 3, character: 11 })).slice(0, 4), 'line');
    // Line/character alone would now point into "host: second line".
    assert.deepEqual(resolveSelections(selections, undefined, bobText), [caret(2, 6)]);
  });

  it('a selection keeps both ends on their characters and comes out as plain positions', async () => {
    const [, alice, bob] = await threeReplicas('abc def ghi\n');
    const selections = anchoredSelections([{ anchor: { line: 0, character: 4 }, head: { line: 0, character: 7 } }], alice, positionsOf(() => alice.text));
    bob.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: '12' }, { offset: 5, deleteCount: 0, insert: 'X' }]);
    await session.relay.settle();
    assert.equal(bob.text, '12abc dXef ghi\n');
    const resolved = resolveSelections(selections, bob, positionsOf(() => bob.text));
    assert.deepEqual(resolved, [{ anchor: { line: 0, character: 6 }, head: { line: 0, character: 10 } }]);
    assert.equal('relative' in resolved[0].anchor, false);
  });

  it('falls back to line/character while the anchored edit has not arrived, and resolves once it has', async () => {
    const [, alice, bob] = await threeReplicas('one\ntwo\n');
    session.relay.hold(session.guests[1].id);
    alice.applyLocalEdits([{ offset: 4, deleteCount: 0, insert: 'new words ' }]);
    // Alice's cursor inside her own new text: bob has not received that text yet.
    const selections = anchoredSelections([caret(1, 7)], alice, positionsOf(() => alice.text));
    const bobText = positionsOf(() => bob.text);
    assert.equal(offsetOfAnchor(bob, selections[0].head.relative!), undefined);
    assert.deepEqual(resolveSelections(selections, bob, bobText), [caret(1, 7)], 'line/character while unknown');
    bob.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'zero\n' }]);
    session.relay.release(session.guests[1].id);
    await session.relay.settle();
    assert.equal(bob.text, 'zero\none\nnew words two\n');
    assert.deepEqual(resolveSelections(selections, bob, bobText), [caret(2, 7)]);
  });

  it('ends without an anchor, or without a shared document, keep their line/character', async () => {
    const [, alice, bob] = await threeReplicas('x\ny\n');
    const anchored = anchoredSelections([caret(1, 1)], alice, positionsOf(() => alice.text));
    const mixed: Selection[] = [{ anchor: { line: 0, character: 0 }, head: anchored[0].head }];
    bob.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'new\n' }]);
    await session.relay.settle();
    assert.deepEqual(resolveSelections(mixed, bob, positionsOf(() => bob.text)), [{ anchor: { line: 0, character: 0 }, head: { line: 2, character: 1 } }]);
    assert.deepEqual(resolveSelections(mixed, undefined, positionsOf(() => bob.text)), [{ anchor: { line: 0, character: 0 }, head: { line: 1, character: 1 } }]);
    assert.equal(hasAnchors({ selections: [caret(0, 0)] }), false);
  });

  it('refuses garbage and positions in anything but the shared text before Yjs resolves them', () => {
    const calls: string[] = [];
    const document: AnchorDocument = {
      relativePosition: () => 'AA==',
      absolutePosition: (relative) => {
        calls.push(relative);
        return 0;
      },
    };
    const other = new Y.Doc();
    const encode = (position: ReturnType<typeof Y.createRelativePositionFromTypeIndex>) => Buffer.from(Y.encodeRelativePosition(position)).toString('base64url');
    const otherRoot = encode(Y.createRelativePositionFromTypeIndex(other.getText('evil'), 0));
    other.getText('evil').insert(0, 'abc');
    const nested = new Y.Doc();
    const map = nested.getMap('m');
    const inner = new Y.Text('inner');
    map.set('k', inner);
    const nestedType = encode(Y.createRelativePositionFromTypeIndex(inner, inner.length));
    for (const anchor of [otherRoot, nestedType, '!!!!', 'AAAAA', '_-_-_-', 'A'.repeat(33), '']) {
      assert.equal(offsetOfAnchor(document, anchor), undefined, anchor);
    }
    assert.deepEqual(calls, [], 'nothing reached the document');
    const textEnd = encode(Y.createRelativePositionFromTypeIndex(new Y.Doc().getText('text'), 0));
    assert.equal(offsetOfAnchor(document, textEnd), 0);
    assert.equal(calls.length, 1);
  });

  it('the schema takes anchored and plain selections and refuses oversized or garbage anchors', () => {
    const parse = (relative: unknown) => PresencePayloadSchema.safeParse({
      type: 'presence', file: 'a.txt', selections: [{ anchor: { line: 0, character: 0, relative }, head: { line: 0, character: 1 } }],
    });
    assert.ok(PresencePayloadSchema.safeParse({ type: 'presence', file: 'a.txt', selections: [caret(1, 2)] }).success, 'older peers');
    const good = parse('AJKb5NQKBgA');
    assert.ok(good.success);
    assert.equal(good.data.selections[0].anchor.relative, 'AJKb5NQKBgA');
    for (const bad of ['A'.repeat(33), 'A'.repeat(1000), 'AJKb5NQKBgA=', 'AJ+b/NQ', 'AAAAA', 'A', '', 'ab cd', 42, null]) {
      assert.equal(parse(bad).success, false, String(bad));
    }
  });

  it('keeps a presence within the budget by dropping anchors from the last selections, and it then fits the relay\'s cap sealed', () => {
    const relative = 'A'.repeat(30);
    const selections: Selection[] = Array.from({ length: 64 }, (_, index) => ({
      anchor: { line: 999_999 - index, character: 9_999, relative }, head: { line: 999_999, character: 9_999, relative },
    }));
    const presence = { file: `${'deep/'.repeat(60)}file.ts`, selections, visible: Array.from({ length: 8 }, () => ({ start: 999_000, end: 999_999 })) };
    const small = { file: 'a.txt', selections: selections.slice(0, 4) };
    assert.equal(withinPresenceBudget(small), small);
    const fitted = withinPresenceBudget(presence);
    const bytes = encodePayload({ type: 'presence', ...fitted });
    assert.ok(bytes.length <= PRESENCE_BUDGET_BYTES, `${bytes.length} bytes`);
    assert.ok(fitted.selections[0].head.relative !== undefined, 'the first selections keep theirs');
    assert.equal(fitted.selections[63].head.relative, undefined);
    assert.equal(presence.selections[63].head.relative, relative, 'the input is not changed');
    assert.ok(PresencePayloadSchema.safeParse({ type: 'presence', ...fitted }).success);
    const session = 'A'.repeat(22);
    const sealed = encryptedCodec(session, newPayloadKey()).seal('presence', 'participant1', bytes);
    assert.ok(sealed.length <= 16_384, `${sealed.length} base64 characters`);
  });
});
