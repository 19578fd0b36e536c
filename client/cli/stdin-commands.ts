/**
 * Commands a running participant reads from stdin, one JSON object per line. A table: another
 * feature defines its commands in its own file and hands them to `runParticipant` (`commands`),
 * where they join (or override) these.
 */
import { z } from 'zod';
import { GuestRoleSchema, LineRangeSchema, RelayedKindSchema, SelectionSchema } from '../../protocol';
import type { SessionClient } from '../session-client';

export interface CommandContext {
  readonly client: SessionClient;
  readonly side: 'host' | 'guest';
  /** Ends the process once the command's result is out (leave/end). */
  exitAfter(code: number): void;
}

/** Why a command could not run: becomes `{"event":"error","code":…,"message":…,"id":…}`. */
export class CommandError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface StdinCommand<T extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: T;
  readonly hostOnly?: boolean;
  /** Refuse while not connected (the relay would never see it). */
  readonly needsConnection?: boolean;
  /** Returns extra fields for the result event. */
  run(input: z.infer<T>, context: CommandContext): Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
}

function command<T extends z.ZodType>(definition: StdinCommand<T>): StdinCommand {
  return definition as unknown as StdinCommand;
}

const Participant = z.string().min(1).max(64);

export const PARTICIPANT_COMMANDS: readonly StdinCommand[] = [
  command({
    name: 'presence',
    schema: z.object({ file: z.string().optional(), selections: z.array(SelectionSchema).default([]), visible: z.array(LineRangeSchema).optional() }),
    run: (input, { client }) => {
      const errors: string[] = [];
      const listener = client.onDidError((error) => errors.push(error.message));
      try {
        client.setPresence(input);
      } finally {
        listener.dispose();
      }
      if (errors[0]) throw new CommandError('bad-presence', errors[0]);
      return { sent: client.state === 'connected' };
    },
  }),
  command({
    name: 'approve', hostOnly: true, needsConnection: true,
    schema: z.object({ participant: Participant, role: GuestRoleSchema.default('editor') }),
    run: (input, { client }) => client.approve(input.participant, input.role),
  }),
  command({
    name: 'deny', hostOnly: true, needsConnection: true,
    schema: z.object({ participant: Participant }),
    run: (input, { client }) => client.deny(input.participant),
  }),
  command({
    name: 'role', hostOnly: true, needsConnection: true,
    schema: z.object({ participant: Participant, role: GuestRoleSchema }),
    run: (input, { client }) => client.setRole(input.participant, input.role),
  }),
  command({
    name: 'remove', hostOnly: true, needsConnection: true,
    schema: z.object({ participant: Participant }),
    run: (input, { client }) => client.remove(input.participant),
  }),
  command({
    name: 'follow',
    schema: z.object({ participant: Participant.optional() }),
    run: (input, { client }) => {
      if (input.participant && !client.roster.some((entry) => entry.id === input.participant)) {
        throw new CommandError('unknown-participant', `Nobody with id ${input.participant} is in the session.`);
      }
      client.follow(input.participant);
      return { following: client.following };
    },
  }),
  command({
    name: 'send', needsConnection: true,
    schema: z.object({
      kind: RelayedKindSchema.exclude(['presence']),
      text: z.string().optional(),
      base64: z.string().optional(),
      to: Participant.optional(),
    }).refine((input) => (input.text === undefined) !== (input.base64 === undefined), 'give exactly one of "text" or "base64"'),
    run: (input, { client }) => {
      const payload = input.text !== undefined ? Buffer.from(input.text, 'utf8') : Buffer.from(input.base64 ?? '', 'base64');
      return { sent: client.send(input.kind, payload, input.to) };
    },
  }),
  command({
    name: 'reconnect',
    schema: z.object({ reason: z.string().max(200).default('asked on stdin') }),
    run: (input, { client }) => client.reconnectNow(input.reason),
  }),
  command({
    name: 'status',
    schema: z.object({}),
    run: (_input, { client }) => ({
      state: client.state, session: client.session, you: client.me, role: client.role, roster: client.roster,
      following: client.following, roundTrip: client.roundTrip, inviteLink: client.inviteLink, safetyCode: client.safetyCode,
    }),
  }),
  command({
    name: 'leave',
    schema: z.object({}),
    run: async (_input, context) => {
      await context.client.leave();
      context.exitAfter(0);
    },
  }),
  command({
    name: 'end', hostOnly: true,
    schema: z.object({}),
    run: async (_input, context) => {
      await context.client.end();
      context.exitAfter(0);
    },
  }),
];
