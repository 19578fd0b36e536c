/**
 * Undo and redo of a participant's own edits: a peer's concurrent edits stay, the undo reaches
 * every replica and the undoing participant's editor (as a remote change), a viewer cannot undo,
 * and a heal starts a fresh history.
 */
import { strict as assert } from 'node:assert';
import { MAX_UNDO_STEPS, type SharedDocument, type TextEdit } from '../../client/docs/shared-document';
import { Y } from '../../client/docs/yjs';
import { applyEditsToString, createDocsSession, type DocsSession } from '../support/docs-harness';

interface Editor {
  readonly text: string;
  /** Edits typed in this editor: they change its buffer, then go into the document. */
  type(edits: readonly TextEdit[]): void;
}

/** An editor buffer bound to the document as a binding binds one: remote changes are applied to it. */
function editorOf(doc: SharedDocument): Editor {
  let text = doc.text;
  doc.onDidChangeRemote((change) => {
    text = applyEditsToString(text, change.edits);
  });
  return {
    get text() { return text; },
    type(edits) {
      text = applyEditsToString(text, edits);
      doc.applyLocalEdits(edits);
    },
  };
}

describe('document sync: undo and redo of one\'s own edits', () => {
  let session: DocsSession;
  afterEach(() => session?.dispose());

  async function open(path: string): Promise<SharedDocument[]> {
    const { host, guests, relay } = session;
    const hostDoc = await host.sync.open(path);
    const opening = guests.map((guest) => guest.sync.open(path));
    await relay.settle();
    return [hostDoc, ...await Promise.all(opening)];
  }

  it('undoes only A\'s typing while B typed concurrently, on every replica and in A\'s editor; redo restores it', async () => {
    session = createDocsSession({ files: { 'a.txt': 'one two' } });
    const { relay } = session;
    const [hostDoc, aliceDoc, bobDoc] = await open('a.txt');
    const aliceEditor = editorOf(aliceDoc);
    const bobEditor = editorOf(bobDoc);
    // Concurrent: neither has seen the other's edit when typing.
    aliceEditor.type([{ offset: 3, deleteCount: 0, insert: ' alice' }]);
    aliceEditor.type([{ offset: 9, deleteCount: 0, insert: '!' }]);
    bobEditor.type([{ offset: 7, deleteCount: 0, insert: ' bob' }, { offset: 0, deleteCount: 0, insert: '> ' }]);
    await relay.settle();
    const typed = '> one alice! two bob';
    for (const doc of [hostDoc, aliceDoc, bobDoc]) assert.equal(doc.text, typed);
    assert.equal(aliceEditor.text, typed);
    assert.equal(bobEditor.text, typed);

    assert.equal(bobDoc.canUndo, true);
    assert.equal(aliceDoc.canUndo, true);
    assert.equal(aliceDoc.undo(), true);
    assert.equal(aliceDoc.text, '> one two bob', 'Alice\'s two quick edits are one step; Bob\'s stay');
    assert.equal(aliceEditor.text, '> one two bob', 'the undo reaches Alice\'s editor as a change');
    assert.equal(aliceDoc.canUndo, false);
    assert.equal(aliceDoc.canRedo, true);
    await relay.settle();
    for (const doc of [hostDoc, aliceDoc, bobDoc]) assert.equal(doc.text, '> one two bob');
    assert.equal(bobEditor.text, '> one two bob', 'the undo reaches Bob\'s editor');

    assert.equal(aliceDoc.redo(), true);
    assert.equal(aliceEditor.text, typed);
    await relay.settle();
    for (const doc of [hostDoc, aliceDoc, bobDoc]) assert.equal(doc.text, typed);
    assert.equal(bobEditor.text, typed, 'the redo reaches Bob\'s editor');
    assert.equal(aliceDoc.redo(), false, 'nothing more to redo');

    // Bob's undo takes back his own edits, not Alice's redone ones.
    assert.equal(bobDoc.undo(), true);
    await relay.settle();
    for (const doc of [hostDoc, aliceDoc, bobDoc]) assert.equal(doc.text, 'one alice! two');
    assert.equal(aliceEditor.text, 'one alice! two');
    assert.equal(bobEditor.text, 'one alice! two', 'Bob\'s own undo reaches his editor');
    assert.equal(session.all.reduce((sum, peer) => sum + peer.sync.heals, 0), 0);
  });

  it('separates steps where the editor ends one, and an undo is published even when edits of the same tick are coalesced', async () => {
    session = createDocsSession({ files: { 'a.txt': '' } });
    const { relay } = session;
    const [hostDoc, aliceDoc] = await open('a.txt');
    aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'first' }]);
    aliceDoc.endUndoStep();
    aliceDoc.applyLocalEdits([{ offset: 5, deleteCount: 0, insert: ' second' }]);
    // In the same tick as the edits: merged into their batch, and still sent.
    assert.equal(aliceDoc.undo(), true);
    assert.equal(aliceDoc.text, 'first');
    await relay.settle();
    assert.equal(hostDoc.text, 'first');
    assert.equal(aliceDoc.undo(), true);
    assert.equal(aliceDoc.text, '');
    assert.equal(aliceDoc.undo(), false, 'nothing more to undo');
    await relay.settle();
    assert.equal(hostDoc.text, '');
    // A new edit after undoing drops what could have been redone.
    aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'new' }]);
    assert.equal(aliceDoc.canRedo, false);
    await relay.settle();
    assert.equal(hostDoc.text, 'new');
  });

  it('keeps at most MAX_UNDO_STEPS (+1) steps', async () => {
    session = createDocsSession({ files: { 'a.txt': '' } });
    const [, aliceDoc] = await open('a.txt');
    for (let step = 0; step < MAX_UNDO_STEPS + 20; step++) {
      aliceDoc.endUndoStep();
      aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: aliceDoc.text.length, insert: `${step}` }]);
    }
    let undone = 0;
    while (aliceDoc.undo()) undone++;
    assert.equal(undone, MAX_UNDO_STEPS + 1);
    assert.equal(aliceDoc.text, '18', 'the oldest steps are gone: undo stops at the text they left');
  });

  it('a viewer cannot undo or redo, not even the edits made while an editor', async () => {
    session = createDocsSession({ files: { 'a.txt': 'text' }, guests: [{ name: 'alice', role: 'editor' }, { name: 'vera', role: 'editor' }] });
    const { relay, guests: [, vera] } = session;
    const [hostDoc, aliceDoc, veraDoc] = await open('a.txt');
    veraDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: 'vera: ' }]);
    aliceDoc.applyLocalEdits([{ offset: 4, deleteCount: 0, insert: '!' }]);
    await relay.settle();
    assert.equal(veraDoc.canUndo, true);
    relay.setRole(vera.id, 'viewer');
    assert.equal(veraDoc.readOnly, true);
    assert.equal(veraDoc.canUndo, false);
    assert.equal(veraDoc.undo(), false);
    assert.equal(veraDoc.redo(), false);
    await relay.settle();
    for (const doc of [hostDoc, aliceDoc, veraDoc]) assert.equal(doc.text, 'vera: text!', 'a viewer\'s undo changes nothing');
    relay.setRole(vera.id, 'editor');
    assert.equal(veraDoc.undo(), true, 'an editor again, Vera can undo her edit');
    await relay.settle();
    for (const doc of [hostDoc, aliceDoc, veraDoc]) assert.equal(doc.text, 'text!');
  });

  it('starts with an empty history after a heal', async () => {
    session = createDocsSession({ files: { 'a.txt': 'base' } });
    const { relay } = session;
    const [hostDoc, aliceDoc] = await open('a.txt');
    aliceDoc.applyLocalEdits([{ offset: 4, deleteCount: 0, insert: ' typed' }]);
    await relay.settle();
    assert.equal(aliceDoc.canUndo, true);
    // What the engine does on a desync: replace Alice's copy with the host's state.
    aliceDoc.startRecording();
    aliceDoc.replaceWith(Y.encodeStateAsUpdate(hostDoc.yDoc));
    assert.equal(aliceDoc.text, 'base typed');
    assert.equal(aliceDoc.canUndo, false);
    assert.equal(aliceDoc.undo(), false);
    assert.equal(aliceDoc.text, 'base typed');
    // Edits after the heal are undoable again.
    aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: '> ' }]);
    assert.equal(aliceDoc.undo(), true);
    await relay.settle();
    assert.equal(hostDoc.text, 'base typed');
    assert.equal(aliceDoc.text, 'base typed');
  });
});
