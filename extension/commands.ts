/**
 * Registers every `pairline.*` command. Each handler is a few lines that pick their target (from
 * the argument a menu passes, or a quick pick) and call into the flows, the follow controller or
 * the session manager.
 */
import * as vscode from 'vscode';
import { inviteNotice, type GuestRole, type Invite, type Participant } from '../protocol';
import { inviteFromText } from '../client/status/join-input';
import { availableActions, type SessionAction } from '../client/status/session-actions';
import type { ContextKeys } from './context-keys';
import type { FollowController } from './follow';
import type { ParticipantsNode, ParticipantsView } from './participants-view';
import type { SecretStore } from './secrets';
import { localTime, type SessionFlows } from './session-flows';
import type { SessionManager } from './session-manager';

export interface CommandDependencies {
  readonly sessions: SessionManager;
  readonly flows: SessionFlows;
  readonly follow: FollowController;
  readonly participants: ParticipantsView;
  readonly secrets: SecretStore;
  readonly contextKeys: ContextKeys;
  readonly showLog: () => void;
}

/** A participant argument as menus, the tree and scripts pass it. */
type ParticipantArgument = string | ParticipantsNode | undefined;

export function registerCommands(deps: CommandDependencies): vscode.Disposable {
  const { sessions, flows, follow, participants, secrets, contextKeys, showLog } = deps;
  const register = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);

  const handlers: Record<string, (...args: never[]) => unknown> = {
    'pairline.startSession': () => flows.start(),
    'pairline.joinSession': async (argument?: string | Invite) => {
      const invite = typeof argument === 'object' ? argument : await askForInvite(argument);
      return invite ? flows.join(invite) : false;
    },
    'pairline.copyInviteLink': () => flows.copyInvite(),
    // Scripts may pass `{ confirm: false }`, and the link's role and expiry, to skip the prompts.
    'pairline.rotateInviteLink': (options?: { confirm?: boolean }) => flows.rotateInvite(options?.confirm ?? true),
    'pairline.createInviteLink': (options?: { role?: GuestRole; expiresInMinutes?: number }) => flows.createInvite(options ?? {}),
    'pairline.leaveSession': () => flows.leave(),
    'pairline.endSession': (options?: { confirm?: boolean }) => flows.end(options?.confirm ?? true),
    'pairline.showParticipants': () => participants.show(),
    'pairline.followParticipant': async (argument?: ParticipantArgument) => {
      const id = participantId(argument) ?? (await pickParticipant(sessions, 'Follow whom?'))?.id;
      if (id) await follow.start(id);
    },
    'pairline.stopFollowing': () => follow.stop(),
    'pairline.jumpToParticipant': async (argument?: ParticipantArgument) => {
      const id = participantId(argument) ?? (await pickParticipant(sessions, 'Jump to whom?'))?.id;
      if (id) await follow.jumpTo(id);
    },
    // Scripts may pass the role (and `{ confirm: false }` below) to skip the prompts.
    'pairline.changeParticipantRole': async (argument?: ParticipantArgument, role?: GuestRole) => {
      const target = await guestArgument(sessions, argument, 'Change whose role?');
      if (!target) return;
      const chosen = role ?? (await vscode.window.showQuickPick(
        [{ label: 'editor', description: 'can edit shared files' }, { label: 'viewer', description: 'can only watch' }],
        { title: `Role for ${target.name} (now ${target.role})` },
      ))?.label as GuestRole | undefined;
      if (chosen) sessions.client?.setRole(target.id, chosen);
    },
    'pairline.removeParticipant': async (argument?: ParticipantArgument, options?: { confirm?: boolean }) => {
      const target = await guestArgument(sessions, argument, 'Remove whom?');
      if (!target) return;
      if (options?.confirm !== false) {
        const choice = await vscode.window.showWarningMessage(`Remove ${target.name} from the session? Their invite stops working for them.`, { modal: true }, 'Remove');
        if (choice !== 'Remove') return;
      }
      sessions.client?.remove(target.id);
    },
    'pairline.allowAsEditor': (argument?: ParticipantArgument) => knock(argument, 'editor'),
    'pairline.allowAsViewer': (argument?: ParticipantArgument) => knock(argument, 'viewer'),
    'pairline.denyGuest': (argument?: ParticipantArgument) => knock(argument, 'deny'),
    'pairline.reconnectNow': () => sessions.client?.reconnectNow('Reconnect Now was chosen'),
    'pairline.showLog': () => showLog(),
    'pairline.showSafetyCode': () => {
      const code = sessions.client?.safetyCode;
      if (!code) {
        void vscode.window.showInformationMessage('This session is not end-to-end encrypted, so it has no safety code.');
        return;
      }
      void vscode.window.showInformationMessage(`Safety code: ${code}. Compare it with your teammate by voice or chat: equal codes mean nobody swapped the link.`);
    },
    'pairline.setRelayToken': async () => {
      const token = await vscode.window.showInputBox({
        title: 'Pairline relay access token',
        prompt: 'The token your relay operator gave you. It is stored in VS Code\'s secret storage, never in settings.',
        password: true,
        ignoreFocusOut: true,
      });
      if (token === undefined) return;
      await secrets.setRelayToken(token.trim() || undefined);
      contextKeys.set('pairline.hasRelayToken', Boolean(token.trim()));
      void vscode.window.showInformationMessage(token.trim() ? 'Relay access token saved.' : 'Relay access token cleared.');
    },
    'pairline.clearRelayToken': async () => {
      await secrets.setRelayToken(undefined);
      contextKeys.set('pairline.hasRelayToken', false);
      void vscode.window.showInformationMessage('Relay access token cleared.');
    },
    'pairline.sessionMenu': async () => {
      const client = sessions.client;
      const actions = availableActions({
        state: client?.state,
        role: client?.role,
        hasInvite: client?.inviteLink !== undefined,
        encrypted: client?.safetyCode !== undefined,
        following: client?.following !== undefined,
        othersPresent: sessions.others.length > 0,
      });
      const picked = await vscode.window.showQuickPick(actions.map((action) => ({ label: ACTION_LABELS[action].label, action })), { title: 'Pairline' });
      if (picked) await vscode.commands.executeCommand(ACTION_LABELS[picked.action].command);
    },
  };

  function knock(argument: ParticipantArgument, answer: 'editor' | 'viewer' | 'deny'): void {
    const id = typeof argument === 'object' && argument.kind === 'knock' ? argument.id : typeof argument === 'string' ? argument : undefined;
    if (id) sessions.answerKnock(id, answer);
  }

  return vscode.Disposable.from(...Object.entries(handlers).map(([id, handler]) => register(id, handler)));
}

