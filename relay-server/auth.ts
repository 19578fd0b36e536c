/**
 * Authentication at the HTTP upgrade, before `handleUpgrade`: a refused client never gets a
 * socket. Host access tokens come from the `Authorization: Bearer` header or from a
 * `bearer.<token>` entry of `Sec-WebSocket-Protocol` (browsers cannot set headers), never from
 * the query string, which proxies and servers write to their logs. Tokens may carry an expiry;
 * {@link Authenticator.replaceTokens} swaps the set at run time (SIGHUP re-reads the file).
 *
 * The decision is a value, so other modes (OIDC) can be added as one more function here.
 */
import type { IncomingMessage } from 'node:http';
import { BEARER_PROTOCOL_PREFIX, hashSecret, secretsEqual } from '../protocol';
import type { AuthMode, HostToken } from './config';

export type UpgradeDecision =
  | { readonly ok: true; readonly tokenHash: string | undefined }
  | { readonly ok: false; readonly status: 400 | 401; readonly message: string };

const QUERY_TOKEN_NAMES = ['token', 'access_token', 'bearer'];

interface KnownToken {
  readonly hash: string;
  readonly expiresAt?: number;
}

export class Authenticator {
  private known: readonly KnownToken[] = [];

  constructor(
    private readonly mode: AuthMode,
    tokens: readonly HostToken[],
    private readonly now: () => number = Date.now,
  ) {
    this.replaceTokens(tokens);
  }

  /** Number of tokens accepted now (not expired). */
  get activeCount(): number {
    const now = this.now();
    return this.known.filter((token) => token.expiresAt === undefined || token.expiresAt > now).length;
  }

  replaceTokens(tokens: readonly HostToken[]): void {
    // Keep only hashes: compared in constant time, never printable.
    this.known = tokens.map((token) => (token.expiresAt === undefined ? { hash: hashSecret(token.value) } : { hash: hashSecret(token.value), expiresAt: token.expiresAt }));
  }

  decide(request: IncomingMessage, url: URL): UpgradeDecision {
    for (const name of QUERY_TOKEN_NAMES) {
      if (url.searchParams.has(name)) {
        return { ok: false, status: 400, message: 'Access tokens are not accepted in the URL (they end up in logs). Send it as "Authorization: Bearer <token>" or as the WebSocket subprotocol "bearer.<token>", and revoke the token you just sent.' };
      }
    }
    const token = bearerToken(request);
    if (token === undefined) return { ok: true, tokenHash: undefined };
    const tokenHash = hashSecret(token);
    if (this.mode === 'open') return { ok: true, tokenHash: undefined };
    const known = this.known.find((candidate) => secretsEqual(candidate.hash, tokenHash));
    if (!known) {
      return { ok: false, status: 401, message: 'The access token is not valid for this relay. Check the token in your Pairline settings.' };
    }
    if (known.expiresAt !== undefined && known.expiresAt <= this.now()) {
      return { ok: false, status: 401, message: `The access token expired on ${new Date(known.expiresAt).toISOString()}. Ask the relay's operator for a new one and put it in your Pairline settings.` };
    }
    return { ok: true, tokenHash };
  }
}

function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header !== undefined ? /^Bearer\s+(\S+)\s*$/i.exec(header) : undefined;
  if (match?.[1]) return match[1];
  for (const entry of (request.headers['sec-websocket-protocol'] ?? '').split(',')) {
    const value = entry.trim();
    if (value.startsWith(BEARER_PROTOCOL_PREFIX) && value.length > BEARER_PROTOCOL_PREFIX.length) {
      return value.slice(BEARER_PROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}
