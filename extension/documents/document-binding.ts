/**
 * One open TextDocument bound to one SharedDocument: the editor's changes go into the shared text,
 * remote changes come back as WorkspaceEdits. The race handling lives in EditorSync
 * (client/binding/editor-sync.ts, unit-tested without VS Code); this is the VS Code glue.
 *
 * Line endings: the shared text is the host's exact text, `\r\n` included. VS Code keeps one EOL
 * per document and normalises every insert to it, so each editor must use the shared text's EOL:
 * a guest's editor is switched to it before binding (see {@link bindDocument}), and every writer
 * inserts line breaks in the document's EOL (VS Code does by itself; the CLI converts).
 */
import * as vscode from 'vscode';
import { EditorSync, type EditorPort } from '../../client/binding/editor-sync';
import { eolOf } from '../../client/binding/eol';
import type { SharedDocument } from '../../client/docs';
import type { Logger } from '../../client/ports';

export class DocumentBinding implements vscode.Disposable {
  private readonly sync: EditorSync;
  private readonly subscriptions: { dispose(): void }[] = [];
  private toldRefused = false;

  private constructor(
    readonly document: vscode.TextDocument,
    readonly shared: SharedDocument,
    private readonly log: Logger,
    editorMayBeReadOnly: () => boolean,
  ) {
    const port: EditorPort = {
      apply: (edits) => {
        if (document.isClosed) return Promise.resolve(false);
        const ranges = edits.map(({ offset, deleteCount, insert }) => ({
          range: new vscode.Range(document.positionAt(offset), document.positionAt(offset + deleteCount)), insert,
        }));
        // A visible editor's edit is checked against the document's version and applied in one
        // step on VS Code's side: refused (false) when the user typed meanwhile, and EditorSync
        // moves on from there. A WorkspaceEdit is checked too, but VS Code may recompute its
        // ranges asynchronously and apply them after a keystroke; only hidden documents (where
        // nobody types) use it, and read-only ones (nobody can type): a read-only editor drops a
        // TextEditor.edit but still reports it applied, while a WorkspaceEdit goes to the document.
        const editor = editorMayBeReadOnly() ? undefined : vscode.window.visibleTextEditors.find((candidate) => candidate.document === document);
        if (editor) {
          return Promise.resolve(editor.edit((builder) => {
            for (const { range, insert } of ranges) builder.replace(range, insert);
          }, { undoStopBefore: false, undoStopAfter: false }));
        }
        const edit = new vscode.WorkspaceEdit();
        for (const { range, insert } of ranges) edit.replace(document.uri, range, insert);
        return Promise.resolve(vscode.workspace.applyEdit(edit));
      },
      text: () => document.getText(),
    };
    this.sync = new EditorSync(shared, port, document.getText(), log, () => this.refused());
    this.subscriptions.push(shared.onDidChangeRemote((change) => {
      if (change.heal) log.warn('a shared document was replaced by the host\'s copy', { path: shared.path });
      this.sync.remoteChanged(change.edits);
    }));
  }

  /**
   * Binds after making the editor's EOL the shared text's, so VS Code's normalisation never
   * changes what the binding applies.
   */
  static async bind(document: vscode.TextDocument, shared: SharedDocument, log: Logger, editorMayBeReadOnly: () => boolean): Promise<DocumentBinding> {
    const eol = eolOf(shared.text);
    const wanted = eol === '\r\n' ? vscode.EndOfLine.CRLF : vscode.EndOfLine.LF;
    if (eol !== undefined && document.eol !== wanted && !document.isClosed) {
      const edit = new vscode.WorkspaceEdit();
      edit.set(document.uri, [vscode.TextEdit.setEndOfLine(wanted)]);
      if (!await vscode.workspace.applyEdit(edit)) log.warn('could not set the editor\'s line endings to the shared document\'s', { path: shared.path });
    }
    return new DocumentBinding(document, shared, log, editorMayBeReadOnly);
  }

  get idle(): boolean {
    return this.sync.idle;
  }

  /** Times the editor had to be reconciled by a diff (a bug if not 0). */
  get reconciles(): number {
    return this.sync.reconciles;
  }

  whenIdle(): Promise<void> {
    return this.sync.whenIdle();
  }

  /**
   * Undoes our own last edits in the shared text (a peer's stay); the result comes back to this
   * editor as a remote change. False when there is nothing to undo (or we are a viewer).
   */
  undo(): boolean {
    return this.shared.undo();
  }

  /** Redoes what {@link undo} took back, the same way. */
  redo(): boolean {
    return this.shared.redo();
  }

  /** The owner dispatches this document's change events here. */
  changed(event: vscode.TextDocumentChangeEvent): void {
    const changes = event.contentChanges.map((change) => ({ offset: change.rangeOffset, deleteCount: change.rangeLength, insert: change.text }));
    this.sync.editorChanged(changes, event.document.getText());
  }

  /**
   * A local edit was refused and undone. A viewer can still get here: VS Code lets anyone make a
   * session-read-only editor writable ("Click here to set writeable"). Say why once per document
   * rather than undoing keystrokes silently.
   */
  private refused(): void {
    if (this.toldRefused || !this.shared.readOnly) return;
    this.toldRefused = true;
    void vscode.window.showWarningMessage(
      `Pairline: you are a viewer in this session, so your changes to ${this.shared.path} are undone. Ask the host to make you an editor.`,
    );
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.sync.dispose();
    this.shared.dispose();
    this.log.debug('document unbound', { path: this.shared.path });
  }
}
