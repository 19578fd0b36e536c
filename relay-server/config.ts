/**
 * Relay configuration: every option, its flag, its environment variable and its default, in one
 * table. `--help` is generated from the same table, so the two cannot drift apart.
 * Precedence: command-line flag, then environment variable (`PAIRLINE_<NAME>`), then default.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { RelayedKindSchema, type RelayedKind } from '../protocol';

export type AuthMode = 'open' | 'token';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A host access token and, optionally, when it stops being accepted (epoch ms). */
export interface HostToken {
  readonly value: string;
  readonly expiresAt?: number;
}

/** Message families with their own token bucket per connection. */
export type RateKind = 'presence' | 'document' | 'file' | 'control';
export const RATE_KINDS: readonly RateKind[] = ['presence', 'document', 'file', 'control'];

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface RelayConfig {
  readonly host: string;
  readonly port: number;
  readonly auth: AuthMode;
  /** Host access tokens (token mode). Never logged. */
  readonly tokens: readonly HostToken[];
  /** Where the tokens came from, so SIGHUP can read them again. */
  readonly tokensFile: string | undefined;
  readonly tokensList: string | undefined;
  readonly logLevel: LogLevel;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly preAuthTimeoutMs: number;
  readonly approvalTimeoutMs: number;
  readonly guestResumeMs: number;
  readonly hostResumeMs: number;
  readonly resumeBufferMessages: number;
  readonly resumeBufferBytes: number;
  readonly maxPayload: number;
  /** Largest body per relayed kind, in base64 characters. */
  readonly kindLimits: Readonly<Record<RelayedKind, number>>;
  readonly maxParticipants: number;
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  readonly maxSessionsPerToken: number;
  readonly maxBufferedBytes: number;
  readonly shutdownTimeoutMs: number;
  /** Token buckets per message family, per connection. */
  readonly rateLimits: Readonly<Record<RateKind, RateLimit>>;
  readonly preAuthMaxMessages: number;
  readonly preAuthMaxBytes: number;
  /** New WebSocket upgrades per client address per minute (0: unlimited). */
  readonly connectsPerMinute: number;
  /** Take the client address from the last X-Forwarded-For hop (behind a reverse proxy). */
  readonly trustProxy: boolean;
  /** Browser origins allowed to open a WebSocket; `*` allows any. Requests without Origin are native clients. */
  readonly allowedOrigins: readonly string[];
  /** Redis URL: share sessions with other relay processes through it (in-memory when absent). */
  readonly redis?: string;
}

