/**
 * Entry point: wires the parts together and returns the read-only {@link PairlineApi}. Every part
 * owns its own subscriptions; everything created here is disposed with the extension.
 */
import * as vscode from 'vscode';
import type { PairlineApi } from './api';
import { createClientFactory } from './client-factory';
import { registerCommands } from './commands';
import { ContextKeys } from './context-keys';
import { CoEditing, documentStateDirectory } from './documents';
import { FollowController } from './follow';
import { KnockPrompt } from './knock-prompt';
import { clientLogger, errorMessage } from './log';
import { ParticipantsView } from './participants-view';
import { PeerDecorations } from './peer-decorations';
import { PresencePublisher } from './presence-publisher';
import { SecretStore } from './secrets';
import { SessionFlows } from './session-flows';
import { SessionManager } from './session-manager';
import { Settings } from './settings';
import { StatusBar } from './status-bar';
import { InviteUriHandler } from './uri-handler';
import { WorkspaceMapping } from './workspace-mapping';
import { registerSharedWorkspace } from './workspace';

export function activate(context: vscode.ExtensionContext): PairlineApi {
  const channel = vscode.window.createOutputChannel('Pairline', { log: true });
  const log = clientLogger(channel, 'pairline');
  const settings = new Settings();
  const secrets = new SecretStore(context.secrets);
  const mapping = new WorkspaceMapping(settings);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  const sessions = new SessionManager(createClientFactory(version), settings, secrets, clientLogger(channel, 'client'));
  const showLog = () => channel.show(true);
  const flows = new SessionFlows(sessions, log, showLog);
  const contextKeys = new ContextKeys(sessions);
  const follow = new FollowController(sessions, mapping, log);
  const participants = new ParticipantsView(sessions);
  const coEditing = new CoEditing(sessions, mapping, settings, clientLogger(channel, 'docs'), documentStateDirectory(context.storageUri));
  const decorations = new PeerDecorations(sessions, mapping, settings, coEditing);
  const statusBar = new StatusBar(sessions);

  context.subscriptions.push(
    channel, settings, mapping, sessions, contextKeys, follow, participants, decorations, statusBar, coEditing,
    new PresencePublisher(sessions, mapping, coEditing),
    new KnockPrompt(sessions, settings),
    registerCommands({ sessions, flows, follow, participants, secrets, contextKeys, showLog }),
    vscode.window.registerUriHandler(new InviteUriHandler((invite) => flows.join(invite), log)),
    registerSharedWorkspace(sessions, settings, secrets, clientLogger(channel, 'files')),
  );

  void secrets.relayToken().then((token) => contextKeys.set('pairline.hasRelayToken', token !== undefined));
  // A window reload (or the first workspace folder being added) restarts the extension host:
  // come back to the session we were in.
  sessions.resumeStored().catch((error: unknown) => log.warn('could not resume the stored session', { error: errorMessage(error) }));
  log.info(`Pairline ${version} active`);

  return {
    get state() { return sessions.state; },
    get session() { return sessions.client?.session; },
    get role() { return sessions.role; },
    get me() { return sessions.client?.me; },
    get participants() { return sessions.roster; },
    get inviteLink() { return sessions.client?.inviteLink; },
    get following() { return sessions.client?.following; },
    get heals() { return coEditing.heals; },
    onDidChangeState: sessions.onDidChangeState,
    onDidChange: sessions.onDidChange,
    testing: {
      get decorations() { return decorations.rendered; },
      onDidRenderDecorations: decorations.onDidRender,
      get statusBar() { return { text: statusBar.text, tooltip: statusBar.tooltip }; },
      get participantsView() { return participants.rows(); },
      coEditing: {
        get reconciles() { return coEditing.reconciles; },
        get boundPaths() { return coEditing.boundPaths; },
        whenIdle: (uri) => coEditing.whenIdle(uri),
      },
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
