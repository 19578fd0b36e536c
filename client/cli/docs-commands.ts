/**
 * The headless participant's co-editing commands, so scripts and bots can type into shared
 * documents (the host serves them from `--folder DIR`):
 *
 *   {"cmd":"open","file":"a.txt"}                                → {"event":"opened","file":"a.txt","length":12}
 *   {"cmd":"edit","file":"a.txt","offset":3,"delete":1,"insert":"xy"}   (UTF-16 offsets in the current text;
 *                                                                 line breaks become the document's EOL)
 *   {"cmd":"text","file":"a.txt"}                                → {"event":"text","file":"a.txt","text":"…","heals":0}
 *   {"cmd":"save","file":"a.txt"}                                the host writes its file (a guest asks the host)
 *   {"cmd":"close","file":"a.txt"}
 *
 * and, for every open document: {"event":"change","file":…,"edits":[{offset,deleteCount,insert}],"heal":false}
 * for each remote change, {"event":"saved","file":…,"clean":true} after any save, and
 * {"event":"heal","file":…,"heals":N} when a desync was healed (a bug: it should never happen).
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { z } from 'zod';
import { normaliseWorkspacePath } from '../../protocol/paths';
import { eolOf, withEol } from '../binding/eol';
import { DocumentError, DocumentSync, type DocumentSource, type SharedDocument } from '../docs';
import type { Disposable } from '../events';
import { systemClock, type Logger } from '../ports';
import type { SessionClient } from '../session-client';
import { keepDocumentState } from './document-state';
import type { EventWriter } from './io';
import { CommandError, type StdinCommand } from './stdin-commands';

const File = z.string().min(1).max(1024);

export interface DocsCommandsOptions {
  readonly client: SessionClient;
  readonly side: 'host' | 'guest';
  /** The host's folder (documents are read from and saved to it). */
  readonly folder: string | undefined;
  readonly out: EventWriter;
  readonly logger: Logger;
  /** Host: `--state-file`; documents' state is kept beside it, so a restarted host loses no edit. */
  readonly stateFile?: string;
}

/** The commands, and the engine behind them (dispose it when the participant stops). */
export interface DocsCommands extends Disposable {
  readonly commands: readonly StdinCommand[];
  readonly sync: DocumentSync;
}

interface OpenDocument {
  readonly document: SharedDocument;
  readonly listeners: Disposable[];
}