/** What the undo commands act on: the focused editor's shared document. */
export interface UndoTarget {
  undo(): boolean;
  redo(): boolean;
}

/**
 * `pairline.undo` / `pairline.redo`: bound to the undo keys while the focused editor is
 * co-edited (see package.json), so they take back only this participant's edits, never a peer's
 * (VS Code's own undo stack holds the peers' edits the binding applied). Nothing to undo: nothing
 * happens. Registered by CoEditing, which owns the bindings.
 */
export function registerUndoCommands(target: UndoTarget): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('pairline.undo', () => target.undo()),
    vscode.commands.registerCommand('pairline.redo', () => target.redo()),
  );
}

const ACTION_LABELS: Record<SessionAction, { label: string; command: string }> = {
  start: { label: '$(broadcast) Start Session', command: 'pairline.startSession' },
  join: { label: '$(link) Join Session…', command: 'pairline.joinSession' },
  copyInvite: { label: '$(copy) Copy Invite Link', command: 'pairline.copyInviteLink' },
  createInvite: { label: '$(add) Create Invite Link…', command: 'pairline.createInviteLink' },
  rotateInvite: { label: '$(key) Rotate Invite Link', command: 'pairline.rotateInviteLink' },
  showParticipants: { label: '$(organization) Show Participants', command: 'pairline.showParticipants' },
  follow: { label: '$(eye) Follow Participant…', command: 'pairline.followParticipant' },
  stopFollowing: { label: '$(eye-closed) Stop Following', command: 'pairline.stopFollowing' },
  safetyCode: { label: '$(shield) Show Safety Code', command: 'pairline.showSafetyCode' },
  reconnectNow: { label: '$(refresh) Reconnect Now', command: 'pairline.reconnectNow' },
  leave: { label: '$(sign-out) Leave Session', command: 'pairline.leaveSession' },
  end: { label: '$(debug-stop) End Session', command: 'pairline.endSession' },
  showLog: { label: '$(output) Show Log', command: 'pairline.showLog' },
};

async function askForInvite(initial?: string): Promise<Invite | undefined> {
  if (initial) {
    const parsed = inviteFromText(initial);
    if (parsed.ok) return parsed.invite;
  }
  const text = await vscode.window.showInputBox({
    title: 'Join a Pairline session',
    prompt: 'Paste the invite link the host sent you (https://…/join/… or vscode://pairline.pairline/join…).',
    ...(initial ? { value: initial } : {}),
    ignoreFocusOut: true,
    validateInput: (value) => {
      const result = inviteFromText(value);
      if (!result.ok) return result.error;
      // What the link's hints mean, before connecting; an expired link cannot be accepted.
      const notice = inviteNotice(result.invite, Date.now(), localTime);
      if (!notice.sentence) return undefined;
      return { message: notice.sentence, severity: notice.expired ? vscode.InputBoxValidationSeverity.Error : vscode.InputBoxValidationSeverity.Info };
    },
  });
  if (text === undefined) return undefined;
  const result = inviteFromText(text);
  return result.ok ? result.invite : undefined;
}

function participantId(argument: ParticipantArgument): string | undefined {
  if (typeof argument === 'string') return argument;
  if (argument?.kind === 'participant') return argument.participant.id;
  return undefined;
}

async function pickParticipant(sessions: SessionManager, title: string, guestsOnly = false): Promise<Participant | undefined> {
  const candidates = sessions.others.filter((participant) => !guestsOnly || participant.role !== 'host');
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(guestsOnly ? 'No guests are in the session.' : 'Nobody else is in the session yet.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((participant) => ({ label: participant.name, description: `${participant.role} · ${participant.state}`, participant })),
    { title },
  );
  return picked?.participant;
}

async function guestArgument(sessions: SessionManager, argument: ParticipantArgument, title: string): Promise<Participant | undefined> {
  const id = participantId(argument);
  if (id) return sessions.participant(id);
  return pickParticipant(sessions, title, true);
}
