/**
 * Co-editing in VS Code: one DocumentSync per session and a DocumentBinding per shared document
 * that is open here.
 *
 * - Host: the engine's source reads the open TextDocument (or loads it, without showing or
 *   dirtying it) when a guest subscribes, and binds it, so guests' edits land in the host's
 *   buffer; a save asked for by a guest saves that TextDocument. A save made here tells guests.
 * - Guest: documents of the session's `pairline:` folder (and of a local checkout mapped by the
 *   WorkspaceMapping) are subscribed and bound when they open; saving one asks the host to save
 *   first (onWillSave), so both ends are clean afterwards.
 * - Viewers: the `pairline:` file system is read-only for them, their bound editors are made
 *   read-only (see {@link ReadOnlyEditors}), and the engine refuses their edits (here, at the
 *   relay and at the host).
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import * as vscode from 'vscode';
import type { SessionClientApi } from '../../client/api';
import { DocumentError, DocumentSync, type DocumentSource, type SharedDocument } from '../../client/docs';
import { FileDocumentStateStore } from '../../client/docs/file-state-store';
import { systemClock, type Logger } from '../../client/ports';
import { ExcludeFilter } from '../../client/presence/workspace-files';
import { normaliseWorkspacePath } from '../../protocol/paths';
import { registerUndoCommands } from '../commands';
import { ContextKey } from '../context-keys';
import { errorMessage } from '../log';
import type { SessionManager } from '../session-manager';
import type { Settings } from '../settings';
import type { WorkspaceMapping } from '../workspace-mapping';
import { PAIRLINE_SCHEME, sameSession, wirePathOf } from '../workspace/remote-paths';
import { DocumentBinding } from './document-binding';
import { ReadOnlyEditors } from './read-only-editors';

/** How long a host save waits for guests' edits still on their way into its editor. */
const SAVE_SETTLE_MS = 3_000;

export class CoEditing implements vscode.Disposable {
  private engine: DocumentSync | undefined;
  private side: 'host' | 'guest' | undefined;
  private readonly bindings = new Map<string, DocumentBinding>();
  private readonly binding = new Map<string, Promise<DocumentBinding | undefined>>();
  /** Host: paths whose save the engine runs (their onDidSave must not start another). */
  private readonly engineSaving = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private clientSubscriptions: { dispose(): void }[] = [];
  private healsBefore = 0;
  private readonly readOnlyEditors: ReadOnlyEditors;
  /** Host: shared documents' state, so a window reload keeps their history (no guest edit lost). */
  private readonly documentStore: FileDocumentStateStore | undefined;
  /** True while the active editor's document is bound: the undo keys then run our own undo. */
  private readonly coEdited = new ContextKey<boolean>('pairline.coEdited');
  private readonly boundEmitter = new vscode.EventEmitter<vscode.TextDocument>();
  /**
   * A document became co-edited here. Its editor may have been active long before (the host's
   * file, bound when a guest opened it): cursors published from now on can carry anchors.
   */
  readonly onDidBind: vscode.Event<vscode.TextDocument> = this.boundEmitter.event;

