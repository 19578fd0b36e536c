/** A DocumentStateStore in memory, for unit tests of a host restart (test/unit/docs-persistence.test.ts). */
import type { DocumentStateStore, PersistedDocument, PersistedRecord } from '../../client/docs/persistence';

interface Entry {
  epoch: string;
  sourceText: string;
  updates: Uint8Array[];
}

export class MemoryDocumentStore implements DocumentStateStore {
  private readonly entries = new Map<string, Entry>();
  writes = 0;
  appends = 0;

  load(session: string, path: string): PersistedDocument | undefined {
    const entry = this.entries.get(keyOf(session, path));
    return entry && { epoch: entry.epoch, sourceText: entry.sourceText, updates: [...entry.updates] };
  }

  write(session: string, path: string, record: PersistedRecord): void {
    this.writes++;
    this.entries.set(keyOf(session, path), { epoch: record.epoch, sourceText: record.sourceText, updates: [record.state] });
  }

  append(session: string, path: string, update: Uint8Array): void {
    const entry = this.entries.get(keyOf(session, path));
    if (!entry) throw new Error(`append before write: ${path}`);
    this.appends++;
    entry.updates.push(update);
  }

  removeSession(session: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${session}\n`)) this.entries.delete(key);
  }
}

function keyOf(session: string, path: string): string {
  return `${session}\n${path}`;
}