interface OptionSpec {
  /** Flag name without dashes; the environment variable is PAIRLINE_ + upper snake case. */
  readonly name: string;
  readonly value: string;
  /** Default value; `undefined` when there is none or it is computed (then `shownDefault` says how). */
  readonly default: string | undefined;
  readonly shownDefault?: string;
  readonly description: string;
  /** Options that carry secrets are environment-only, so they never appear in `ps` output. */
  readonly envOnly?: boolean;
  /** A switch: `--name` alone means true; `--name=false` turns it off. */
  readonly boolean?: boolean;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'host', value: 'ADDRESS', default: '127.0.0.1', description: 'Interface to listen on. Use 0.0.0.0 (or ::) to accept connections from other machines.' },
  { name: 'port', value: 'PORT', default: '8787', description: 'TCP port; 0 picks a free one.' },
  { name: 'auth', value: 'open|token', default: undefined, shownDefault: 'open on a loopback host, token otherwise', description: 'Who may create sessions: anyone (open) or holders of a host access token (token). Joining always needs the invite secret instead.' },
  { name: 'tokens-file', value: 'FILE', default: undefined, description: 'File of host access tokens, one per line (blank lines and # comments ignored); a line may add an expiry: `TOKEN expires=2026-12-31T00:00:00Z`. SIGHUP reads the file again (add a new token, then remove the old one).' },
  { name: 'tokens', value: 'T1,T2', default: undefined, description: 'Host access tokens, comma-separated (environment only, so they stay out of `ps`).', envOnly: true },
  { name: 'log-level', value: 'LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent. Logs are JSON lines on stdout.' },
  { name: 'heartbeat-ms', value: 'MS', default: '15000', description: 'Interval between WebSocket pings to every connection.' },
  { name: 'dead-after-ms', value: 'MS', default: '30000', description: 'A connection silent (no frame, no pong) this long is terminated.' },
  { name: 'preauth-timeout-ms', value: 'MS', default: '10000', description: 'A connection that has not joined, created or started waiting by then is closed (4408).' },
  { name: 'approval-timeout-ms', value: 'MS', default: '120000', description: 'How long a guest waits for the host to approve it before the relay gives up (4408).' },
  { name: 'guest-resume-ms', value: 'MS', default: '120000', description: 'How long a disconnected guest keeps its place (id, role) and can resume.' },
  { name: 'host-resume-ms', value: 'MS', default: '600000', description: 'How long the session survives its host being disconnected.' },
  { name: 'resume-buffer-messages', value: 'N', default: '1000', description: 'Relayed messages kept per session for replay after a resume.' },
  { name: 'resume-buffer-bytes', value: 'BYTES', default: '8388608', description: 'Bytes of relayed messages kept per session for replay (whichever limit is hit first).' },
  { name: 'max-payload', value: 'BYTES', default: '1048576', description: 'Largest WebSocket message accepted; bigger ones close the connection with 4413 (beyond twice this size the WebSocket layer stops reading at once and closes with 1009).' },
  { name: 'kind-limits', value: 'KIND=N,…', default: 'presence=16384', description: 'Largest body per relayed kind in base64 characters (kinds: presence, sync, update, file, file-write); unlisted kinds are bounded by max-payload. Over the cap closes with 4413.' },
  { name: 'max-participants', value: 'N', default: '16', description: 'Participants per session, host included (4409 beyond).' },
  { name: 'rate-limit', value: 'PER_SECOND', default: '200', description: 'Sustained messages per second per connection, all kinds together (token bucket refill rate).' },
  { name: 'rate-burst', value: 'N', default: '400', description: 'Messages a connection may send in a burst, all kinds together (token bucket size). Beyond: close 4429.' },
  { name: 'rate-limits', value: 'KIND=RATE:BURST,…', default: 'control=50:100', shownDefault: 'control=50:100; presence, document and file follow --rate-limit/--rate-burst', description: 'Token bucket per message family and connection, e.g. presence=60:120: presence, document (sync, update), file (file, file-write), control (everything else). Beyond: close 4429 naming the family.' },
  { name: 'preauth-max-messages', value: 'N', default: '8', description: 'Messages a connection may send before it has joined, created or started waiting (4429 beyond).' },
  { name: 'preauth-max-bytes', value: 'BYTES', default: '131072', description: 'Bytes a connection may send before it has joined, created or started waiting (4413 beyond).' },
  { name: 'connects-per-minute', value: 'N', default: '3000', description: 'WebSocket upgrades accepted per client address per minute (HTTP 429 beyond); 0 turns the limit off.' },
  { name: 'trust-proxy', value: '[true|false]', default: 'false', boolean: true, description: 'Behind a reverse proxy: take the client address from the last X-Forwarded-For entry (for connects-per-minute). Leave off when clients reach the relay directly, or they could pick their own address.' },
  { name: 'allowed-origins', value: 'O1,O2', default: '', shownDefault: 'none', description: 'Browser origins (e.g. https://pair.example.com) allowed to open a WebSocket; * allows any. Upgrades with another Origin get HTTP 403. Requests without Origin (VS Code, the CLI) are always allowed.' },
  { name: 'max-sessions-per-token', value: 'N', default: '20', description: 'Live sessions one host access token may hold at once (token mode).' },
  { name: 'max-buffered-bytes', value: 'BYTES', default: '16777216', description: 'Unsent bytes queued for one connection before it is closed as too slow (4508); above max-payload, presence to it is skipped.' },
  { name: 'shutdown-timeout-ms', value: 'MS', default: '5000', description: 'On SIGTERM/SIGINT: time given to close every socket (1001) before the rest are cut and the process exits.' },
  { name: 'redis', value: 'URL', default: undefined, shownDefault: 'none: sessions live in this process', description: 'redis://[:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS): share sessions with other relay processes through this Redis, so any process behind a load balancer serves any session. Put a password in the environment variable, not on the command line.' },
];

