/**
 * The public shape of one participant's connection to a session. Implemented by
 * `SessionClient` (client/session-client.ts); consumed by the extension, the CLI, the document
 * sync engine, the host file server and tests. Editor-agnostic: no vscode types.
 */
import type {
  GuestRole, Participant, PresencePayload, RelayedKind, Role, RosterEntry, SessionSettings,
} from '../protocol';
import type { Disposable, Event } from './events';

export type ConnectionState =
  /** Created, not started. */
  | 'idle'
  /** First connection attempt in progress. */
  | 'connecting'
  /** Joined: in the session and exchanging messages. */
  | 'connected'
  /** The link dropped; retrying with backoff (resume keeps our place). */
  | 'reconnecting'
  /** The relay does not have the session (4404 after a relay restart): retrying until the host is back. */
  | 'waiting-for-host'
  /** A guest whose join awaits the host's approval. */
  | 'waiting-for-approval'
  /** Final: left, ended by the host, removed, refused, or an unrecoverable error. */
  | 'ended';

export interface StateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
  /** Why, as a sentence a person can read. */
  readonly reason: string;
  /** Reconnect attempt number (1 for the first retry); 0 when not retrying. */
  readonly attempt: number;
  /** When the next attempt starts (clock time, ms), while reconnecting or waiting for the host. */
  readonly retryAt?: number;
  /** Convenience: retryAt − now at the moment of the transition. */
  readonly retryInMs?: number;
  /** The WebSocket close code that caused the change, if any. */
  readonly closeCode?: number;
}

export interface RoundTrip {
  /** Latest measured round-trip time, ms. */
  readonly lastMs: number;
  /** Mean over the recent window (last 10 samples), ms. */
  readonly averageMs: number;
  /** Clock time of the last frame received from the relay (any frame). */
  readonly lastInboundAt: number;
}

export interface JoinInfo {
  readonly session: string;
  readonly you: Participant;
  readonly roster: readonly Participant[];
  readonly settings: SessionSettings;
  /** True when this (re)join kept our place (resume); false on a fresh join or re-register. */
  readonly resumed: boolean;
  /**
   * True when relayed messages may have been missed (buffer gap, or a fresh join after a relay
   * restart): document sync must do a full state-vector exchange.
   */
  readonly needsResync: boolean;
}

export interface RosterChange {
  readonly change: 'joined' | 'left' | 'updated';
  readonly participant: Participant;
  readonly reason?: string;
}

export interface RemotePresence {
  readonly from: Participant;
  readonly presence: PresencePayload;
}

export interface Knock {
  readonly participant: { readonly id: string; readonly name: string };
}

/** A relayed message for a component (doc sync, file server), body already opened/decrypted. */
export interface Inbound {
  readonly kind: Exclude<RelayedKind, 'presence'>;
  readonly from: Participant;
  readonly payload: Uint8Array;
  /** Set when addressed only to us. */
  readonly direct: boolean;
}

export interface ClientError {
  /** Named code: a relay error code (`forbidden`, …), `close:<CloseCodeName>`, or a client-side one. */
  readonly code: string;
  /** A sentence a person can act on. */
  readonly message: string;
}

/**
 * Everything needed to come back to a session after the process restarts (the extension keeps it
 * in SecretStorage; it holds secrets, so never log it). Plain JSON: no class instances.
 */
export interface ResumeState {
  readonly version: 1;
  readonly relay: string;
  readonly session: string;
  readonly name: string;
  /** Which side we are: the host re-registers the session, a guest re-joins it. */
  readonly side: 'host' | 'guest';
  /** Our participant id, once the relay assigned one. */
  readonly participant?: string;
  /** The single-use token from the latest `joined`; absent before the first join. */
  readonly resumeToken?: string;
  /** The highest relayed sequence number we have seen. */
  readonly lastSeq: number;
  readonly inviteSecret: string;
  /** Payload key, when the session is encrypted. */
  readonly key?: string;
  /** Host only: proves the session is ours when re-registering it. */
  readonly hostSecret?: string;
  /** Host only: the settings to re-register with. */
  readonly settings?: SessionSettings;
  /** Host only: the guests it knew, so they get their ids and roles back after a relay restart. */
  readonly roster?: readonly RosterEntry[];
  /** Guest only: the secret whose hash the relay showed the host; claims our id back after a relay restart. */
  readonly rejoinSecret?: string;
  /** Host only: extra invite links (viewer, expiring) besides `inviteSecret`, re-registered with the session. */
  readonly invites?: readonly ExtraInvite[];
}

