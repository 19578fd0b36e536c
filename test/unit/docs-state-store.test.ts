/**
 * The host's kept document state (persistence.ts, file-state-store.ts) and the three-way text
 * merge behind a restarted host's source changes and a guest's rebase (text-merge.ts).
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { FileDocumentStateStore } from '../../client/docs/file-state-store';
import { DocumentJournal, restoreDocument } from '../../client/docs/persistence';
import { mergeTexts } from '../../client/docs/text-merge';
import { Y } from '../../client/docs/yjs';
import { RecordingLogger } from '../support/docs-harness';

const SESSION = 'AAAAAAAAAAAAAAAAAAAAAA';
const OTHER_SESSION = 'BBBBBBBBBBBBBBBBBBBBBB';

describe('document state store (files)', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'pairline-doc-state-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  function journalled(store: FileDocumentStateStore, file: string, text: string): { doc: InstanceType<typeof Y.Doc>; logger: RecordingLogger } {
    const doc = new Y.Doc();
    doc.getText('text').insert(0, text);
    const logger = new RecordingLogger();
    new DocumentJournal({ store, session: () => SESSION }, file, 'epoch-0123456789', text, doc, logger).start();
    return { doc, logger };
  }

  function reload(store: FileDocumentStateStore, file: string): string | undefined {
    const persisted = store.load(SESSION, file);
    if (!persisted) return undefined;
    const doc = new Y.Doc();
    assert.ok(restoreDocument(doc, persisted));
    return doc.getText('text').toString();
  }

  it('keeps every update as it is applied, and a reload rebuilds the same text, epoch and source text', () => {
    const store = new FileDocumentStateStore(directory);
    const { doc, logger } = journalled(store, 'src/a.ts', 'hello');
    const text = doc.getText('text');
    text.insert(5, ' world');
    text.delete(0, 1);
    text.insert(0, 'H');
    // A reload right after the last edit, without any shutdown: nothing lags.
    assert.equal(reload(store, 'src/a.ts'), 'Hello world');
    const persisted = store.load(SESSION, 'src/a.ts');
    assert.equal(persisted?.epoch, 'epoch-0123456789');
    assert.equal(persisted?.sourceText, 'hello');
    assert.equal(store.load(SESSION, 'src/other.ts'), undefined);
    assert.equal(logger.lines.length, 0);
  });

  it('ignores a torn last record (a write cut short)', () => {
    const store = new FileDocumentStateStore(directory);
    const { doc } = journalled(store, 'a.txt', 'abc');
    doc.getText('text').insert(3, 'd');
    const [file] = readdirSync(path.join(directory, SESSION));
    appendFileSync(path.join(directory, SESSION, file), Buffer.from([2, 0, 0, 1, 0, 7, 7]));
    assert.equal(reload(store, 'a.txt'), 'abcd');
  });

  it('compacts the log, so its size follows the document, not the number of edits', () => {
    const store = new FileDocumentStateStore(directory);
    const { doc } = journalled(store, 'a.txt', '');
    const text = doc.getText('text');
    for (let i = 0; i < 800; i++) {
      text.insert(text.length, `line ${i} ${'x'.repeat(100)}\n`);
      if (i % 3 === 0) text.delete(0, 2);
    }
    const [file] = readdirSync(path.join(directory, SESSION));
    const size = statSync(path.join(directory, SESSION, file)).size;
    assert.ok(size < 3 * Y.encodeStateAsUpdate(doc).byteLength + 80 * 1024, `log of ${size} bytes`);
    assert.ok((store.load(SESSION, 'a.txt')?.updates.length ?? 0) < 800, 'compacted at least once');
    assert.equal(reload(store, 'a.txt'), text.toString());
  });

  it('deletes other sessions\' state on first use, a session on request, and bounds the documents kept', () => {
    mkdirSync(path.join(directory, OTHER_SESSION));
    const store = new FileDocumentStateStore(directory, { maxDocuments: 3 });
    for (const name of ['1.txt', '2.txt', '3.txt', '4.txt']) journalled(store, name, name);
    assert.equal(existsSync(path.join(directory, OTHER_SESSION)), false, 'another session\'s state is stale');
    assert.equal(readdirSync(path.join(directory, SESSION)).length, 3);
    assert.equal(reload(store, '4.txt'), '4.txt', 'the newest document is kept');
    store.removeSession(SESSION);
    assert.equal(existsSync(path.join(directory, SESSION)), false);
  });

  it('keeps nothing until the session is known, then writes the whole state', () => {
    const store = new FileDocumentStateStore(directory);
    const known: { session?: string } = {};
    const doc = new Y.Doc();
    doc.getText('text').insert(0, 'before');
    new DocumentJournal({ store, session: () => known.session }, 'a.txt', 'epoch-0123456789', 'before', doc, new RecordingLogger()).start();
    doc.getText('text').insert(6, ' joined');
    assert.equal(existsSync(path.join(directory, SESSION)), false);
    known.session = SESSION;
    doc.getText('text').insert(13, '!');
    assert.equal(reload(store, 'a.txt'), 'before joined!');
  });
});

describe('three-way text merge', () => {
  it('applies both sides\' disjoint edits (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '\n', 'x', '😀'), maxLength: 40 });
    fc.assert(fc.property(text, text, text, text, text, (before, middle, after, ourInsert, theirInsert) => {
      // Ours replaces `before`, theirs replaces `after`; `|` between them is never touched.
      const base = `${before}|${middle}|${after}`;
      const ours = `${ourInsert}|${middle}|${after}`;
      const theirs = `${before}|${middle}|${theirInsert}`;
      assert.equal(mergeTexts(base, ours, theirs), `${ourInsert}|${middle}|${theirInsert}`);
    }), { numRuns: 300 });
  });

  it('takes the same change made on both sides once', () => {
    assert.equal(mergeTexts('saved', 'saved text', 'saved text'), 'saved text');
    assert.equal(mergeTexts('saved', 'saved text more', 'saved text'), 'saved text more');
  });

  it('keeps both sides\' text in a conflict, and does not bring back deleted text', () => {
    assert.equal(mergeTexts('one two three', 'one 2 three', 'one II three'), 'one 2II three');
    // Ours inserted inside a stretch theirs deleted: the insertion stays, the stretch stays gone.
    assert.equal(mergeTexts('keep [drop this] keep', 'keep [drop NEW this] keep', 'keep  keep'), 'keep NEW  keep');
  });
});
