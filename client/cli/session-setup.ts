/** What `host` and `join` share: settings from flags, the real transport and clock, the run loop. */
import { statSync } from 'node:fs';
import { systemClock } from '../ports';
import { SessionClient, type SessionClientOptions } from '../session-client';
import { WebSocketTransport } from '../ws-transport';
import { createDocsCommands } from './docs-commands';
import { createFileSharing } from './file-sharing';
import { EventWriter, stderrLogger, type CliIo } from './io';
import { INVITE_COMMANDS } from './invite-commands';
import { UsageError, type ParticipantSettings } from './options';
import { runParticipant } from './participant';
import { readState, writeState } from './state-file';

export const CLIENT_NAME = 'pairline-cli/0.1.0';

export function checkFolder(folder: string | undefined): void {
  if (folder === undefined) return;
  let isDirectory = false;
  try {
    isDirectory = statSync(folder).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isDirectory) throw new UsageError(`--folder ${folder} is not a directory`);
}

export function runSession(
  io: CliIo, settings: ParticipantSettings, side: 'host' | 'guest',
  options: Pick<SessionClientOptions, 'relay' | 'mode'>,
): Promise<number> {
  checkFolder(settings.folder);
  const saved = settings.stateFile ? readState(settings.stateFile, side) : undefined;
  if (saved && options.mode.type === 'guest' && saved.session !== options.mode.invite.session) {
    throw new UsageError(`--state-file ${settings.stateFile} belongs to another session; use another file or delete it`);
  }
  const connectTimeout = settings.timings.connectTimeoutMs ?? 15_000;
  const client = new SessionClient({
    ...options,
    name: settings.name,
    ...(settings.token ? { token: settings.token } : {}),
    transport: new WebSocketTransport({ handshakeTimeoutMs: Math.min(10_000, connectTimeout) }),
    clock: systemClock,
    random: Math.random,
    logger: stderrLogger(io, settings.logLevel),
    options: settings.timings,
    clientName: CLIENT_NAME,
    ...(saved ? { resumeState: saved } : {}),
  });
  const stateFile = settings.stateFile;
  if (stateFile) {
    client.onDidChangeResumeState((state) => {
      try {
        writeState(stateFile, state);
      } catch (err) {
        io.writeError(`pairline: cannot write --state-file ${stateFile}: ${(err as Error).message}`);
      }
    });
  }
  // The client's timers are unref'd; this keeps the process alive through a long backoff wait.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const out = new EventWriter(io);
  const logger = stderrLogger(io, settings.logLevel);
  const docs = createDocsCommands({ client, side, folder: settings.folder, out, logger, ...(stateFile ? { stateFile } : {}) });
  const files = createFileSharing({ client, side, folder: settings.folder, out, logger });
  return runParticipant(client, io.stdin, out, { side, rttEvery: settings.rttEvery, commands: [...docs.commands, ...files.commands, ...INVITE_COMMANDS] })
    .finally(() => {
      clearInterval(keepAlive);
      docs.dispose();
      files.dispose();
    });
}