/** An invite link the host made besides the main one. Holds its secret: never log it. */
export interface ExtraInvite {
  readonly secret: string;
  /** The role a guest joining with it gets; absent: the session's default role. */
  readonly role?: GuestRole;
  /** Epoch ms after which the relay refuses it for new joins. */
  readonly expiresAt?: number;
}

/** An invite link as the host hands it out, with what it grants. */
export interface InviteLink {
  readonly link: string;
  readonly role?: GuestRole;
  readonly expiresAt?: number;
}

export interface SessionClientApi extends Disposable {
  readonly state: ConnectionState;
  readonly session: string | undefined;
  readonly me: Participant | undefined;
  readonly role: Role | undefined;
  readonly roster: readonly Participant[];
  readonly roundTrip: RoundTrip | undefined;
  /** The invite link guests use (host only, once the session exists). */
  readonly inviteLink: string | undefined;
  /** Short code derived from the payload key, for comparing out of band (undefined if unencrypted). */
  readonly safetyCode: string | undefined;

  readonly onDidChangeState: Event<StateChange>;
  readonly onDidJoin: Event<JoinInfo>;
  readonly onDidChangeRoster: Event<RosterChange>;
  readonly onDidReceivePresence: Event<RemotePresence>;
  readonly onDidMeasureRoundTrip: Event<RoundTrip>;
  readonly onDidKnock: Event<Knock>;
  readonly onDidWithdrawKnock: Event<{ participant: string; reason: string }>;
  readonly onDidReceive: Event<Inbound>;
  readonly onDidError: Event<ClientError>;
  /** What to store to rejoin after a restart; undefined once the session is over (forget it then). */
  readonly resumeState: ResumeState | undefined;
  /**
   * Fires when the stored state should be rewritten: after every (re)join (the resume token rotates;
   * fired before onDidJoin), for a host also when its roster changes, and with undefined when the
   * session ended. `lastSeq` advances without an event; read the getter.
   */
  readonly onDidChangeResumeState: Event<ResumeState | undefined>;

  /** Starts connecting (host: create the session; guest: join it). Resolves once joined the first time. */
  start(): Promise<JoinInfo>;
  /** Publishes our presence (latest wins; the caller throttles). Kept and re-sent after reconnect. */
  setPresence(presence: Omit<PresencePayload, 'type'>): void;
  /** Sends a relayed message to everyone, or to one participant. Dropped (returns false) while not connected. */
  send(kind: Exclude<RelayedKind, 'presence'>, payload: Uint8Array, to?: string): boolean;
  /** Host only. */
  approve(participant: string, role: GuestRole): void;
  deny(participant: string): void;
  setRole(participant: string, role: GuestRole): void;
  remove(participant: string): void;
  /**
   * Host only: replaces the invite link, and drops every extra link. Resolves with the new link once
   * the relay confirmed; from then on old links are refused for new joins (close 4401), while
   * everyone already in the session stays and keeps resuming. Rejects when not connected, or when
   * the relay refused or did not answer (the old links then may or may not still work: try again).
   */
  rotateInvite(): Promise<InviteLink>;
  /**
   * Host only: an extra invite link that gives `role` (default: the session's default role) and
   * stops working for new joins at `expiresAt` (epoch ms; default never). Resolves once the relay
   * accepts it. The main link and earlier extra links keep working.
   */
  createInvite(options: { readonly role?: GuestRole; readonly expiresAt?: number }): Promise<InviteLink>;
  /** The participant whose position we follow; kept across reconnects, cleared when they leave. */
  readonly following: string | undefined;
  readonly onDidChangeFollowing: Event<{ participant: string | undefined; reason: string }>;
  follow(participant: string | undefined): void;
  /** Skips the backoff wait and tries now (e.g. "network is back", "window focused", Reconnect Now). */
  reconnectNow(reason: string): void;
  /** Leaves the session. A host leaving ends the session for everyone (the relay treats it as `end`). */
  leave(): Promise<void>;
  /** Host only: ends the session for everyone. */
  end(): Promise<void>;
}