  constructor(
    private readonly sessions: SessionManager,
    private readonly mapping: WorkspaceMapping,
    private readonly settings: Settings,
    private readonly log: Logger,
    /** Where the host keeps document state (see {@link documentStateDirectory}); none: not kept. */
    stateDirectory?: string,
  ) {
    this.documentStore = stateDirectory === undefined ? undefined : new FileDocumentStateStore(stateDirectory);
    this.readOnlyEditors = new ReadOnlyEditors((key) => this.bindings.get(key), log);
    this.subscriptions.push(
      sessions.onDidChangeClient((client) => this.watchClient(client)),
      vscode.workspace.onDidOpenTextDocument((document) => this.documentOpened(document)),
      vscode.workspace.onDidCloseTextDocument((document) => this.unbind(document.uri.toString())),
      vscode.workspace.onDidChangeTextDocument((event) => this.bindings.get(event.document.uri.toString())?.changed(event)),
      vscode.workspace.onWillSaveTextDocument((event) => this.willSave(event)),
      vscode.workspace.onDidSaveTextDocument((document) => this.didSave(document)),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.refreshReadOnly();
        this.refreshCoEdited();
      }),
      registerUndoCommands(this),
    );
    this.watchClient(sessions.client);
  }

  /** Desyncs healed since activation (a heal is a bug report: it should stay 0). */
  get heals(): number {
    return this.healsBefore + (this.engine?.heals ?? 0);
  }

  /** Editors that had to be reconciled by a diff (a bug report too). */
  get reconciles(): number {
    return [...this.bindings.values()].reduce((sum, binding) => sum + binding.reconciles, 0);
  }

  /** Wire paths of the documents bound to an editor here. */
  get boundPaths(): string[] {
    return [...this.bindings.values()].map((binding) => binding.shared.path);
  }

  /** The shared document behind an open editor document, for cursors anchored with relative positions. */
  sharedDocumentOf(uri: vscode.Uri): SharedDocument | undefined {
    return this.bindings.get(uri.toString())?.shared;
  }

  /** Resolves once the document's editor shows the shared text (true), or false when not bound. */
  async whenIdle(uri: vscode.Uri): Promise<boolean> {
    const binding = this.bindings.get(uri.toString()) ?? await this.binding.get(uri.toString());
    if (!binding) return false;
    await binding.whenIdle();
    return true;
  }

  /** Undoes our own last edits in the active editor's shared document; false when there are none. */
  undo(): boolean {
    return this.activeBinding()?.undo() ?? false;
  }

  /** Redoes what {@link undo} took back; false when there is nothing to redo. */
  redo(): boolean {
    return this.activeBinding()?.redo() ?? false;
  }

  dispose(): void {
    this.coEdited.set(false);
    this.watchClient(undefined);
    for (const subscription of this.subscriptions) subscription.dispose();
    this.boundEmitter.dispose();
    this.documentStore?.close();
  }

  private watchClient(client: SessionClientApi | undefined): void {
    for (const subscription of this.clientSubscriptions) subscription.dispose();
    this.clientSubscriptions = [];
    this.stopEngine();
    if (!client) return;
    this.clientSubscriptions.push(
      client.onDidJoin((info) => {
        if (!this.engine) this.startEngine(client, info.you.role === 'host' ? 'host' : 'guest');
      }),
      client.onDidChangeState((change) => {
        if (change.state !== 'ended') return;
        const wasHost = this.side === 'host';
        this.stopEngine();
        if (wasHost) this.forgetDocumentState(client.session);
      }),
      client.onDidChangeRoster((change) => {
        // Our own role changed (viewer ↔ editor).
        if (change.participant.id === client.me?.id && change.change === 'updated') this.refreshReadOnly();
      }),
    );
  }

  private activeBinding(): DocumentBinding | undefined {
    const editor = vscode.window.activeTextEditor;
    return editor ? this.bindings.get(editor.document.uri.toString()) : undefined;
  }

  private refreshCoEdited(): void {
    this.coEdited.set(this.activeBinding() !== undefined);
  }

  /** A guest's bound editors follow its role (read-only for a viewer). */
  private refreshReadOnly(): void {
    if (this.side === 'guest') this.readOnlyEditors.refresh(this.bindings.entries());
  }

  private startEngine(client: SessionClientApi, side: 'host' | 'guest'): void {
    this.side = side;
    const store = this.documentStore;
    const engine = new DocumentSync({
      client, clock: systemClock, logger: this.log,
      ...(side === 'host' ? { source: this.hostSource() } : {}),
      ...(side === 'host' && store ? { persistence: { store, session: () => client.session } } : {}),
    });
    this.engine = engine;
    this.clientSubscriptions.push(engine.onDidHeal((heal) => this.log.warn('healed a desynchronised document', { path: heal.path, heals: this.heals })));
    this.log.info('co-editing ready', { side });
    if (side === 'guest') for (const document of vscode.workspace.textDocuments) this.documentOpened(document);
  }

  /** The session is over: its documents' state can never be needed again. */
  private forgetDocumentState(session: string | undefined): void {
    if (session === undefined || !this.documentStore) return;
    try {
      this.documentStore.removeSession(session);
    } catch (error) {
      this.log.warn('could not delete the ended session\'s document state', { error: errorMessage(error) });
    }
  }

  private stopEngine(): void {
    for (const key of [...this.bindings.keys()]) this.unbind(key);
    this.binding.clear();
    if (this.engine) {
      this.healsBefore += this.engine.heals;
      this.engine.dispose();
    }
    this.engine = undefined;
    this.side = undefined;
  }

  // --- guest ---------------------------------------------------------------------------------

  private documentOpened(document: vscode.TextDocument): void {
    if (this.side === 'host') {
      // A document guests hold that the host (re)opens: its buffer joins in at once.
      const path = hostWirePath(document.uri);
      if (path !== undefined && this.engine?.get(path)) void this.bind(document, path);
      return;
    }
    if (this.side !== 'guest') return;
    const path = this.guestWirePath(document.uri);
    if (path === undefined) return;
    void this.bind(document, path);
  }

  /** The wire path of a guest's document: its `pairline:` path, or its place in a local checkout. */
  private guestWirePath(uri: vscode.Uri): string | undefined {
    if (uri.scheme === PAIRLINE_SCHEME) {
      if (!sameSession(uri.authority, this.sessions.client?.session)) return undefined;
      const path = wirePathOf(uri.path);
      return path.ok && path.path !== '.' ? path.path : undefined;
    }
    return uri.scheme === 'file' ? this.mapping.toWire(uri) : undefined;
  }

  private willSave(event: vscode.TextDocumentWillSaveEvent): void {
    if (this.side !== 'guest') return;
    const binding = this.bindings.get(event.document.uri.toString());
    if (!binding || binding.shared.readOnly) return;
    // The host saves its own buffer first; VS Code then writes the same text through the
    // pairline: file system and shows our copy clean.
    event.waitUntil(binding.whenIdle().then(() => binding.shared.save()).catch((error: unknown) => {
      this.log.warn('the host could not save a document', { path: binding.shared.path, error: errorMessage(error) });
      void vscode.window.showErrorMessage(`Pairline: the host could not save ${binding.shared.path}: ${errorMessage(error)}`);
    }));
  }

  // --- host ----------------------------------------------------------------------------------

  private hostSource(): DocumentSource {
    return {
      read: async (path) => {
        const uri = await this.hostUri(path);
        const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString())
          ?? await vscode.workspace.openTextDocument(uri).then((opened) => opened, () => {
            throw new DocumentError('not-found', `${path} could not be opened on the host.`);
          });
        const text = document.getText();
        // Bind once the engine holds the document (it does when this read resolves).
        setImmediate(() => void this.bind(document, path));
        return text;
      },
      save: async (path, text) => {
        const uri = await this.hostUri(path);
        const key = uri.toString();
        const binding = this.bindings.get(key) ?? await this.binding.get(key);
        if (!binding || binding.document.isClosed) {
          await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
          return;
        }
        await Promise.race([binding.whenIdle(), new Promise((resolve) => setTimeout(resolve, SAVE_SETTLE_MS))]);
        this.engineSaving.add(path);
        try {
          if (!await binding.document.save()) throw new DocumentError('save-failed', `VS Code did not save ${path}.`);
        } finally {
          this.engineSaving.delete(path);
        }
      },
    };
  }

  /** The host's local file of a wire path: the first folder, or the named one when several are shared. */
  private async hostUri(path: string): Promise<vscode.Uri> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
    const normalised = normaliseWorkspacePath(path);
    if (!normalised.ok || normalised.path === '.') throw new DocumentError('outside-workspace', 'That path is outside the shared workspace.');
    let segments = normalised.path.split('/');
    let folder: vscode.WorkspaceFolder | undefined = folders[0];
    if (folders.length > 1) {
      folder = folders.find((candidate) => candidate.name === segments[0]);
      segments = segments.slice(1);
    }
    if (!folder || segments.length === 0) throw new DocumentError('not-found', `${path} is not in a shared folder.`);
    if (new ExcludeFilter(this.settings.values.excludeFiles).isExcluded(segments.join('/'))) {
      throw new DocumentError('excluded', `The host does not share ${segments[segments.length - 1]}.`);
    }
    const uri = vscode.Uri.joinPath(folder.uri, ...segments);
    // Symbolic links must not lead out of the folder.
    const [root, real] = await Promise.all([fs.realpath(folder.uri.fsPath), fs.realpath(uri.fsPath)]).catch(() => {
      throw new DocumentError('not-found', `${path} does not exist on the host.`);
    });
    const relative = nodePath.relative(root, real);
    if (relative === '' || relative.startsWith('..') || nodePath.isAbsolute(relative)) {
      throw new DocumentError('outside-workspace', `${path} leads outside the shared folder.`);
    }
    return uri;
  }

  private didSave(document: vscode.TextDocument): void {
    if (this.side !== 'host') return;
    const binding = this.bindings.get(document.uri.toString());
    if (!binding || this.engineSaving.has(binding.shared.path)) return;
    // Saved here: the engine's save (a no-op write of a clean document) tells guests it is clean.
    binding.shared.save().catch((error: unknown) => this.log.warn('could not announce a save', { path: binding.shared.path, error: errorMessage(error) }));
  }

  // --- both ----------------------------------------------------------------------------------

  private bind(document: vscode.TextDocument, path: string): Promise<DocumentBinding | undefined> {
    const key = document.uri.toString();
    const existing = this.bindings.get(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.binding.get(key);
    if (pending) return pending;
    const engine = this.engine;
    if (!engine) return Promise.resolve(undefined);
    pending = (async () => {
      let shared: SharedDocument;
      try {
        shared = await engine.open(path);
      } catch (error) {
        this.log.info('not co-editing a document', { path, reason: errorMessage(error) });
        return undefined;
      }
      if (this.engine !== engine || document.isClosed) {
        shared.dispose();
        return undefined;
      }
      const binding = await DocumentBinding.bind(document, shared, this.log, () => this.readOnlyEditors.mayBeReadOnly(key, shared));
      if (this.engine !== engine || document.isClosed) {
        binding.dispose();
        return undefined;
      }
      this.bindings.set(key, binding);
      this.log.info('co-editing a document', { path, readOnly: shared.readOnly });
      this.refreshReadOnly();
      this.refreshCoEdited();
      this.boundEmitter.fire(document);
      return binding;
    })().finally(() => this.binding.delete(key));
    this.binding.set(key, pending);
    return pending;
  }

  private unbind(key: string): void {
    const binding = this.bindings.get(key);
    if (!binding) return;
    this.bindings.delete(key);
    binding.dispose();
    this.refreshCoEdited();
  }
}

/** The wire path of a host's local file: relative to its folder, prefixed by the folder's name when several are shared. */
function hostWirePath(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'file') return undefined;
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder || !folders.includes(folder)) return undefined;
  const relative = nodePath.relative(folder.uri.fsPath, uri.fsPath).split(nodePath.sep).join('/');
  if (relative === '' || relative.startsWith('..')) return undefined;
  return folders.length > 1 ? `${folder.name}/${relative}` : relative;
}

/**
 * The folder for the host's document state: in the workspace's storage (one window hosts one
 * session per workspace, so other sessions' state there is stale and gets deleted), and only on
 * a local file system. Undefined without a workspace: then nothing is kept.
 */
export function documentStateDirectory(storage: vscode.Uri | undefined): string | undefined {
  return storage?.scheme === 'file' ? vscode.Uri.joinPath(storage, 'pairline-documents').fsPath : undefined;
}