export function createDocsCommands(options: DocsCommandsOptions): DocsCommands {
  const { client, out, logger } = options;
  const kept = options.side === 'host' && options.stateFile !== undefined ? keepDocumentState(client, options.stateFile) : undefined;
  const sync = new DocumentSync({
    client, clock: systemClock, logger,
    ...(options.side === 'host' ? { source: folderSource(options.folder) } : {}),
    ...(kept ? { persistence: kept.persistence } : {}),
  });
  const open = new Map<string, OpenDocument>();
  const healListener = sync.onDidHeal((heal) => out.emit('heal', { file: heal.path, heals: heal.heals }));

  const documentOf = (file: string): SharedDocument => {
    const entry = open.get(keyOf(file));
    if (!entry) throw new CommandError('not-open', `${file} is not open; send {"cmd":"open","file":…} first.`);
    return entry.document;
  };

  const commands: StdinCommand[] = [
    {
      name: 'open',
      schema: z.object({ file: File }),
      run: async (input: { file: string }) => {
        const key = keyOf(input.file);
        let entry = open.get(key);
        if (!entry) {
          const document = await guarded(() => sync.open(key));
          // Two opens of the same file may race: keep the first handle.
          entry = open.get(key);
          if (entry) {
            document.dispose();
          } else {
            entry = { document, listeners: watch(document, out) };
            open.set(key, entry);
          }
        }
        out.emit('opened', { file: entry.document.path, length: entry.document.text.length, readOnly: entry.document.readOnly });
      },
    },
    {
      name: 'edit',
      schema: z.object({
        file: File,
        offset: z.number().int().min(0),
        delete: z.number().int().min(0).default(0),
        insert: z.string().default(''),
      }),
      run: (input: { file: string; offset: number; delete: number; insert: string }) => {
        const document = documentOf(input.file);
        // Writers insert line breaks in the document's EOL (client/binding/eol.ts): editors keep one.
        const eol = eolOf(document.text);
        const insert = eol === undefined ? input.insert : withEol(input.insert, eol);
        try {
          document.applyLocalEdits([{ offset: input.offset, deleteCount: input.delete, insert }]);
        } catch (err) {
          throw new CommandError(err instanceof RangeError ? 'bad-edit' : 'read-only', (err as Error).message);
        }
        return { file: document.path, length: document.text.length };
      },
    },
    {
      name: 'text',
      schema: z.object({ file: File }),
      run: (input: { file: string }) => {
        const document = documentOf(input.file);
        out.emit('text', { file: document.path, text: document.text, heals: sync.heals });
      },
    },
    {
      name: 'save',
      schema: z.object({ file: File }),
      run: async (input: { file: string }) => {
        const document = documentOf(input.file);
        await guarded(() => document.save());
        return { file: document.path };
      },
    },
    {
      name: 'close',
      schema: z.object({ file: File }),
      run: (input: { file: string }) => {
        const key = keyOf(input.file);
        const entry = open.get(key);
        if (!entry) return;
        open.delete(key);
        for (const listener of entry.listeners) listener.dispose();
        entry.document.dispose();
      },
    },
  ].map((entry) => entry as unknown as StdinCommand);

  return {
    commands,
    sync,
    dispose: () => {
      healListener.dispose();
      for (const entry of open.values()) for (const listener of entry.listeners) listener.dispose();
      open.clear();
      sync.dispose();
      kept?.dispose();
    },
  };
}

function watch(document: SharedDocument, out: EventWriter): Disposable[] {
  return [
    document.onDidChangeRemote((change) => out.emit('change', { file: document.path, edits: change.edits, heal: change.heal })),
    document.onDidSave((event) => out.emit('saved', { file: document.path, clean: event.clean })),
  ];
}

/** The engine's key for a file argument (refused paths fail in `open` with the engine's message). */
function keyOf(file: string): string {
  const normalised = normaliseWorkspacePath(file);
  return normalised.ok ? normalised.path : file;
}

/** Runs a document operation; DocumentErrors become command errors with their code. */
async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof DocumentError) throw new CommandError(err.code, err.message);
    throw err;
  }
}

/**
 * The host's documents from `folder`: text read from the file, saves written back. Paths are
 * refused when they leave the folder, also through symbolic links (real paths are compared).
 */
export function folderSource(folder: string | undefined): DocumentSource {
  const locate = async (path: string): Promise<string> => {
    if (folder === undefined) throw new DocumentError('not-found', 'This host shares no folder (start it with --folder DIR).');
    const normalised = normaliseWorkspacePath(path);
    if (!normalised.ok) throw new DocumentError('outside-workspace', `The path is outside the shared folder: ${normalised.error}.`);
    const root = await fs.realpath(folder);
    const candidate = nodePath.join(root, ...normalised.path.split('/'));
    let real: string;
    try {
      real = await fs.realpath(candidate);
    } catch {
      throw new DocumentError('not-found', `${normalised.path} does not exist in the shared folder.`);
    }
    const relative = nodePath.relative(root, real);
    if (relative === '' || relative === '..' || relative.startsWith(`..${nodePath.sep}`) || nodePath.isAbsolute(relative)) {
      throw new DocumentError('outside-workspace', `${normalised.path} leads outside the shared folder.`);
    }
    return real;
  };
  return {
    read: async (path) => fs.readFile(await locate(path), 'utf8'),
    save: async (path, text) => fs.writeFile(await locate(path), text, 'utf8'),
  };
}
