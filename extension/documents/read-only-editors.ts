/**
 * Makes a viewer's editors of shared documents read-only, and writable again once promoted.
 *
 * The `pairline:` file system marks files read-only for viewers and announces every open file as
 * changed on a role change, but VS Code re-reads a file's state only for documents without unsaved
 * changes ("never reload dirty models"). A bound document usually has unsaved changes (the other
 * participants' edits arrive as such), so its editor kept accepting typing and the binding had to
 * undo every keystroke. VS Code's per-session read-only override applies to unsaved documents too;
 * its commands act on the active editor only, so a bound document gets it when its editor becomes
 * active, and the active one at once when the role changes.
 */
import * as vscode from 'vscode';
import type { SharedDocument } from '../../client/docs';
import type { Logger } from '../../client/ports';
import { errorMessage } from '../log';
import type { DocumentBinding } from './document-binding';

const SET_READ_ONLY = 'workbench.action.files.setActiveEditorReadonlyInSession';
const SET_WRITABLE = 'workbench.action.files.setActiveEditorWriteableInSession';

export class ReadOnlyEditors {
  /** Documents (by URI) whose editor we made read-only. */
  private readonly overridden = new Set<string>();
  /**
   * Documents that were read-only (a viewer's) while bound and not given back yet: their editor may
   * still be read-only through the file's stale state even where we set no override.
   */
  private readonly wereReadOnly = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly bindingOf: (key: string) => DocumentBinding | undefined, private readonly log: Logger) {}

  /**
   * True while VS Code may hold the document's editor read-only: such an editor drops
   * TextEditor.edit yet reports success, so remote changes must go through a WorkspaceEdit.
   */
  mayBeReadOnly(key: string, shared: SharedDocument): boolean {
    return shared.readOnly || this.overridden.has(key) || this.wereReadOnly.has(key);
  }

  /** After a role change, an editor change or a new binding: brings the active editor in line. */
  refresh(bindings: Iterable<[string, DocumentBinding]>): void {
    for (const [key, binding] of bindings) if (binding.shared.readOnly) this.wereReadOnly.add(key);
    // One command at a time, so two refreshes never work on the same editor at once.
    this.queue = this.queue.then(() => this.updateActive()).catch((error: unknown) => {
      this.log.warn('could not update an editor\'s read-only state', { error: errorMessage(error) });
    });
  }

  private async updateActive(): Promise<void> {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (!(input instanceof vscode.TabInputText)) return;
    const key = input.uri.toString();
    const binding = this.bindingOf(key);
    if (!binding) return;
    if (binding.shared.readOnly) {
      if (this.overridden.has(key)) return;
      await vscode.commands.executeCommand(SET_READ_ONLY);
      this.overridden.add(key);
      this.wereReadOnly.add(key);
      this.log.debug('made an editor read-only (viewer)', { path: binding.shared.path });
      return;
    }
    if (!this.overridden.has(key) && !this.wereReadOnly.has(key)) return;
    // Writable explicitly, not just our override removed: an unsaved document keeps the
    // read-only state VS Code read from the file while we were a viewer.
    await vscode.commands.executeCommand(SET_WRITABLE);
    this.overridden.delete(key);
    this.wereReadOnly.delete(key);
    this.log.debug('made an editor writable again (editor)', { path: binding.shared.path });
  }
}
