/**
 * The status bar's text and tooltip for every connection state, as a pure function of what the
 * client reported (DESIGN.md "Status bar"). The editor glue re-renders on client events and on
 * the countdown tick this model asks for; it never guesses a state of its own.
 */
import type { Participant, Role } from '../../protocol';
import type { ConnectionState, RoundTrip } from '../api';

export interface StatusInput {
  /** Undefined when there is no session at all (nothing started or joined in this window). */
  readonly state: ConnectionState | undefined;
  /** Clock time now, ms. */
  readonly now: number;
  /** Reason of the latest state change (a sentence from the client). */
  readonly reason?: string;
  /** Reconnect attempt number of the latest state change. */
  readonly attempt?: number;
  /** Clock time of the next retry, while reconnecting or waiting for the host. */
  readonly retryAt?: number;
  /** Clock time the link dropped, while it stays down (drives "Offline — edits kept locally"). */
  readonly disconnectedSince?: number;
  readonly roster: readonly Participant[];
  readonly roundTrip?: RoundTrip;
  readonly relay?: string;
  readonly session?: string;
  readonly role?: Role;
  readonly following?: string;
}

export interface StatusView {
  /** Status bar text, with `$(icon)` codicons. */
  readonly text: string;
  /** Plain-text tooltip, one fact a line. */
  readonly tooltip: string;
  /** Draw with the warning background (link down) or error background (session over by failure). */
  readonly severity: 'normal' | 'warning' | 'error';
  /** Re-render after this many ms (live countdown), or undefined when nothing changes by itself. */
  readonly refreshInMs?: number;
}

/** After this long without a link, the status says edits are being kept locally. */
export const OFFLINE_AFTER_MS = 30_000;

export function statusView(input: StatusInput): StatusView {
  const tooltip = tooltipLines(input).join('\n');
  switch (input.state) {
    case undefined:
    case 'idle':
      return { text: '$(broadcast) Pairline', tooltip: 'Pairline: not in a session. Click to start or join one.', severity: 'normal' };
    case 'connecting':
      return { text: '$(sync~spin) Pairline: Connecting…', tooltip, severity: 'normal' };
    case 'connected': {
      const rtt = input.roundTrip ? ` · ${Math.round(input.roundTrip.lastMs)} ms` : '';
      const follow = input.following ? ' $(eye)' : '';
      return { text: `$(broadcast) Pairline: ${presenceText(input)}${rtt}${follow}`, tooltip, severity: 'normal' };
    }
    case 'reconnecting': {
      const offline = input.disconnectedSince !== undefined && input.now - input.disconnectedSince >= OFFLINE_AFTER_MS;
      const retry = retryText(input);
      const text = offline
        ? `$(cloud-offline) Offline — edits kept locally${retry.text}`
        : `$(sync~spin) Reconnecting…${retry.text}`;
      const offlineRefresh = !offline && input.disconnectedSince !== undefined
        ? Math.max(1, input.disconnectedSince + OFFLINE_AFTER_MS - input.now) : undefined;
      return { text, tooltip, severity: 'warning', refreshInMs: minDefined(retry.refreshInMs, offlineRefresh) };
    }
    case 'waiting-for-host': {
      const retry = retryText(input);
      return { text: `$(watch) Waiting for the host…${retry.text}`, tooltip, severity: 'warning', refreshInMs: retry.refreshInMs };
    }
    case 'waiting-for-approval':
      return { text: '$(watch) Waiting for the host to let you in…', tooltip, severity: 'normal' };
    case 'ended':
      return { text: `$(circle-slash) Session ended: ${shortReason(input.reason)}`, tooltip, severity: 'normal' };
  }
}

/**
 * Counts only who is online; people whose link is down are named apart, so a guest sees at once
 * that the host is away (its saves and new joins wait for it) instead of a count that still
 * includes it.
 */
function presenceText(input: StatusInput): string {
  const away = input.roster.filter((participant) => participant.state === 'reconnecting');
  const online = input.roster.length - away.length;
  if (away.length === 0) return `${online}`;
  const hostAway = input.role !== 'host' && away.some((participant) => participant.role === 'host');
  if (hostAway && away.length === 1) return `${online} · host reconnecting`;
  return `${online} · ${away.length} reconnecting${hostAway ? ' (host too)' : ''}`;
}

function retryText(input: StatusInput): { text: string; refreshInMs?: number } {
  const attempt = input.attempt && input.attempt > 0 ? `attempt ${input.attempt}` : undefined;
  if (input.retryAt === undefined || input.retryAt <= input.now) {
    return { text: attempt ? ` (${attempt})` : '' };
  }
  const remainingMs = input.retryAt - input.now;
  const seconds = Math.ceil(remainingMs / 1000);
  // Tick when the displayed whole second changes.
  const refreshInMs = remainingMs - (seconds - 1) * 1000;
  return { text: ` (retry in ${seconds} s${attempt ? `, ${attempt}` : ''})`, refreshInMs: Math.max(1, refreshInMs) };
}

function tooltipLines(input: StatusInput): string[] {
  const lines: string[] = [];
  lines.push(`Pairline — ${stateWords(input.state)}`);
  if (input.reason && input.state !== 'connected') lines.push(input.reason);
  if (input.relay) lines.push(`Relay: ${input.relay}`);
  if (input.session) lines.push(`Session: ${input.session}`);
  if (input.role) lines.push(`Role: ${input.role}`);
  if (input.roster.length > 0) {
    const names = input.roster.map((p) => `${p.name} (${p.role}${p.state === 'reconnecting' ? ', reconnecting' : ''})`);
    lines.push(`Participants (${input.roster.length}): ${names.join(', ')}`);
  }
  if (input.following) {
    const name = input.roster.find((p) => p.id === input.following)?.name ?? input.following;
    lines.push(`Following: ${name}`);
  }
  if (input.roundTrip) {
    lines.push(`Round trip: ${Math.round(input.roundTrip.lastMs)} ms (average ${Math.round(input.roundTrip.averageMs)} ms)`);
    const age = Math.max(0, Math.round((input.now - input.roundTrip.lastInboundAt) / 1000));
    lines.push(`Last heartbeat: ${age} s ago`);
  }
  lines.push('Click for session actions.');
  return lines;
}

function stateWords(state: ConnectionState | undefined): string {
  switch (state) {
    case undefined:
    case 'idle': return 'not in a session';
    case 'connecting': return 'connecting';
    case 'connected': return 'connected';
    case 'reconnecting': return 'reconnecting';
    case 'waiting-for-host': return 'waiting for the host';
    case 'waiting-for-approval': return 'waiting for approval';
    case 'ended': return 'session ended';
  }
}

/** The status bar is narrow: the first sentence of the reason, without its final period. */
function shortReason(reason: string | undefined): string {
  if (!reason) return 'unknown reason';
  const first = reason.split(/(?<=\.)\s/)[0] ?? reason;
  const trimmed = first.replace(/\.$/, '');
  return trimmed.length > 60 ? `${trimmed.slice(0, 59)}…` : trimmed;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
