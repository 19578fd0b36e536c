/**
 * The host's invite-link commands on stdin:
 *
 *   {"cmd":"rotate-invite"}                                    → result with the new main link
 *   {"cmd":"invite","role":"viewer","expiresInMinutes":60}     → result with an extra link
 *
 * Both answer once the relay confirmed the change, so the printed link already works (and, after
 * a rotation, the old ones already do not).
 */
import { z } from 'zod';
import { GuestRoleSchema } from '../../protocol';
import type { InviteLink } from '../api';
import { CommandError, type StdinCommand } from './stdin-commands';

/** A year: longer-lived links are better made without an expiry, and rotated when needed. */
const MAX_EXPIRY_MINUTES = 365 * 24 * 60;

function fields(invite: InviteLink): Record<string, unknown> {
  return {
    link: invite.link, role: invite.role,
    ...(invite.expiresAt !== undefined ? { expiresAt: invite.expiresAt, expires: new Date(invite.expiresAt).toISOString() } : {}),
  };
}

async function changed(change: Promise<InviteLink>): Promise<Record<string, unknown>> {
  try {
    return fields(await change);
  } catch (err) {
    throw new CommandError('invite-failed', err instanceof Error ? err.message : String(err));
  }
}

export const INVITE_COMMANDS: readonly StdinCommand[] = [
  {
    name: 'rotate-invite', hostOnly: true, needsConnection: true,
    schema: z.object({}),
    run: (_input, { client }) => changed(client.rotateInvite()),
  },
  {
    name: 'invite', hostOnly: true, needsConnection: true,
    schema: z.object({
      role: GuestRoleSchema.optional(),
      expiresInMinutes: z.number().int().min(1).max(MAX_EXPIRY_MINUTES).optional(),
    }),
    run: (input: { role?: 'editor' | 'viewer'; expiresInMinutes?: number }, { client }) => changed(client.createInvite({
      ...(input.role ? { role: input.role } : {}),
      ...(input.expiresInMinutes !== undefined ? { expiresAt: Date.now() + input.expiresInMinutes * 60_000 } : {}),
    })),
  },
];
