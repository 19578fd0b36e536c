/** `pairline join LINK`: join a session from its invite link. */
import { parseArgs } from 'node:util';
import { inviteNotice, parseInviteLink } from '../../protocol';
import type { CliCommand } from './commands';
import { EventWriter } from './io';
import { PARTICIPANT_HELP, PARTICIPANT_OPTIONS, participantSettings, UsageError } from './options';
import { runSession } from './session-setup';

const HELP = `Usage: pairline join LINK --name NAME [--token T] [--folder DIR] [--state-file FILE]

Joins the session of an invite link (https://RELAY/join/SESSION#s=… or vscode://pairline.pairline/join?…).
A link whose expiry hint (e=) has passed is refused before connecting (exit 1, error "invite-expired").
${PARTICIPANT_HELP}`;

export const joinCommand: CliCommand = {
  name: 'join',
  summary: 'join a session from an invite link',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: PARTICIPANT_OPTIONS });
    if (values.help) {
      io.writeLine(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one invite link: pairline join LINK --name NAME');
    const parsed = parseInviteLink(positionals[0] ?? '');
    if (!parsed.ok) throw new UsageError(parsed.error);
    // The link's expiry is a hint (the relay decides), but one already past would only be refused.
    const notice = inviteNotice(parsed.invite, Date.now());
    if (notice.expired) {
      io.writeError(`pairline join: ${notice.sentence ?? 'This invite link has expired.'}`);
      new EventWriter(io).emit('error', { code: 'invite-expired', message: notice.sentence });
      return 1;
    }
    const settings = participantSettings(values, io);
    return runSession(io, settings, 'guest', { relay: parsed.invite.relay, mode: { type: 'guest', invite: parsed.invite } });
  },
};
