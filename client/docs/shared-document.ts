/**
 * One shared document as a binding (VS Code, the CLI, a test) sees it: the text, local edits in,
 * remote changes out, relative positions for cursors. The Yjs document behind it belongs to the
 * engine ({@link DocumentSync}); a heal may swap it for the host's copy, which is invisible here
 * except as one remote change flagged `heal`.
 */
import { Y, type Doc, type Text, type Transaction, type YTextEvent } from './yjs';
import { Emitter, type Disposable, type Event } from '../events';
import {
  deltaToEdits, diffAsEdit, hasSurrogates, LazyText, orderEditsForApplication, splitsSurrogatePair,
  type TextEdit, type TextLike,
} from './text-edits';
import { TEXT_NAME, fromBase64, textHash, toBase64 } from './yjs-codec';

export type { TextEdit } from './text-edits';

export interface RemoteChange {
  /** Ascending, non-overlapping edits in the coordinates of the text before the change. */
  readonly edits: readonly TextEdit[];
  /**
   * The whole text right after the change (also when read after later changes). Built on first
   * read, so listeners that only need `edits` cost nothing per change.
   */
  readonly text: string;
  /**
   * True when our copy was replaced by the host's: a heal (see DocumentSync.heals) or the host
   * having reloaded the document (its process restarted).
   */
  readonly heal: boolean;
}

export interface SaveEvent {
  /** True when the saved text is the current text (the editor can show the document clean). */
  readonly clean: boolean;
}

/** What a document needs from the engine that owns it. */
export interface DocumentOwner {
  /** Publishes a local Yjs update (best effort: offline edits stay in the document). */
  publishLocal(path: string, update: Uint8Array): void;
  readOnly(): boolean;
  /** A fresh Yjs document with a client id of our choosing. */
  createYDoc(): Doc;
  save(path: string): Promise<void>;
  release(path: string): void;
}

/**
 * Longest insert (UTF-16 code units) in one update: even at 3 UTF-8 bytes per unit, base64 and
 * encryption, an update stays far below the relay's 1 MiB frame limit.
 */
export const MAX_INSERT_PER_UPDATE = 64 * 1024;

/**
 * Local updates produced in one tick (after the first, which goes at once) are merged into one
 * message, up to this many update bytes; beyond, the batch goes and a new one starts, so a merged
 * update stays far below the relay's frame limit too.
 */
export const MAX_COALESCED_UPDATE_BYTES = 64 * 1024;

/** The first `limit` units of `text` (never half a surrogate pair) and the rest. */
function splitInsert(text: string, limit = MAX_INSERT_PER_UPDATE): { head: string; rest: string } {
  if (text.length <= limit) return { head: text, rest: '' };
  const cut = splitsSurrogatePair(text, limit) ? limit - 1 : limit;
  return { head: text.slice(0, cut), rest: text.slice(cut) };
}

/** Transaction origins: local edits are published, everything else is not. */
const LOCAL = Symbol('local');
const REMOTE = Symbol('remote');

/** Local edits closer together than this are undone as one step (a burst of typing). */
export const UNDO_CAPTURE_MS = 500;

/**
 * Undo steps kept; older ones are dropped (and the text they deleted is no longer kept for them),
 * so a long session's undo history costs bounded memory.
 */
export const MAX_UNDO_STEPS = 300;

type UndoManager = InstanceType<typeof Y.UndoManager>;

export class SharedDocument implements Disposable {
  private doc: Doc;
  private ytext: Text;
  private readonly remoteEmitter = new Emitter<RemoteChange>();
  private readonly saveEmitter = new Emitter<SaveEvent>();
  private detach: () => void = () => {};
  /** Updates (local and remote) applied while a heal is in flight, re-applied on the host's copy. */
  private recording: Uint8Array[] | undefined;
  /** The text, built from Yjs only when read (see LazyText). */
  private readonly lazyText = new LazyText(() => this.ytext.toString());
  /**
   * False while the text surely holds no surrogate: local edits are then checked against the
   * length alone instead of building the text. Set by any insert holding one; reset by a heal.
   */
  private mayHoldSurrogates = false;
  /** The edits of the local transaction running now, in the coordinates before it. */
  private localEdits: readonly TextEdit[] | undefined;
  /** Local updates of this tick waiting to be merged and published (the first went at once). */
  private outgoing: Uint8Array[] = [];
  private outgoingBytes = 0;
  /** True from the first local update of a tick until the microtask that publishes the rest. */
  private tickOpen = false;
  private references = 0;
  private disposed = false;
  /**
   * Undoes and redoes our own edits only (tracked origin LOCAL): a peer's edits stay. Its
   * transactions are published like local edits and reach the editor like remote changes.
   */
  private undoManager!: UndoManager;

