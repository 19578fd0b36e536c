/**
 * Turns what a person or the OS hands the extension into an invite: a pasted https link, a pasted
 * `vscode://pairline.pairline/join?…` link, or the parts of the URI VS Code passes to the URI
 * handler (which arrive already split and decoded).
 */
import { EXTENSION_URI_AUTHORITY, parseInviteLink, type InviteParseResult } from '../../protocol/invite';

export interface UriParts {
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
  /** Decoded query, as `vscode.Uri.query` gives it. */
  readonly query: string;
  /** Decoded fragment, as `vscode.Uri.fragment` gives it. */
  readonly fragment: string;
}

/** Parses the URI VS Code passes to `registerUriHandler`. */
export function inviteFromUri(uri: UriParts): InviteParseResult {
  if (uri.authority.toLowerCase() !== EXTENSION_URI_AUTHORITY) {
    return { ok: false, error: `That link is for another extension (${uri.authority}), not Pairline.` };
  }
  if (uri.path.replace(/\/+$/, '') !== '/join') {
    return { ok: false, error: `Pairline does not know the link action "${uri.path}". Ask the host for a fresh invite link.` };
  }
  // The query arrives decoded; re-encode each value so a relay URL with its own "?" or "&" survives.
  const query = uri.query.split('&').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 0) return encodeURIComponent(pair);
    return `${encodeURIComponent(pair.slice(0, at))}=${encodeURIComponent(pair.slice(at + 1))}`;
  }).join('&');
  const fragment = uri.fragment ? `#${uri.fragment}` : '';
  return parseInviteLink(`${uri.scheme}://${EXTENSION_URI_AUTHORITY}${uri.path}?${query}${fragment}`);
}

/** Parses text pasted into "Join Session…"; empty input asks for the link. */
export function inviteFromText(text: string): InviteParseResult {
  if (text.trim() === '') return { ok: false, error: 'Paste the invite link the host sent you.' };
  return parseInviteLink(text);
}
