/**
 * Invite links. The invite secret and the payload key travel in the URL fragment, which browsers
 * never send to a server, so neither lands in a relay or proxy log:
 *
 *   https://RELAY/join/SESSION#s=SECRET&k=KEY
 *   vscode://pairline.pairline/join?relay=https%3A%2F%2FRELAY&session=SESSION#s=SECRET&k=KEY
 *
 * RELAY may carry a path prefix (a relay behind a reverse proxy at /pairline/). A link the host
 * made with a role or an expiry also carries `r=viewer` and `e=EXPIRES` (epoch ms), after the
 * secrets so a cut-off link loses the hints, never the secrets. These are hints for the person
 * holding the link ("you will join as a viewer", "this link has expired"): the relay enforces
 * the invite's real role and expiry, so a hint that does not parse is dropped, not an error.
 */
import type { GuestRole } from './messages';
import { JOIN_PATH, WEBSOCKET_PATH } from './version';

export const EXTENSION_URI_AUTHORITY = 'pairline.pairline';

export interface Invite {
  /** The relay's base URL (http or https, no trailing slash), e.g. `https://relay.example.com/pairline`. */
  readonly relay: string;
  readonly session: string;
  readonly inviteSecret: string;
  /** Base64url payload key for end-to-end encryption; absent for unencrypted sessions. */
  readonly key?: string;
  /** Hint (`e=`): when the relay stops accepting this link, epoch ms. Absent: no expiry shown. */
  readonly expiresAt?: number;
  /** Hint (`r=`): the role a guest joining with this link gets. Absent: the session's default. */
  readonly role?: GuestRole;
}

export type InviteParseResult = { ok: true; invite: Invite } | { ok: false; error: string };

const SESSION_RE = /^[A-Za-z0-9_-]{22}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{22,128}$/;
/**
 * Epoch ms with exactly 13 digits (the years 2001–2286), so a link cut off inside `e=` reads as
 * no expiry rather than a wrong one.
 */
const EXPIRES_RE = /^[1-9][0-9]{12}$/;
const HINT_ROLES: readonly GuestRole[] = ['editor', 'viewer'];

/** Normalises a relay URL: http(s) only, no query, fragment or trailing slash. */
export function normaliseRelayUrl(relay: string): string {
  const url = new URL(relay);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`relay URL must start with http:// or https:// (got ${url.protocol})`);
  }
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** The WebSocket URL of a relay: http→ws, https→wss, plus /ws. */
export function relayWebSocketUrl(relay: string): string {
  const base = normaliseRelayUrl(relay);
  return base.replace(/^http/, 'ws') + WEBSOCKET_PATH;
}

export function formatInviteLink(invite: Invite): string {
  return `${normaliseRelayUrl(invite.relay)}${JOIN_PATH}${invite.session}#${fragment(invite)}`;
}

/** The form VS Code hands to the extension's URI handler. */
export function formatExtensionUri(invite: Invite, scheme = 'vscode'): string {
  const query = `relay=${encodeURIComponent(normaliseRelayUrl(invite.relay))}&session=${invite.session}`;
  return `${scheme}://${EXTENSION_URI_AUTHORITY}/join?${query}#${fragment(invite)}`;
}

function fragment(invite: Invite): string {
  const parts = [`s=${invite.inviteSecret}`];
  if (invite.key) parts.push(`k=${invite.key}`);
  if (invite.role) parts.push(`r=${invite.role}`);
  if (invite.expiresAt !== undefined) parts.push(`e=${Math.floor(invite.expiresAt)}`);
  return parts.join('&');
}

/** The `r=`/`e=` hints of a parsed fragment; values that do not parse are left out. */
function hints(secrets: URLSearchParams): Pick<Invite, 'role' | 'expiresAt'> {
  const role = HINT_ROLES.find((candidate) => candidate === secrets.get('r'));
  const expires = secrets.get('e') ?? '';
  return {
    ...(role ? { role } : {}),
    ...(EXPIRES_RE.test(expires) ? { expiresAt: Number(expires) } : {}),
  };
}