  /** Fires for every change that did not come from {@link applyLocalEdits}. */
  readonly onDidChangeRemote: Event<RemoteChange> = this.remoteEmitter.event;
  /** Fires when the host wrote the document to disk (after anyone's save). */
  readonly onDidSave: Event<SaveEvent> = this.saveEmitter.event;

  /** @internal Created by DocumentSync only. */
  constructor(readonly path: string, private readonly owner: DocumentOwner) {
    const doc = owner.createYDoc();
    this.doc = doc;
    this.ytext = doc.getText(TEXT_NAME);
    this.attach();
  }

  get text(): string {
    return this.lazyText.value;
  }

  /** True while we may not edit (viewer role). Local edits then throw. */
  get readOnly(): boolean {
    return this.owner.readOnly();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True when {@link undo} has one of our own edits to revert. */
  get canUndo(): boolean {
    return !this.disposed && !this.readOnly && this.undoManager.canUndo();
  }

  /** True when {@link redo} has an undone edit of ours to apply again. */
  get canRedo(): boolean {
    return !this.disposed && !this.readOnly && this.undoManager.canRedo();
  }

  /**
   * Reverts our last group of local edits (peers' edits made since stay), publishes the result
   * and reports it through {@link onDidChangeRemote}, so that the editor applies it. False when
   * there was nothing to undo, or when read-only or closed.
   */
  undo(): boolean {
    if (!this.canUndo) return false;
    return this.undoManager.undo() !== null;
  }

  /** Applies again what {@link undo} reverted, like it does. False when there was nothing to redo. */
  redo(): boolean {
    if (!this.canRedo) return false;
    return this.undoManager.redo() !== null;
  }

  /**
   * Makes the next local edit start a new undo step, even within {@link UNDO_CAPTURE_MS} of the
   * last one (an editor's own reasons: the cursor moved, a command ran).
   */
  endUndoStep(): void {
    this.undoManager.stopCapturing();
  }

  /**
   * Applies edits made here (typing, paste, multi-cursor) as one transaction and publishes them
   * (inserts longer than {@link MAX_INSERT_PER_UPDATE} continue in further transactions). Every
   * offset refers to the current text, before any of these edits. Throws a RangeError for invalid
   * edits and an Error when read-only; the document is unchanged then.
   */
  applyLocalEdits(edits: readonly TextEdit[]): void {
    if (this.disposed) throw new Error(`${this.path} is closed`);
    if (this.readOnly) throw new Error(`${this.path} is read-only: viewers cannot edit`);
    const ordered = orderEditsForApplication(this.validationText(), edits);
    if (ordered.every((edit) => edit.deleteCount === 0 && edit.insert === '')) return;
    // The first transaction carries every delete and at most MAX_INSERT_PER_UPDATE inserted units.
    let budget = MAX_INSERT_PER_UPDATE;
    const heads = ordered.map((edit) => {
      const split = splitInsert(edit.insert, budget);
      budget -= split.head.length;
      return split;
    });
    // Ascending, in the coordinates before the transaction: what the text cache replays.
    const applied = ordered.map((edit, index) => ({ offset: edit.offset, deleteCount: edit.deleteCount, insert: heads[index].head })).reverse();
    this.transactLocal(applied, () => {
      ordered.forEach((edit, index) => {
        if (edit.deleteCount > 0) this.ytext.delete(edit.offset, edit.deleteCount);
        if (heads[index].head !== '') this.ytext.insert(edit.offset, heads[index].head);
      });
    });
    // Long inserts (large pastes) continue in further transactions, so that no single update
    // outgrows a relay frame. Where each one continues, in the text after the first transaction:
    const tails: { at: number; rest: string }[] = [];
    let shift = 0;
    for (let index = ordered.length - 1; index >= 0; index--) {
      const { head, rest } = heads[index];
      const start = ordered[index].offset + shift;
      shift += head.length - ordered[index].deleteCount;
      if (rest !== '') tails.push({ at: start + head.length, rest });
    }
    // Right to left, so that each tail's position is still valid when it goes in.
    for (const tail of tails.reverse()) {
      let at = tail.at;
      let rest = tail.rest;
      while (rest !== '') {
        const piece = splitInsert(rest);
        const position = at;
        this.transactLocal([{ offset: position, deleteCount: 0, insert: piece.head }], () => this.ytext.insert(position, piece.head));
        at += piece.head.length;
        rest = piece.rest;
      }
    }
  }

  /**
   * A position that follows its character while others type: serialisable (base64), so presence
   * can carry it. `assoc` < 0 sticks to the character before the offset, ≥ 0 to the one after.
   */
  relativePosition(offset: number, assoc = 0): string {
    const clamped = Math.max(0, Math.min(offset, this.ytext.length));
    return toBase64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(this.ytext, clamped, assoc)));
  }

  /** Where a relative position is now, or undefined if it is malformed or unknown here. */
  absolutePosition(relative: string): number | undefined {
    try {
      const position = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64(relative)), this.doc);
      return position && position.type === this.ytext ? position.index : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes the document to disk on the host (a guest asks the host). Resolves once saved. */
  save(): Promise<void> {
    // The host must have every edit made before the save.
    this.flushLocal();
    return this.owner.save(this.path);
  }

  /** Releases this handle; the engine closes the document once every handle is released. */
  dispose(): void {
    if (this.disposed) return;
    this.references--;
    if (this.references > 0) return;
    this.flushLocal();
    this.disposed = true;
    this.owner.release(this.path);
  }

  // -------------------------------------------------------------------------------------------
  // For DocumentSync

  /**
   * @internal Which copy of the host's document this replica descends from (see StateSchema.epoch):
   * set by the host when it loads the document, learnt by a guest from the host's first state.
   */
  epoch: string | undefined;

  /** @internal */
  retain(): void {
    this.references++;
  }

  /** @internal */
  get yDoc(): Doc {
    return this.doc;
  }

  /** @internal Loads the authoritative text into an empty document (host, first open). */
  initialise(text: string): void {
    this.doc.transact(() => this.ytext.insert(0, text), REMOTE);
  }

  /** @internal Applies a checked remote update; throws only if Yjs does. */
  applyRemote(update: Uint8Array): void {
    // While healing, the host's copy may predate this update: keep it to re-apply.
    this.recording?.push(update);
    Y.applyUpdate(this.doc, update, REMOTE);
  }

  /** @internal Starts keeping local updates for {@link replaceWith}. */
  startRecording(): void {
    this.recording = [];
  }

  /** @internal Whether a heal is waiting for the host's copy. */
  get healing(): boolean {
    return this.recording !== undefined;
  }

  /**
   * @internal Drops our Yjs document for the host's full state. Only the local edits made since
   * the heal started are re-applied (the host may not have had them when it answered); nothing of
   * the corrupt copy is.
   */
  replaceWith(fullState: Uint8Array): void {
    const before = this.text;
    const pending = this.recording ?? [];
    this.recording = undefined;
    const fresh = this.owner.createYDoc();
    Y.applyUpdate(fresh, fullState, REMOTE);
    for (const update of pending) Y.applyUpdate(fresh, update, REMOTE);
    this.detach();
    this.doc.destroy();
    this.doc = fresh;
    this.ytext = fresh.getText(TEXT_NAME);
    this.attach();
    const after = this.ytext.toString();
    this.lazyText.reset(after);
    this.mayHoldSurrogates = hasSurrogates(after);
    this.remoteEmitter.fire({ edits: diffAsEdit(before, after), text: after, heal: true });
  }

  /** @internal */
  notifySaved(hash: string): void {
    this.saveEmitter.fire({ clean: textHash(this.text) === hash });
  }

  /** @internal Called by the engine when it closes the document. */
  destroy(): void {
    this.flushLocal();
    this.disposed = true;
    this.detach();
    this.doc.destroy();
    this.remoteEmitter.dispose();
    this.saveEmitter.dispose();
  }

  /**
   * @internal Publishes the local updates of this tick not yet sent, merged into one. Also run
   * before anything that must follow them (a save, closing the document).
   */
  flushLocal(): void {
    if (this.outgoing.length === 0) return;
    const updates = this.outgoing;
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.owner.publishLocal(this.path, updates.length === 1 ? updates[0] : Y.mergeUpdates(updates));
  }

  /**
   * Publishes a local update: the first of a tick at once (a keystroke waits for nothing), the
   * rest of the tick merged into one message (a burst of edits — multi-cursor typing, a
   * formatter, a script — costs one message, not one per transaction).
   */
  private publishLocal(update: Uint8Array): void {
    if (!this.tickOpen) {
      this.tickOpen = true;
      queueMicrotask(() => {
        this.tickOpen = false;
        this.flushLocal();
      });
      this.owner.publishLocal(this.path, update);
      return;
    }
    if (this.outgoingBytes + update.length > MAX_COALESCED_UPDATE_BYTES) this.flushLocal();
    this.outgoing.push(update);
    this.outgoingBytes += update.length;
  }

  private transactLocal(edits: readonly TextEdit[], change: () => void): void {
    // Outside any transaction (Yjs runs its undo bookkeeping while cleaning one up).
    this.dropOldUndoSteps();
    this.noteInserts(edits);
    this.localEdits = edits;
    try {
      this.doc.transact(change, LOCAL);
    } finally {
      this.localEdits = undefined;
    }
  }

  /**
   * What local edits are checked against: the text itself when it may hold surrogates (an edit
   * must not split a pair), else just its length, which Yjs knows without building the text.
   */
  private validationText(): TextLike {
    if (this.mayHoldSurrogates) return this.text;
    return { length: this.ytext.length, charCodeAt: () => 0 };
  }

  private noteInserts(edits: readonly TextEdit[]): void {
    if (!this.mayHoldSurrogates && edits.some((edit) => hasSurrogates(edit.insert))) this.mayHoldSurrogates = true;
  }

  private attach(): void {
    // A fresh document (first attach, heal) starts with an empty undo history.
    const undoManager = new Y.UndoManager(this.ytext, { trackedOrigins: new Set([LOCAL]), captureTimeout: UNDO_CAPTURE_MS });
    this.undoManager = undoManager;
    const onUpdate = (update: Uint8Array, origin: unknown): void => {
      if (origin !== LOCAL && origin !== undoManager) return;
      this.recording?.push(update);
      this.publishLocal(update);
    };
    const onText = (event: YTextEvent, transaction: Transaction): void => {
      if (transaction.origin === LOCAL) {
        // Unset only if this transaction was nested in another one: then rebuild on the next read.
        if (this.localEdits) {
          this.lazyText.record(this.localEdits);
        } else {
          this.lazyText.forget();
        }
        return;
      }
      // Remote edits, and our own undo/redo: the editor has not seen either.
      const edits = deltaToEdits(event.delta);
      if (edits.length === 0) return;
      this.noteInserts(edits);
      this.remoteEmitter.fire(remoteChange(edits, this.lazyText.recordWithSnapshot(edits)));
    };
    this.doc.on('update', onUpdate);
    this.ytext.observe(onText);
    const doc = this.doc;
    const ytext = this.ytext;
    this.detach = () => {
      doc.off('update', onUpdate);
      ytext.unobserve(onText);
      undoManager.destroy();
    };
  }

  /**
   * Forgets the oldest undo steps beyond {@link MAX_UNDO_STEPS} (checked before each local edit,
   * so the history holds at most one more). The text they deleted was marked to be kept for them;
   * the mark goes, as Yjs' own `clear()` removes it.
   */
  private dropOldUndoSteps(): void {
    const undoManager = this.undoManager;
    const excess = undoManager.undoStack.length - MAX_UNDO_STEPS;
    if (excess <= 0) return;
    const dropped = undoManager.undoStack.splice(0, excess);
    const ytext = this.ytext;
    Y.transact(this.doc, (transaction) => {
      for (const step of dropped) {
        Y.iterateDeletedStructs(transaction, step.deletions, (struct) => {
          if (struct instanceof Y.Item && struct.parent === ytext) struct.keep = false;
        });
      }
    }, REMOTE);
  }
}

/** A change whose `text` is built when first read. */
function remoteChange(edits: readonly TextEdit[], textAfter: () => string): RemoteChange {
  return {
    edits,
    heal: false,
    get text() {
      return textAfter();
    },
  };
}
