/** `pairline host`: start a session and print its invite link. */
import { parseArgs } from 'node:util';
import type { CliCommand } from './commands';
import { PARTICIPANT_HELP, PARTICIPANT_OPTIONS, participantSettings, UsageError } from './options';
import { runSession } from './session-setup';

const HELP = `Usage: pairline host --relay URL --name NAME [--token T] [--folder DIR] [--state-file FILE] [--approval auto|prompt] [--role editor|viewer] [--no-encrypt]

Starts a session on the relay and prints {"event":"invite","link":"…"} once it exists.
  --relay URL              the relay's http(s) base URL (required)
  --approval auto|prompt   let guests in at once, or wait for "approve" (default auto)
  --role editor|viewer     the role guests get when let in automatically (default editor)
  --no-encrypt             relayed bodies in the clear (default: end-to-end encrypted)
${PARTICIPANT_HELP}`;

export const hostCommand: CliCommand = {
  name: 'host',
  summary: 'start a session and print its invite link',
  help: HELP,
  async run(args, io) {
    const { values } = parseArgs({
      args, allowPositionals: false,
      options: {
        ...PARTICIPANT_OPTIONS, relay: { type: 'string' }, approval: { type: 'string' }, role: { type: 'string' },
        'no-encrypt': { type: 'boolean' },
      },
    });
    if (values.help) {
      io.writeLine(HELP);
      return 0;
    }
    if (!values.relay) throw new UsageError('--relay URL is required, e.g. --relay http://127.0.0.1:8080');
    const approval = values.approval ?? 'auto';
    if (approval !== 'auto' && approval !== 'prompt') throw new UsageError('--approval must be auto or prompt');
    const defaultRole = values.role ?? 'editor';
    if (defaultRole !== 'editor' && defaultRole !== 'viewer') throw new UsageError('--role must be editor or viewer');
    const settings = participantSettings(values, io);
    return runSession(io, settings, 'host', {
      relay: values.relay,
      mode: { type: 'host', settings: { approval, defaultRole }, encrypt: !values['no-encrypt'] },
    });
  },
};