export interface InviteNotice {
  /** True when the link's expiry hint has passed: joining would be refused, so do not try. */
  readonly expired: boolean;
  /** What the link's hints mean for the person holding it, or undefined when it has none. */
  readonly sentence: string | undefined;
}

/**
 * What to tell a person about a link before connecting: its role and expiry hints, or that it
 * has expired. `formatTime` renders a time for people (the extension uses the local time zone).
 */
export function inviteNotice(invite: Invite, now: number, formatTime: (epochMs: number) => string = (ms) => new Date(ms).toISOString()): InviteNotice {
  if (invite.expiresAt !== undefined && invite.expiresAt <= now) {
    return { expired: true, sentence: `This invite link expired at ${formatTime(invite.expiresAt)}. Ask the host for a new one.` };
  }
  const parts: string[] = [];
  if (invite.role === 'viewer') parts.push('You will join as a viewer: you can watch and follow, not edit.');
  if (invite.role === 'editor') parts.push('You will join as an editor.');
  if (invite.expiresAt !== undefined) parts.push(`This link works until ${formatTime(invite.expiresAt)}.`);
  return { expired: false, sentence: parts.length > 0 ? parts.join(' ') : undefined };
}

/**
 * Parses either form of invite link (leading/trailing whitespace and angle brackets, as mail
 * clients add them, are tolerated). Errors are sentences for the person who pasted the link.
 */
export function parseInviteLink(text: string): InviteParseResult {
  const trimmed = text.trim().replace(/^<|>$/g, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { ok: false, error: 'That is not a link. Paste the whole invite link the host sent you.' };
  }
  const secrets = new URLSearchParams(url.hash.replace(/^#/, ''));
  let relay: string;
  let session: string | null;
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const at = url.pathname.lastIndexOf(JOIN_PATH);
    if (at < 0) return { ok: false, error: 'That link is not a Pairline invite (no /join/ in it).' };
    session = decodeURIComponent(url.pathname.slice(at + JOIN_PATH.length).replace(/\/+$/, ''));
    relay = `${url.protocol}//${url.host}${url.pathname.slice(0, at)}`;
  } else if (url.hostname === EXTENSION_URI_AUTHORITY || url.host === EXTENSION_URI_AUTHORITY) {
    const relayParam = url.searchParams.get('relay');
    if (!relayParam) return { ok: false, error: 'The invite link has no relay in it. Ask the host to copy it again.' };
    relay = relayParam;
    session = url.searchParams.get('session');
    // Tolerate secrets in the query too: some launchers drop fragments from custom-scheme URIs.
    for (const name of ['s', 'k', 'r', 'e']) {
      const value = url.searchParams.get(name);
      if (value && !secrets.has(name)) secrets.set(name, value);
    }
  } else {
    return { ok: false, error: `That link is not a Pairline invite (${url.protocol}//${url.host}).` };
  }
  if (!session || !SESSION_RE.test(session)) {
    return { ok: false, error: 'The invite link is damaged (its session id is wrong). Ask the host to copy it again.' };
  }
  const inviteSecret = secrets.get('s');
  if (!inviteSecret || !SECRET_RE.test(inviteSecret)) {
    return { ok: false, error: 'The invite link is incomplete: the part after "#" is missing or cut off. Ask the host to copy it again.' };
  }
  const key = secrets.get('k') ?? undefined;
  if (key !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(key)) {
    return { ok: false, error: 'The invite link is damaged (its encryption key is wrong). Ask the host to copy it again.' };
  }
  try {
    relay = normaliseRelayUrl(relay);
  } catch (err) {
    return { ok: false, error: `The invite link's relay address is not usable: ${(err as Error).message}.` };
  }
  return { ok: true, invite: { relay, session, inviteSecret, ...(key ? { key } : {}), ...hints(secrets) } };
}
