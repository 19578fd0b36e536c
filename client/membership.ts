/**
 * Turns constructor options (or a saved resume state) into the fixed facts of our membership:
 * which session, which secrets, which payload key. A new host mints its secrets here.
 */
import {
  deriveSessionId, newPayloadKey, newSecret, normaliseRelayUrl, type Invite, type SessionSettings,
} from '../protocol';
import type { ResumeState } from './api';
import type { Membership } from './resume';

export interface HostMode {
  readonly type: 'host';
  /** Reuse a host secret (and so a session id); minted when absent. */
  readonly hostSecret?: string;
  readonly inviteSecret?: string;
  /** Payload key; minted when absent and `encrypt` is on. */
  readonly key?: string;
  readonly settings: SessionSettings;
  /** End-to-end encryption of relayed bodies. Default true. */
  readonly encrypt?: boolean;
}

export interface GuestMode {
  readonly type: 'guest';
  readonly invite: Invite;
}

export type SessionMode = HostMode | GuestMode;

export function membershipFor(relay: string, name: string, mode: SessionMode, saved?: ResumeState): Membership {
  const base = { relay: normaliseRelayUrl(saved?.relay ?? relay), name: saved?.name ?? name };
  if (saved) {
    if (saved.side !== (mode.type === 'host' ? 'host' : 'guest')) throw new Error(`the saved state belongs to a ${saved.side}`);
    const { session, inviteSecret, key, hostSecret, settings } = saved;
    return { ...base, side: saved.side, session, inviteSecret, ...(key ? { key } : {}), ...(hostSecret ? { hostSecret } : {}), ...(settings ? { settings } : {}) };
  }
  if (mode.type === 'guest') {
    const { session, inviteSecret, key } = mode.invite;
    return { ...base, side: 'guest', session, inviteSecret, ...(key ? { key } : {}) };
  }
  const hostSecret = mode.hostSecret ?? newSecret();
  const key = mode.encrypt === false ? undefined : mode.key ?? newPayloadKey();
  return {
    ...base, side: 'host', session: deriveSessionId(hostSecret), hostSecret, settings: mode.settings,
    inviteSecret: mode.inviteSecret ?? newSecret(), ...(key ? { key } : {}),
  };
}
