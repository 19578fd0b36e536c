/**
 * Options every participant command shares: relay access, logging, and the advanced timing knobs
 * (short heartbeats in tests, gentler backoff on a flaky link). Each flag also reads an environment
 * variable, so a wrapper script can set them once.
 */
import type { ParseArgsConfig } from 'node:util';
import type { SessionClientTimings } from '../session-client';
import type { CliIo, LogLevel } from './io';
import { isLogLevel } from './io';

export const PARTICIPANT_OPTIONS = {
  name: { type: 'string' },
  token: { type: 'string' },
  folder: { type: 'string' },
  'state-file': { type: 'string' },
  'log-level': { type: 'string' },
  'rtt-every': { type: 'string' },
  'ping-ms': { type: 'string' },
  'dead-after-ms': { type: 'string' },
  'backoff-base-ms': { type: 'string' },
  'backoff-cap-ms': { type: 'string' },
  'stable-after-ms': { type: 'string' },
  'connect-timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = Partial<Record<keyof typeof PARTICIPANT_OPTIONS, string | boolean>>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function flagOrEnv(values: Values, io: CliIo, flag: keyof typeof PARTICIPANT_OPTIONS, env: string): string | undefined {
  const value = values[flag];
  if (typeof value === 'string') return value;
  const fromEnv = io.env[env];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${flag} must be a whole number of milliseconds (got "${text}")`);
  return value;
}

export interface ParticipantSettings {
  readonly name: string;
  readonly token: string | undefined;
  readonly folder: string | undefined;
  /** Where to keep the resume state between runs. */
  readonly stateFile: string | undefined;
  readonly logLevel: LogLevel;
  readonly rttEvery: number;
  readonly timings: Partial<SessionClientTimings>;
}

export function participantSettings(values: Values, io: CliIo): ParticipantSettings {
  const name = typeof values.name === 'string' ? values.name.trim() : '';
  if (!name) throw new UsageError('--name NAME is required (the name others see)');
  if (name.length > 64) throw new UsageError('--name must be at most 64 characters');
  const logLevel = flagOrEnv(values, io, 'log-level', 'PAIRLINE_LOG_LEVEL') ?? 'warn';
  if (!isLogLevel(logLevel)) throw new UsageError('--log-level must be debug, info, warn, error or silent');
  const ms = (flag: keyof typeof PARTICIPANT_OPTIONS, env: string) => positiveInteger(flagOrEnv(values, io, flag, env), flag);
  const base = ms('backoff-base-ms', 'PAIRLINE_BACKOFF_BASE_MS');
  const cap = ms('backoff-cap-ms', 'PAIRLINE_BACKOFF_CAP_MS');
  const timings: Partial<SessionClientTimings> = Object.fromEntries(Object.entries({
    pingIntervalMs: ms('ping-ms', 'PAIRLINE_PING_MS'),
    deadAfterMs: ms('dead-after-ms', 'PAIRLINE_DEAD_AFTER_MS'),
    stableAfterMs: ms('stable-after-ms', 'PAIRLINE_STABLE_AFTER_MS'),
    connectTimeoutMs: ms('connect-timeout-ms', 'PAIRLINE_CONNECT_TIMEOUT_MS'),
    backoff: base !== undefined || cap !== undefined ? { baseMs: base ?? 500, capMs: cap ?? 10_000 } : undefined,
  }).filter(([, value]) => value !== undefined));
  const rttEvery = positiveInteger(typeof values['rtt-every'] === 'string' ? values['rtt-every'] : undefined, 'rtt-every') ?? 1;
  return {
    name,
    token: flagOrEnv(values, io, 'token', 'PAIRLINE_TOKEN'),
    folder: typeof values.folder === 'string' ? values.folder : undefined,
    stateFile: flagOrEnv(values, io, 'state-file', 'PAIRLINE_STATE_FILE'),
    logLevel,
    rttEvery: Math.max(1, rttEvery),
    timings,
  };
}

export const PARTICIPANT_HELP = `Options for host and join:
  --name NAME              your display name (required)
  --token T                relay access token (or PAIRLINE_TOKEN)
  --folder DIR             the folder this participant works in (must exist)
  --state-file FILE        keep the resume state here (secrets: mode 0600) so a restarted
                           process returns to the same session with the same id
  --log-level LEVEL        debug|info|warn|error|silent, JSON lines on stderr (default warn)
  --rtt-every N            print only every Nth rtt event (default 1)
  -h, --help               this help
Advanced (also as env PAIRLINE_PING_MS, PAIRLINE_DEAD_AFTER_MS, …):
  --ping-ms MS             heartbeat interval (default 5000)
  --dead-after-ms MS       silence that counts as a dead link (default 20000)
  --backoff-base-ms MS     reconnect backoff base (default 500)
  --backoff-cap-ms MS      reconnect backoff cap (default 10000)
  --stable-after-ms MS     connected this long resets the attempt count (default 5000)
  --connect-timeout-ms MS  give up on a connection attempt after (default 15000)`;
