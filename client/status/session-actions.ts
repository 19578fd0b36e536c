/**
 * Which session actions apply right now, for the status bar's quick pick and the command
 * palette's context keys. Pure: the extension maps each action id onto its command.
 */
import type { Role } from '../../protocol';
import type { ConnectionState } from '../api';

export type SessionAction =
  | 'start' | 'join' | 'copyInvite' | 'createInvite' | 'rotateInvite' | 'showParticipants' | 'follow' | 'stopFollowing'
  | 'safetyCode' | 'reconnectNow' | 'leave' | 'end' | 'showLog';

export interface ActionContext {
  readonly state: ConnectionState | undefined;
  readonly role: Role | undefined;
  readonly hasInvite: boolean;
  readonly encrypted: boolean;
  readonly following: boolean;
  readonly othersPresent: boolean;
}

/** True while a session is in progress (not before it started, not after it ended). */
export function inSession(state: ConnectionState | undefined): boolean {
  return state !== undefined && state !== 'idle' && state !== 'ended';
}

export function availableActions(context: ActionContext): SessionAction[] {
  if (!inSession(context.state)) return ['start', 'join', 'showLog'];
  const actions: SessionAction[] = [];
  if (context.role === 'host' && context.hasInvite) actions.push('copyInvite');
  // Both wait for the relay to confirm the new link, so they are offered only while connected.
  if (context.role === 'host' && context.state === 'connected') actions.push('createInvite', 'rotateInvite');
  actions.push('showParticipants');
  if (context.following) actions.push('stopFollowing');
  else if (context.othersPresent) actions.push('follow');
  if (context.encrypted) actions.push('safetyCode');
  if (context.state === 'reconnecting' || context.state === 'waiting-for-host') actions.push('reconnectNow');
  actions.push('leave');
  if (context.role === 'host') actions.push('end');
  actions.push('showLog');
  return actions;
}
