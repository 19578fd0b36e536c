/** The host's "NAME wants to join — Allow as editor / Allow as viewer / Deny" notification. */
import * as vscode from 'vscode';
import type { SessionManager } from './session-manager';
import type { Settings } from './settings';

const ALLOW_EDITOR = 'Allow as editor';
const ALLOW_VIEWER = 'Allow as viewer';
const DENY = 'Deny';

export class KnockPrompt implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(sessions: SessionManager, settings: Settings) {
    this.subscription = sessions.onDidKnock(({ participant }) => {
      // Offer the default role first so Enter does the usual thing.
      const buttons = settings.values.defaultGuestRole === 'viewer' ? [ALLOW_VIEWER, ALLOW_EDITOR, DENY] : [ALLOW_EDITOR, ALLOW_VIEWER, DENY];
      void vscode.window.showInformationMessage(`${participant.name} wants to join your Pairline session.`, ...buttons).then((choice) => {
        // A guest who gave up (or was answered from the participants view) is no longer waiting.
        if (!choice || !sessions.knocks.some((knock) => knock.id === participant.id)) return;
        sessions.answerKnock(participant.id, choice === DENY ? 'deny' : choice === ALLOW_VIEWER ? 'viewer' : 'editor');
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
