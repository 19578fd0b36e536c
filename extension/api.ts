/**
 * What `activate()` returns: a small, read-only view of the session for tests and other
 * extensions. Nothing here changes the session; use the `pairline.*` commands for that.
 */
import type * as vscode from 'vscode';
import type { ConnectionState, StateChange } from '../client/api';
import type { Participant, Role } from '../protocol';
import type { RenderedPeer } from './peer-decorations';
import type { ParticipantsRow } from './participants-view';

export interface PairlineApi {
  /** Connection state of the current session, or undefined before any session in this window. */
  readonly state: ConnectionState | undefined;
  readonly session: string | undefined;
  readonly role: Role | undefined;
  /** Our own participant, once joined. */
  readonly me: Participant | undefined;
  readonly participants: readonly Participant[];
  /** Host only, once the session exists. */
  readonly inviteLink: string | undefined;
  /** Id of the participant we follow. */
  readonly following: string | undefined;
  /** Shared documents healed from the host's copy since activation (a desync: should stay 0). */
  readonly heals: number;
  readonly onDidChangeState: vscode.Event<StateChange>;
  /** Roster, knocks, round trip, following or state changed. */
  readonly onDidChange: vscode.Event<void>;
  /** Read-only observations of what the extension draws, for tests. */
  readonly testing: PairlineTestingApi;
}

export interface PairlineTestingApi {
  /** Remote marks drawn right now, one entry per participant and editor. */
  readonly decorations: readonly RenderedPeer[];
  /** Fires after the drawn marks changed. */
  readonly onDidRenderDecorations: vscode.Event<void>;
  /** Status bar text and tooltip as shown now. */
  readonly statusBar: { readonly text: string; readonly tooltip: string };
  /** Rows of the Participants view as drawn now. */
  readonly participantsView: readonly ParticipantsRow[];
  /** Shared documents bound to editors here. */
  readonly coEditing: {
    /** Editors reconciled by a diff because the binding lost track (a bug if not 0). */
    readonly reconciles: number;
    /** Wire paths of the documents bound to an editor. */
    readonly boundPaths: readonly string[];
    /** Resolves once the document's editor shows the shared text; false when it is not bound. */
    whenIdle(uri: vscode.Uri): Promise<boolean>;
  };
}
