/**
 * Runs one SessionClient as a JSON-lines process: client events out on stdout, commands in on
 * stdin. Shared by `pairline host` and `pairline join`. Resolves with the process exit code.
 */
import { createInterface } from 'node:readline';
import type { Participant } from '../../protocol';
import type { SessionClient } from '../session-client';
import type { EventWriter } from './io';
import { CommandError, PARTICIPANT_COMMANDS, type CommandContext, type StdinCommand } from './stdin-commands';

export interface RunOptions {
  readonly side: 'host' | 'guest';
  readonly rttEvery: number;
  /** Extra stdin commands from other features; same names override the built-in ones. */
  readonly commands?: readonly StdinCommand[];
}

function brief(participant: Participant): Record<string, unknown> {
  const { id, name, role, color, state } = participant;
  return { id, name, role, color, state };
}

export function runParticipant(client: SessionClient, stdin: NodeJS.ReadableStream, out: EventWriter, options: RunOptions): Promise<number> {
  return new Promise<number>((resolve) => {
    const table = new Map<string, StdinCommand>();
    for (const entry of [...PARTICIPANT_COMMANDS, ...(options.commands ?? [])]) table.set(entry.name, entry);
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      lines.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      client.dispose();
      resolve(code);
    };
    // Leave/end: exit 0 once their result is printed, whatever state events race with it.
    let exitCode: number | undefined;
    const context: CommandContext = { client, side: options.side, exitAfter: (code) => { exitCode = code; } };

    let leaving = false;
    let invitePrinted = false;
    client.onDidChangeState((change) => {
      out.emit('state', {
        state: change.state, previous: change.previous, attempt: change.attempt, retryInMs: change.retryInMs,
        reason: change.reason, closeCode: change.closeCode,
      });
      if (change.state === 'ended' && exitCode === undefined && !leaving) {
        out.emit('error', { code: 'ended', message: change.reason, closeCode: change.closeCode });
        finish(1);
      }
    });
    client.onDidJoin((info) => {
      if (options.side === 'host' && !invitePrinted) {
        invitePrinted = true;
        out.emit('invite', { link: client.inviteLink, session: info.session, safetyCode: client.safetyCode });
      }
      out.emit('joined', {
        session: info.session, you: brief(info.you), role: info.you.role, roster: info.roster.map(brief),
        resumed: info.resumed, needsResync: info.needsResync,
      });
    });
    client.onDidChangeRoster((change) => out.emit('roster', { change: change.change, participant: brief(change.participant), reason: change.reason }));
    client.onDidKnock((knock) => out.emit('knock', { participant: knock.participant }));
    client.onDidWithdrawKnock((withdrawn) => out.emit('knock-withdrawn', withdrawn));
    client.onDidReceivePresence(({ from, presence }) => out.emit('presence', {
      from: { id: from.id, name: from.name }, file: presence.file, selections: presence.selections, visible: presence.visible,
    }));
    client.onDidReceive((message) => out.emit('received', {
      kind: message.kind, from: { id: message.from.id, name: message.from.name }, direct: message.direct,
      base64: Buffer.from(message.payload).toString('base64'),
    }));
    client.onDidChangeFollowing((change) => out.emit('following', change));
    let rttCount = 0;
    client.onDidMeasureRoundTrip((trip) => {
      if (rttCount++ % options.rttEvery === 0) out.emit('rtt', { lastMs: trip.lastMs, averageMs: trip.averageMs });
    });
    client.onDidError((error) => out.emit('error', { code: error.code, message: error.message }));

    const lines = createInterface({ input: stdin, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      void handleLine(line);
    });

    async function handleLine(line: string): Promise<void> {
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch {
        out.emit('error', { code: 'bad-command', message: 'That line is not JSON. Send one JSON object per line, e.g. {"cmd":"status"}.' });
        return;
      }
      const record = typeof data === 'object' && data !== null && !Array.isArray(data) ? data as Record<string, unknown> : undefined;
      const id = record && (typeof record.id === 'string' || typeof record.id === 'number') ? record.id : undefined;
      const name = typeof record?.cmd === 'string' ? record.cmd : undefined;
      const entry = name === undefined ? undefined : table.get(name);
      if (!entry) {
        const known = [...table.keys()].join(', ');
        out.emit('error', { id, code: 'unknown-command', message: name === undefined ? `Each line needs a "cmd" (one of ${known}).` : `Unknown command "${name}" (known: ${known}).` });
        return;
      }
      const fields = Object.fromEntries(Object.entries(record ?? {}).filter(([key]) => key !== 'cmd' && key !== 'id'));
      const parsed = entry.schema.safeParse(fields);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
        out.emit('error', { id, code: 'bad-command', message: `Bad "${entry.name}" command${where}: ${issue?.message ?? 'invalid'}.` });
        return;
      }
      if (entry.hostOnly && options.side !== 'host') {
        out.emit('error', { id, code: 'not-host', message: `Only the host can ${entry.name}.` });
        return;
      }
      if (entry.needsConnection && client.state !== 'connected') {
        out.emit('error', { id, code: 'not-connected', message: `Cannot ${entry.name} while ${client.state}; try again once connected.` });
        return;
      }
      if (entry.name === 'leave' || entry.name === 'end') leaving = true;
      try {
        const result = await entry.run(parsed.data, context);
        out.emit('result', { id, cmd: entry.name, ...(result ?? {}) });
      } catch (err) {
        const code = err instanceof CommandError ? err.code : 'command-failed';
        out.emit('error', { id, code, message: err instanceof Error ? err.message : String(err) });
      }
      if (exitCode !== undefined) finish(exitCode);
    }

    const stop = () => {
      leaving = true;
      client.leave().then(() => finish(0), () => finish(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    client.start().catch(() => undefined);
  });
}
