/**
 * A CLI host's document state beside its `--state-file` (FILE.docs/), so that a host killed and
 * started again with the same state file keeps each shared document's history: guests' edits made
 * while it was down, or in flight when it died, end up in both copies exactly once. Deleted with
 * the state file once the session is over.
 */
import { rmSync } from 'node:fs';
import { FileDocumentStateStore } from '../docs/file-state-store';
import type { DocumentPersistence } from '../docs/persistence';
import type { Disposable } from '../events';
import type { SessionClient } from '../session-client';

export interface KeptDocumentState extends Disposable {
  readonly persistence: DocumentPersistence;
}

export function documentStateDirectory(stateFile: string): string {
  return `${stateFile}.docs`;
}

export function keepDocumentState(client: SessionClient, stateFile: string): KeptDocumentState {
  const directory = documentStateDirectory(stateFile);
  const store = new FileDocumentStateStore(directory);
  const listener = client.onDidChangeResumeState((state) => {
    if (state !== undefined) return;
    store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return {
    persistence: { store, session: () => client.session },
    dispose: () => {
      listener.dispose();
      store.close();
    },
  };
}
