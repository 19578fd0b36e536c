/**
 * `--state-file FILE`: the participant's ResumeState on disk, so a restarted `pairline` process
 * comes back to the same session with the same id (the CLI's counterpart of the extension's
 * SecretStorage). It holds secrets: written owner-only, atomically, and deleted when the session
 * is over.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import {
  GuestRoleSchema, MAX_INVITES, ParticipantIdSchema, RosterEntrySchema, SecretSchema, SessionIdSchema, SessionSettingsSchema,
} from '../../protocol';
import type { ResumeState } from '../api';
import { UsageError } from './options';

const ResumeStateSchema = z.object({
  version: z.literal(1),
  relay: z.string().url(),
  session: SessionIdSchema,
  name: z.string().min(1).max(64),
  side: z.enum(['host', 'guest']),
  participant: ParticipantIdSchema.optional(),
  resumeToken: SecretSchema.optional(),
  lastSeq: z.number().int().min(0),
  inviteSecret: SecretSchema,
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional(),
  hostSecret: SecretSchema.optional(),
  settings: SessionSettingsSchema.optional(),
  roster: z.array(RosterEntrySchema).optional(),
  /** The host's extra invite links (viewer, expiring), re-registered when it creates the session again. */
  invites: z.array(z.object({
    secret: SecretSchema, role: GuestRoleSchema.optional(), expiresAt: z.number().int().min(0).optional(),
  })).max(MAX_INVITES).optional(),
});

/** The saved state, or undefined when there is none. A damaged file is a usage error, not ignored. */
export function readState(file: string, side: 'host' | 'guest'): ResumeState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read --state-file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`--state-file ${file} is not JSON; delete it to start afresh`);
  }
  const parsed = ResumeStateSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`--state-file ${file} is not a Pairline state file; delete it to start afresh`);
  if (parsed.data.side !== side) throw new UsageError(`--state-file ${file} belongs to a ${parsed.data.side}, not a ${side}`);
  return parsed.data;
}

/** Writes (or, for undefined, deletes) the state. */
export function writeState(file: string, state: ResumeState | undefined): void {
  if (state === undefined) {
    rmSync(file, { force: true });
    return;
  }
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