export function envName(option: string): string {
  return `PAIRLINE_${option.toUpperCase().replace(/-/g, '_')}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type ParsedCommandLine =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly config: RelayConfig };

/** Reads flags and environment into a checked configuration. Throws {@link ConfigError} with a sentence. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const flags = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--help' || argument === '-h') return { kind: 'help' };
    if (argument === '--version') return { kind: 'version' };
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    const spec = match ? OPTIONS.find((option) => option.name === match[1] && !option.envOnly) : undefined;
    if (!match || !spec) throw new ConfigError(`unknown option "${argument}"; run with --help to see the options`);
    let value = match[2];
    if (value === undefined && spec.boolean) value = 'true';
    if (value === undefined) {
      index += 1;
      value = argv[index];
      if (value === undefined) throw new ConfigError(`option --${spec.name} needs a value (${spec.value})`);
    }
    flags.set(spec.name, value);
  }
  const raw = (name: string): string | undefined => flags.get(name) ?? nonEmpty(env[envName(name)]) ?? OPTIONS.find((o) => o.name === name)?.default;
  return { kind: 'run', config: buildConfig(raw) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function integer(raw: (name: string) => string | undefined, name: string, min: number): number {
  const text = raw(name) ?? '';
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`--${name} (${envName(name)}) must be a whole number ≥ ${min}, got "${text}"`);
  }
  return value;
}

function buildConfig(raw: (name: string) => string | undefined): RelayConfig {
  const host = raw('host') ?? '127.0.0.1';
  const tokens = readTokens(raw('tokens-file'), raw('tokens'));
  const explicitAuth = raw('auth');
  if (explicitAuth !== undefined && explicitAuth !== 'open' && explicitAuth !== 'token') {
    throw new ConfigError(`--auth must be "open" or "token", got "${explicitAuth}"`);
  }
  const auth: AuthMode = explicitAuth ?? (isLoopback(host) ? 'open' : 'token');
  if (auth === 'token' && tokens.length === 0) {
    throw new ConfigError(explicitAuth === 'token'
      ? 'token mode needs host access tokens: pass --tokens-file FILE or set PAIRLINE_TOKENS'
      : `listening on ${host} (not loopback) defaults to token mode, which needs host access tokens: pass --tokens-file FILE or set PAIRLINE_TOKENS, or pass --auth open to let anyone who reaches the relay create sessions`);
  }
  const logLevel = raw('log-level') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const maxPayload = integer(raw, 'max-payload', 1024);
  const heartbeatMs = integer(raw, 'heartbeat-ms', 10);
  const deadAfterMs = integer(raw, 'dead-after-ms', 10);
  if (deadAfterMs <= heartbeatMs) {
    throw new ConfigError('--dead-after-ms must be larger than --heartbeat-ms, or every connection would be cut between two pings');
  }
  return {
    host,
    port: integer(raw, 'port', 0),
    auth,
    tokens,
    tokensFile: raw('tokens-file'),
    tokensList: raw('tokens'),
    logLevel: logLevel as LogLevel,
    heartbeatMs,
    deadAfterMs,
    preAuthTimeoutMs: integer(raw, 'preauth-timeout-ms', 10),
    approvalTimeoutMs: integer(raw, 'approval-timeout-ms', 10),
    guestResumeMs: integer(raw, 'guest-resume-ms', 0),
    hostResumeMs: integer(raw, 'host-resume-ms', 0),
    resumeBufferMessages: integer(raw, 'resume-buffer-messages', 0),
    resumeBufferBytes: integer(raw, 'resume-buffer-bytes', 0),
    maxPayload,
    kindLimits: parseKindLimits(raw('kind-limits') ?? '', maxPayload),
    maxParticipants: integer(raw, 'max-participants', 1),
    rateLimitPerSecond: integer(raw, 'rate-limit', 1),
    rateLimitBurst: integer(raw, 'rate-burst', 1),
    maxSessionsPerToken: integer(raw, 'max-sessions-per-token', 1),
    maxBufferedBytes: integer(raw, 'max-buffered-bytes', 1024),
    shutdownTimeoutMs: integer(raw, 'shutdown-timeout-ms', 0),
    rateLimits: parseRateLimits(raw('rate-limits') ?? '', { perSecond: integer(raw, 'rate-limit', 1), burst: integer(raw, 'rate-burst', 1) }),
    preAuthMaxMessages: integer(raw, 'preauth-max-messages', 3),
    preAuthMaxBytes: integer(raw, 'preauth-max-bytes', 1024),
    connectsPerMinute: integer(raw, 'connects-per-minute', 0),
    trustProxy: parseBoolean('trust-proxy', raw('trust-proxy') ?? 'false'),
    allowedOrigins: (raw('allowed-origins') ?? '').split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter((origin) => origin !== ''),
    ...(raw('redis') !== undefined ? { redis: raw('redis') } : {}),
  };
}

function parseBoolean(name: string, text: string): boolean {
  if (['true', '1', 'yes', 'on'].includes(text.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(text.toLowerCase())) return false;
  throw new ConfigError(`--${name} (${envName(name)}) must be true or false, got "${text}"`);
}

function parseRateLimits(text: string, overall: RateLimit): Record<RateKind, RateLimit> {
  const defaults = OPTIONS.find((option) => option.name === 'rate-limits')?.default ?? '';
  // Families without their own entry follow the overall limit (so raising it raises them).
  const limits: Record<RateKind, RateLimit> = { presence: overall, document: overall, file: overall, control: overall };
  for (const item of [...defaults.split(','), ...text.split(',')]) {
    if (item.trim() === '') continue;
    const match = /^\s*([a-z]+)\s*=\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
    const kind = match?.[1] as RateKind | undefined;
    const perSecond = Number(match?.[2]);
    const burst = Number(match?.[3]);
    if (!match || kind === undefined || !RATE_KINDS.includes(kind) || perSecond < 1 || burst < 1) {
      throw new ConfigError(`--rate-limits entries look like presence=60:120 (families: ${RATE_KINDS.join(', ')}; rate and burst ≥ 1); got "${item}"`);
    }
    limits[kind] = { perSecond, burst };
  }
  return limits;
}

/** The bucket a client message counts against. */
export function rateKindOf(type: string, kind?: RelayedKind): RateKind {
  if (type !== 'send' || kind === undefined) return 'control';
  if (kind === 'presence') return 'presence';
  return kind === 'sync' || kind === 'update' ? 'document' : 'file';
}

/**
 * Reads host access tokens from the file (one per line, optional `expires=ISO-8601`) and the
 * comma-separated list. Tokens already expired are kept (refused at the upgrade with a
 * clear message), so an operator sees why a token stopped working.
 */
export function readTokens(file: string | undefined, list: string | undefined): HostToken[] {
  const tokens: HostToken[] = [];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read the tokens file ${file}: ${(err as Error).message}`);
    }
    text.split(/\r?\n/).forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const [value = '', ...attributes] = trimmed.split(/\s+/);
      let expiresAt: number | undefined;
      for (const attribute of attributes) {
        const match = /^expires=(.+)$/.exec(attribute);
        const parsed = match?.[1] !== undefined ? Date.parse(match[1]) : Number.NaN;
        if (!match || Number.isNaN(parsed)) {
          throw new ConfigError(`tokens file ${file} line ${index + 1}: after the token only "expires=2026-12-31T00:00:00Z" is allowed`);
        }
        expiresAt = parsed;
      }
      tokens.push(expiresAt === undefined ? { value } : { value, expiresAt });
    });
  }
  for (const token of (list ?? '').split(',')) {
    if (token.trim() !== '') tokens.push({ value: token.trim() });
  }
  for (const token of tokens) {
    // Tokens travel in the Sec-WebSocket-Protocol header, whose values must be HTTP tokens.
    if (!/^[A-Za-z0-9._~+-]{16,256}$/.test(token.value)) {
      throw new ConfigError('every host access token must be 16–256 characters of A–Z a–z 0–9 . _ ~ + - (generate one with `openssl rand -base64 32 | tr "/=" "_-"`)');
    }
  }
  return tokens;
}

