/**
 * Keeps one editor buffer and one shared document equal, when applying a change to the editor is
 * asynchronous and can be refused (VS Code's `workspace.applyEdit` fails when the document changed
 * since: the user typed in between). No vscode here: the VS Code binding and the unit tests drive
 * it through {@link EditorPort}.
 *
 * The state: `shadow` is the editor text as last reported; `pending` is the remote change not yet
 * in the editor, so apply(shadow, [inFlight,] pending) is always the shared text. The user's
 * changes arrive relative to `shadow`; they are moved past the remote changes the editor has not
 * seen (`transform`) before they go into the shared document, and the pending remote changes are
 * moved past them in turn. Our own applied edits are recognised by the text they produce, never
 * by a flag that could race with typing.
 */
import type { Logger } from '../ports';
import type { TextEdit } from '../docs';
import {
  applyDelta, compose, deltaOfEdits, deltaOfSequentialEdits, diffDelta, editsOfDelta, isIdentity, transform, type Delta,
} from './text-delta';

/** The editor side: applies edits given in the coordinates of the text last reported. */
export interface EditorPort {
  /** Resolves true once applied, false when refused (the text changed meanwhile, or it closed). */
  apply(edits: TextEdit[]): Promise<boolean>;
  /** The editor's current text (used to recover from the unexpected). */
  text(): string;
}

/** The shared side (a SharedDocument). */
export interface SharedTextPort {
  readonly text: string;
  /** Offsets in the current text; throws when refused (viewers). */
  applyLocalEdits(edits: readonly TextEdit[]): void;
}

interface InFlight {
  readonly delta: Delta;
  readonly expected: string;
  /** The editor reported the change (its text became `expected`). */
  confirmed: boolean;
  /** The user changed the editor first: this edit will be refused; its delta was folded back. */
  doomed: boolean;
  /** The editor said it applied the edit; its change event is still to come. */
  applied: boolean;
}

/** Refused applies in a row before giving up until the next change. */
const MAX_RETRIES = 5;

export class EditorSync {
  private shadow: string;
  private pending: Delta = [];
  private inFlight: InFlight | undefined;
  private retries = 0;
  private disposed = false;
  private idleWaiters: (() => void)[] = [];
  /** Times the editor and the shared text had to be reconciled by a diff (should stay 0). */
  reconciles = 0;

  /**
   * @param onRefused told when a local edit was refused and undone in the editor (a viewer typed
   * into an editor it had made writable, or the document closed), so the user can be told why.
   */
  constructor(
    private readonly shared: SharedTextPort,
    private readonly editor: EditorPort,
    editorText: string,
    private readonly logger: Logger,
    private readonly onRefused: (error: Error) => void = () => undefined,
  ) {
    this.shadow = editorText;
    this.pending = diffDelta(editorText, shared.text);
    this.flush();
  }

  /** True when the editor shows the shared text and nothing is on its way. */
  get idle(): boolean {
    return this.inFlight === undefined && isIdentity(this.pending);
  }

  /** Resolves once idle (or disposed). */
  whenIdle(): Promise<void> {
    if (this.idle || this.disposed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A remote change of the shared text: edits in the coordinates of the shared text before it. */
  remoteChanged(edits: readonly TextEdit[]): void {
    if (this.disposed) return;
    this.pending = compose(this.pending, deltaOfEdits(edits));
    this.retries = 0;
    this.flush();
  }

  /**
   * The editor changed: `changes` as the editor reports them (applied one after another to the
   * text before), and its text afterwards.
   */
  editorChanged(changes: readonly TextEdit[], textAfter: string): void {
    if (this.disposed) return;
    const flight = this.inFlight;
    if (flight && !flight.confirmed && !flight.doomed && textAfter === flight.expected) {
      flight.confirmed = true;
      this.shadow = textAfter;
      if (flight.applied) {
        this.inFlight = undefined;
        this.flush();
      }
      return;
    }
    if (flight?.applied) {
      // Our applied edit must be the next change: this one is not it (or it was applied on top
      // of a change that came first), so we lost track.
      this.inFlight = undefined;
      this.shadow = textAfter;
      this.resync();
      return;
    }
    let local: Delta;
    try {
      local = deltaOfSequentialEdits(changes);
      if (applyDelta(this.shadow, local) !== textAfter) throw new RangeError('the change does not fit the text we know');
    } catch (err) {
      // We lost track of the editor (a change we never saw): its text now is what counts.
      this.reconciles++;
      this.logger.warn('editor text out of step with the document binding: reconciling by diff', { error: (err as Error).message });
      local = diffDelta(this.shadow, textAfter);
    }
    // Remote changes the editor has not shown yet, relative to the shadow.
    let remote = this.pending;
    if (flight && !flight.confirmed && !flight.doomed) {
      remote = compose(flight.delta, this.pending);
      flight.doomed = true;
    }
    try {
      this.shared.applyLocalEdits(editsOfDelta(transform(local, remote, false)));
      this.pending = transform(remote, local, true);
    } catch (err) {
      // Refused (a viewer, or the document closed): put the editor back to the shared text.
      this.logger.warn('a local edit was refused; restoring the shared text', { error: (err as Error).message });
      this.pending = diffDelta(textAfter, this.shared.text);
      this.onRefused(err instanceof Error ? err : new Error(String(err)));
    }
    this.shadow = textAfter;
    this.retries = 0;
    this.flush();
  }

  dispose(): void {
    this.disposed = true;
    this.wakeIdle();
  }

  private flush(): void {
    if (this.disposed || this.inFlight) return;
    if (isIdentity(this.pending)) {
      this.wakeIdle();
      return;
    }
    if (this.retries >= MAX_RETRIES) return;
    const delta = this.pending;
    let expected: string;
    try {
      expected = applyDelta(this.shadow, delta);
    } catch {
      this.resync();
      return;
    }
    if (expected === this.shadow) {
      // No visible change (say, a delete and the same text inserted again): nothing to apply.
      this.pending = [];
      this.wakeIdle();
      return;
    }
    const flight: InFlight = { delta, expected, confirmed: false, doomed: false, applied: false };
    this.inFlight = flight;
    this.pending = [];
    this.editor.apply(editsOfDelta(delta)).then((applied) => this.settle(flight, applied), (err: unknown) => {
      this.logger.warn('applying a remote change to the editor failed', { error: err instanceof Error ? err.message : String(err) });
      this.settle(flight, false);
    });
  }

  private settle(flight: InFlight, applied: boolean): void {
    if (this.inFlight !== flight || this.disposed) return;
    if (!flight.confirmed && applied) {
      // The editor may answer before its change event arrives (a remote extension host does):
      // stay in flight until the event confirms it.
      flight.applied = true;
      return;
    }
    this.inFlight = undefined;
    if (flight.confirmed) {
      this.retries = 0;
    } else if (flight.doomed) {
      // Refused, as expected: its change was folded into `pending` already.
    } else {
      this.retries++;
      this.pending = compose(flight.delta, this.pending);
      if (this.retries >= MAX_RETRIES) this.logger.warn('the editor keeps refusing a remote change; waiting for the next change');
    }
    this.flush();
  }

  /** Makes the editor show the shared text again, whatever happened (a diff of the two). */
  private resync(): void {
    this.reconciles++;
    this.shadow = this.editor.text();
    this.pending = diffDelta(this.shadow, this.shared.text);
    this.flush();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
