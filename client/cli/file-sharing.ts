/**
 * File sharing for the headless participant. A host started with `--folder DIR` serves DIR to
 * its guests (the same HostFileServer the extension uses, same excludes and path checks); a guest
 * browses the host's folder with `ls` / `read` and sees `files-changed` events.
 */
import type { Disposable } from '../events';
import { HostFileServer } from '../files/host-file-server';
import { RemoteFileError } from '../files/remote-file-error';
import { RemoteFiles } from '../files/remote-files';
import type { Logger } from '../ports';
import type { SessionClient } from '../session-client';
import { LsCommandSchema, ReadCommandSchema, runLs, runRead } from './files-commands';
import type { EventWriter } from './io';
import { CommandError, type StdinCommand } from './stdin-commands';

export interface FileSharingOptions {
  readonly client: SessionClient;
  readonly side: 'host' | 'guest';
  readonly folder: string | undefined;
  readonly out: EventWriter;
  readonly logger: Logger;
}

export interface FileSharing extends Disposable {
  readonly commands: readonly StdinCommand[];
}

export function createFileSharing(options: FileSharingOptions): FileSharing {
  return options.side === 'host' ? hostSharing(options) : guestFiles(options);
}

function hostSharing({ client, folder, logger, out }: FileSharingOptions): FileSharing {
  if (folder === undefined) return { commands: [], dispose() {} };
  let server: HostFileServer | undefined;
  let disposed = false;
  HostFileServer.create(client, { folders: [{ path: folder }], logger }).then(
    (created) => {
      if (disposed) created.dispose();
      else server = created;
    },
    (err: unknown) => out.emit('error', { code: 'share-failed', message: `Cannot share ${folder}: ${(err as Error).message}` }),
  );
  return {
    commands: [],
    dispose() {
      disposed = true;
      server?.dispose();
    },
  };
}

function guestFiles({ client, out }: FileSharingOptions): FileSharing {
  const files = new RemoteFiles(client);
  const changes = files.onDidChangeFiles((events) => out.emit('files-changed', { changes: events }));
  const asCommandError = (err: unknown): never => {
    if (err instanceof RemoteFileError) throw new CommandError(err.code, err.message);
    throw err;
  };
  const commands: StdinCommand[] = [
    {
      name: 'ls',
      schema: LsCommandSchema.omit({ cmd: true }),
      run: async (input: { path: string }) => {
        const { event, ...fields } = await runLs(files, { cmd: 'ls', path: input.path }).catch(asCommandError);
        out.emit(event, fields);
      },
    },
    {
      name: 'read',
      schema: ReadCommandSchema.omit({ cmd: true }),
      run: async (input: { file: string }) => {
        const { event, ...fields } = await runRead(files, { cmd: 'read', file: input.file }).catch(asCommandError);
        out.emit(event, fields);
      },
    },
  ];
  return {
    commands,
    dispose() {
      changes.dispose();
      files.dispose();
    },
  };
}
