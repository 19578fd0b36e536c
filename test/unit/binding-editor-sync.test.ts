/**
 * EditorSync (client/binding/editor-sync.ts) against a fake editor that behaves like VS Code's
 * `workspace.applyEdit`: an apply is refused when the text changed since it was issued, and the
 * change event of an applied edit comes before its promise resolves. Random interleavings of
 * typing, remote changes and apply deliveries must end with editor text === shared text, no
 * reconcile, and every typed insert present.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EditorSync, type EditorPort, type SharedTextPort } from '../../client/binding/editor-sync';
import type { TextEdit } from '../../client/docs';
import { silentLogger } from '../../client/ports';

const SEED = Number(process.env.PAIRLINE_SEED ?? 20261128);

function splice(text: string, edits: readonly TextEdit[]): string {
  // Ascending edits in the coordinates of `text`: apply right to left.
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.offset - a.offset)) {
    result = result.slice(0, edit.offset) + edit.insert + result.slice(edit.offset + edit.deleteCount);
  }
  return result;
}

class FakeShared implements SharedTextPort {
  readOnly = false;
  constructor(public text: string) {}
  applyLocalEdits(edits: readonly TextEdit[]): void {
    if (this.readOnly) throw new Error('read-only');
    this.text = splice(this.text, edits);
  }
}

/**
 * Like VS Code with a remote extension host: the main thread holds the model and its version;
 * the extension host sees changes only when their events arrive, in order; an apply carries the
 * version the extension host knew and is refused when the model moved on; its answer and its
 * change event travel separately (either may arrive first).
 */
class FakeEditor implements EditorPort {
  private main: string;
  private mainVersion = 0;
  private seen: string;
  private seenVersion = 0;
  private readonly events: { changes: TextEdit[]; textAfter: string }[] = [];
  private readonly applies: { edits: TextEdit[]; version: number; resolve: (applied: boolean) => void }[] = [];
  sync: EditorSync | undefined;

  constructor(content: string) {
    this.main = content;
    this.seen = content;
  }

  /** The model's text (what the user sees). */
  get content(): string {
    return this.main;
  }

  get busy(): boolean {
    return this.events.length > 0 || this.applies.length > 0;
  }

  apply(edits: TextEdit[]): Promise<boolean> {
    return new Promise((resolve) => this.applies.push({ edits, version: this.seenVersion, resolve }));
  }

  text(): string {
    return this.seen;
  }

  /** The main thread gets to the oldest apply: refused if the model changed since. */
  deliverApply(): void {
    const next = this.applies.shift();
    if (!next) return;
    if (next.version !== this.mainVersion) {
      next.resolve(false);
      return;
    }
    this.change([...next.edits].sort((a, b) => b.offset - a.offset));
    next.resolve(true);
  }

  /** The oldest change event reaches the extension host. */
  deliverEvent(): void {
    const next = this.events.shift();
    if (!next) return;
    this.seen = next.textAfter;
    this.seenVersion++;
    this.sync?.editorChanged(next.changes, next.textAfter);
  }

  /** A change of the model (as VS Code reports it: edits applied one after another). */
  change(sequential: TextEdit[]): void {
    for (const edit of sequential) this.main = splice(this.main, [edit]);
    this.mainVersion++;
    this.events.push({ changes: sequential, textAfter: this.main });
  }
}