function parseKindLimits(text: string, maxPayload: number): Record<RelayedKind, number> {
  const limits = Object.fromEntries(RelayedKindSchema.options.map((kind) => [kind, maxPayload])) as Record<RelayedKind, number>;
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const [kind, value] = item.split('=').map((part) => part.trim());
    const parsedKind = RelayedKindSchema.safeParse(kind);
    const limit = Number(value);
    if (!parsedKind.success || !Number.isInteger(limit) || limit < 0) {
      throw new ConfigError(`--kind-limits entries look like presence=16384 (kinds: ${RelayedKindSchema.options.join(', ')}); got "${item}"`);
    }
    limits[parsedKind.data] = Math.min(limit, maxPayload);
  }
  return limits;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** The text of `--help`. */
export function helpText(): string {
  const lines = [
    'pairline-relay — the Pairline relay: sessions, invites and message routing for live pairing.',
    '',
    'Usage: pairline-relay [options]          (or: node dist/relay.js [options])',
    '',
    'Every option can also be set by its environment variable; a flag wins over the variable.',
    '',
  ];
  for (const option of OPTIONS) {
    const flag = option.envOnly ? `${envName(option.name)} (environment only, no flag)` : `--${option.name} ${option.value}`;
    lines.push(`  ${flag}`);
    lines.push(`      env ${envName(option.name)}; default: ${option.default || option.shownDefault || 'none'}`);
    lines.push(`      ${option.description}`);
  }
  lines.push('  --help       show this text', '  --version    print the relay version', '');
  lines.push('Endpoints: /ws (WebSocket), /healthz, /readyz, /metrics (Prometheus), /join/SESSION (invite page).');
  return lines.join('\n');
}