async function settle(editor: FakeEditor, sync: EditorSync): Promise<void> {
  for (let round = 0; round < 1000 && !(sync.idle && !editor.busy); round++) {
    editor.deliverEvent();
    editor.deliverApply();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

type Step =
  | { type: 'type'; at: number; text: string }
  | { type: 'multi'; at: number }
  | { type: 'delete'; at: number; length: number }
  | { type: 'remote'; at: number; text: string; deleteCount: number }
  | { type: 'deliver'; event: boolean };

const steps = fc.array(fc.oneof(
  fc.record({ type: fc.constant('type' as const), at: fc.nat(), text: fc.constantFrom('a', 'b', '\r\n', '😀') }),
  fc.record({ type: fc.constant('multi' as const), at: fc.nat() }),
  fc.record({ type: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ type: fc.constant('remote' as const), at: fc.nat(), text: fc.constantFrom('R', 'S\r\n', ''), deleteCount: fc.nat(3) }),
  fc.record({ type: fc.constant('deliver' as const), event: fc.boolean() }),
), { maxLength: 40 });

/** A one-character marker (private use area), so no later insert can split it. */
function marker(index: number): string {
  return String.fromCharCode(0xe000 + index);
}

/** An offset of `text` not inside a surrogate pair or a CRLF. */
function safeOffset(text: string, raw: number): number {
  let at = raw % (text.length + 1);
  while (at > 0 && at < text.length && (/[\uDC00-\uDFFF]/.test(text[at]) || (text[at - 1] === '\r' && text[at] === '\n'))) at--;
  return at;
}

function safeEnd(text: string, start: number, length: number): number {
  return safeOffset(text, Math.min(text.length, start + length));
}

describe('binding: editor sync with racing applies', () => {
  it('converges under random typing, remote changes and refused applies', async () => {
    let counter = 0;
    await fc.assert(fc.asyncProperty(steps, async (plan: Step[]) => {
      counter = 0;
      const shared = new FakeShared('hello\r\nworld');
      const editor = new FakeEditor('hello\r\nworld');
      const sync = new EditorSync(shared, editor, editor.text(), silentLogger);
      editor.sync = sync;
      const typed: string[] = [];
      const removed = { any: false };
      for (const step of plan) {
        if (step.type === 'deliver') {
          if (step.event) editor.deliverEvent();
          else editor.deliverApply();
          await Promise.resolve();
        } else if (step.type === 'type') {
          const mark = marker(counter++);
          typed.push(mark);
          const at = safeOffset(editor.content, step.at);
          editor.change([{ offset: at, deleteCount: 0, insert: `${mark}${step.text}` }]);
        } else if (step.type === 'multi') {
          const first = safeOffset(editor.content, step.at);
          const second = safeOffset(editor.content, step.at * 7 + 3);
          if (first === second) continue;
          const [low, high] = first < second ? [first, second] : [second, first];
          const markers = [marker(counter++), marker(counter++)];
          typed.push(...markers);
          editor.change([{ offset: high, deleteCount: 0, insert: markers[1] }, { offset: low, deleteCount: 0, insert: markers[0] }]);
        } else if (step.type === 'delete') {
          const start = safeOffset(editor.content, step.at);
          const end = safeEnd(editor.content, start, step.length);
          if (end <= start) continue;
          removed.any = true;
          editor.change([{ offset: start, deleteCount: end - start, insert: '' }]);
        } else {
          const at = safeOffset(shared.text, step.at);
          const end = safeEnd(shared.text, at, step.deleteCount);
          if (end > at) removed.any = true;
          const edit = { offset: at, deleteCount: end - at, insert: step.text };
          shared.text = splice(shared.text, [edit]);
          sync.remoteChanged([edit]);
        }
      }
      await settle(editor, sync);
      assert.ok(sync.idle, 'the binding settled');
      assert.equal(editor.content, shared.text, 'the editor shows the shared text');
      assert.equal(sync.reconciles, 0, 'no reconcile was needed');
      if (!removed.any) for (const mark of typed) assert.ok(shared.text.includes(mark), `typed text ${mark.charCodeAt(0) - 0xe000} survived`);
    }), { seed: SEED, numRuns: 300 });
  });

  it('a guest editor opened on stale disk text is brought to the shared text', async () => {
    const shared = new FakeShared('line one\r\nline two, edited by the host\r\n');
    const editor = new FakeEditor('line one\r\nline two\r\n');
    const sync = new EditorSync(shared, editor, editor.content, silentLogger);
    editor.sync = sync;
    await settle(editor, sync);
    assert.equal(editor.content, shared.text);
  });

  it('a refused local edit (viewer) puts the editor back to the shared text', async () => {
    const shared = new FakeShared('read only');
    shared.readOnly = true;
    const editor = new FakeEditor('read only');
    const refusals: string[] = [];
    const sync = new EditorSync(shared, editor, editor.content, silentLogger, (error) => refusals.push(error.message));
    editor.sync = sync;
    editor.change([{ offset: 0, deleteCount: 0, insert: 'x' }]);
    await settle(editor, sync);
    assert.equal(editor.content, 'read only');
    assert.equal(shared.text, 'read only');
    assert.equal(refusals.length, 1, 'the owner is told, so it can tell the user why the edit was undone');
  });

  it('a large paste travels as one change', async () => {
    const shared = new FakeShared('');
    const editor = new FakeEditor('');
    const sync = new EditorSync(shared, editor, '', silentLogger);
    editor.sync = sync;
    const paste = 'x'.repeat(200_000);
    editor.change([{ offset: 0, deleteCount: 0, insert: paste }]);
    const edit = { offset: 100_000, deleteCount: 0, insert: 'remote' };
    shared.text = splice(shared.text, [edit]);
    sync.remoteChanged([edit]);
    await settle(editor, sync);
    assert.equal(editor.content.length, 200_006);
    assert.equal(editor.content, shared.text);
  });
});
