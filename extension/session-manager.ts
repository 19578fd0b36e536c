/**
 * Owns the current session client (at most one per window) and turns its events into the few the
 * extension's views need. Knows nothing about UI: commands decide what to show. Keeps the latest
 * presence of each remote participant so views can render at once when they (re)appear.
 */
import * as vscode from 'vscode';
import type {
  ClientError, ConnectionState, JoinInfo, Knock, ResumeState, SessionClientApi, StateChange,
} from '../client/api';
import type { Logger } from '../client/ports';
import type { SessionMode } from '../client/session-client';
import type { Invite, Participant, PresencePayload, Role } from '../protocol';
import type { SecretStore } from './secrets';
import type { Settings } from './settings';
import { errorMessage } from './log';


export interface ClientRequest {
  readonly relay: string;
  readonly name: string;
  readonly mode: SessionMode;
  readonly token?: string;
  readonly resumeState?: ResumeState;
  readonly logger: Logger;
}

/** How often the stored resume state is rewritten while a session runs. */
const RESUME_REFRESH_MS = 60_000;

/** Creates a real client (extension/client-factory.ts) or, in tests, a fake one. */
export type ClientFactory = (request: ClientRequest) => SessionClientApi;

export class SessionManager implements vscode.Disposable {
  private current: SessionClientApi | undefined;
  private subscriptions: vscode.Disposable[] = [];
  private lastChange: StateChange | undefined;
  private downSince: number | undefined;
  private relayUrl: string | undefined;
  private readonly presenceByParticipant = new Map<string, PresencePayload>();
  private readonly knocksByParticipant = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | undefined;

  private readonly changed = new vscode.EventEmitter<void>();
  private readonly stateChanged = new vscode.EventEmitter<StateChange>();
  private readonly presenceChanged = new vscode.EventEmitter<string>();
  private readonly knocked = new vscode.EventEmitter<Knock>();
  private readonly errored = new vscode.EventEmitter<ClientError>();
  private readonly clientChanged = new vscode.EventEmitter<SessionClientApi | undefined>();

  /** Something any view shows changed: state, roster, round trip, knocks, following. */
  readonly onDidChange = this.changed.event;
  readonly onDidChangeState = this.stateChanged.event;
  /** The presence of this participant changed, or they left (then {@link presenceOf} is undefined). */
  readonly onDidChangePresence = this.presenceChanged.event;
  readonly onDidKnock = this.knocked.event;
  readonly onDidError = this.errored.event;
  /** A new client replaced the previous one (or the last one was dropped). */
  readonly onDidChangeClient = this.clientChanged.event;

  constructor(
    private readonly createClient: ClientFactory,
    private readonly settings: Settings,
    private readonly secrets: SecretStore,
    private readonly log: Logger,
  ) {}

  get client(): SessionClientApi | undefined {
    return this.current;
  }

  get state(): ConnectionState | undefined {
    return this.current?.state;
  }

  get lastStateChange(): StateChange | undefined {
    return this.lastChange;
  }

  /** Clock time the link dropped, while it stays down. */
  get disconnectedSince(): number | undefined {
    return this.downSince;
  }

  get relay(): string | undefined {
    return this.relayUrl;
  }

  get role(): Role | undefined {
    return this.current?.role;
  }

  get roster(): readonly Participant[] {
    return this.current?.roster ?? [];
  }

  /** Everyone except us. */
  get others(): readonly Participant[] {
    const me = this.current?.me?.id;
    return this.roster.filter((participant) => participant.id !== me);
  }

  get knocks(): readonly { id: string; name: string }[] {
    return [...this.knocksByParticipant].map(([id, name]) => ({ id, name }));
  }

  presenceOf(participant: string): PresencePayload | undefined {
    return this.presenceByParticipant.get(participant);
  }

  participant(id: string): Participant | undefined {
    return this.roster.find((participant) => participant.id === id);
  }

  /** True between start/join and the end of the session. */
  get inSession(): boolean {
    const state = this.state;
    return state !== undefined && state !== 'idle' && state !== 'ended';
  }

  /** Starts a new session as host on the configured relay. Resolves once the relay created it. */
  async host(): Promise<JoinInfo> {
    const values = this.settings.values;
    const mode: SessionMode = {
      type: 'host',
      settings: { approval: values.approval, defaultRole: values.defaultGuestRole },
      encrypt: values.encrypt,
    };
    return this.run(values.relayUrl, mode);
  }

  /** Joins the session of an invite. Resolves once the host let us in. */
  async join(invite: Invite): Promise<JoinInfo> {
    return this.run(invite.relay, { type: 'guest', invite });
  }

  /** Comes back to the session stored before a window reload, if any. */
  async resumeStored(): Promise<JoinInfo | undefined> {
    const stored = await this.secrets.resumeState();
    if (!stored || this.inSession) return undefined;
    const mode: SessionMode = stored.side === 'host'
      ? { type: 'host', settings: stored.settings ?? { approval: 'prompt', defaultRole: 'editor' }, encrypt: stored.key !== undefined }
      : { type: 'guest', invite: { relay: stored.relay, session: stored.session, inviteSecret: stored.inviteSecret, ...(stored.key ? { key: stored.key } : {}) } };
    this.log.info('resuming the stored session after a window reload', { session: stored.session, side: stored.side });
    return this.run(stored.relay, mode, stored);
  }

  async leave(): Promise<void> {
    const client = this.current;
    if (!client) return;
    await client.leave();
  }

  async end(): Promise<void> {
    const client = this.current;
    if (!client) return;
    await client.end();
  }

  /** Drops the current client without telling the relay (used when joining is cancelled before it completed). */
  async cancel(): Promise<void> {
    const client = this.current;
    if (!client) return;
    try {
      await client.leave();
    } catch (error) {
      this.log.warn('leaving a cancelled join failed', { error: errorMessage(error) });
    }
    this.replaceClient(undefined);
    await this.secrets.setResumeState(undefined);
    this.changed.fire();
  }

  /** Host: lets a waiting guest in with a role, or turns them away. */
  answerKnock(participant: string, answer: 'editor' | 'viewer' | 'deny'): void {
    const client = this.current;
    if (!client || !this.knocksByParticipant.has(participant)) return;
    const name = this.knocksByParticipant.get(participant);
    this.knocksByParticipant.delete(participant);
    if (answer === 'deny') client.deny(participant);
    else client.approve(participant, answer);
    this.log.info(answer === 'deny' ? `denied ${name}` : `let ${name} in as ${answer}`, { participant });
    this.changed.fire();
  }

  dispose(): void {
    // Keep the stored resume state: a reload (or adding a workspace folder) comes back to the session.
    this.replaceClient(undefined);
    for (const emitter of [this.changed, this.stateChanged, this.presenceChanged, this.knocked, this.errored, this.clientChanged]) {
      emitter.dispose();
    }
  }

  private async run(relay: string, mode: SessionMode, resumeState?: ResumeState): Promise<JoinInfo> {
    if (this.inSession) throw new Error('You are already in a Pairline session. Leave it first (Pairline: Leave Session).');
    const token = mode.type === 'host' ? await this.secrets.relayToken() : undefined;
    const client = this.createClient({
      relay,
      name: this.settings.values.displayName,
      mode,
      logger: this.log,
      ...(token ? { token } : {}),
      ...(resumeState ? { resumeState } : {}),
    });
    this.relayUrl = relay;
    this.replaceClient(client);
    this.log.info(mode.type === 'host' ? 'starting a session' : 'joining a session', { relay, side: mode.type });
    return client.start();
  }

  private replaceClient(client: SessionClientApi | undefined): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.subscriptions = [];
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    this.current?.dispose();
    this.current = client;
    this.lastChange = undefined;
    this.downSince = undefined;
    this.clearPeers();
    if (client) {
      this.subscribe(client);
      // Keep the stored state fresh (and its lastSeq current) so a reload within the resume
      // window finds it; SecretStore ignores states older than RESUME_MAX_AGE_MS.
      this.refreshTimer = setInterval(() => this.storeResumeState(client.resumeState), RESUME_REFRESH_MS);
    }
    this.clientChanged.fire(client);
  }

  private subscribe(client: SessionClientApi): void {
    this.subscriptions.push(
      client.onDidChangeState((change) => {
        this.lastChange = change;
        // No log line here: the client logs every transition itself, to the same channel.
        if (change.state === 'connected') this.downSince = undefined;
        else if ((change.state === 'reconnecting' || change.state === 'waiting-for-host') && this.downSince === undefined) this.downSince = Date.now();
        if (change.state === 'ended') {
          this.downSince = undefined;
          this.clearPeers();
        }
        this.stateChanged.fire(change);
        this.changed.fire();
      }),
      client.onDidJoin((info) => {
        this.log.info(info.resumed ? 'resumed the session' : 'joined the session', {
          session: info.session, participant: info.you.id, role: info.you.role, participants: info.roster.length,
        });
        // A fresh join may not know participants that left meanwhile: drop their marks.
        const present = new Set(info.roster.map((participant) => participant.id));
        for (const id of [...this.presenceByParticipant.keys()]) {
          if (!present.has(id)) {
            this.presenceByParticipant.delete(id);
            this.presenceChanged.fire(id);
          }
        }
        this.changed.fire();
      }),
      client.onDidChangeRoster((change) => {
        this.log.info(`participant ${change.change}: ${change.participant.name}`, {
          participant: change.participant.id, role: change.participant.role, state: change.participant.state, reason: change.reason,
        });
        if (change.change === 'left') {
          this.presenceByParticipant.delete(change.participant.id);
          this.knocksByParticipant.delete(change.participant.id);
        } else if (change.change === 'joined') {
          this.knocksByParticipant.delete(change.participant.id);
        }
        // Updates (state reconnecting/online, role) change how their marks are drawn.
        this.presenceChanged.fire(change.participant.id);
        this.changed.fire();
      }),
      client.onDidReceivePresence(({ from, presence }) => {
        this.presenceByParticipant.set(from.id, presence);
        this.presenceChanged.fire(from.id);
      }),
      client.onDidMeasureRoundTrip(() => this.changed.fire()),
      client.onDidKnock((knock) => {
        this.log.info(`${knock.participant.name} asks to join`, { participant: knock.participant.id });
        this.knocksByParticipant.set(knock.participant.id, knock.participant.name);
        this.knocked.fire(knock);
        this.changed.fire();
      }),
      client.onDidWithdrawKnock(({ participant, reason }) => {
        this.log.info('join request withdrawn', { participant, reason });
        this.knocksByParticipant.delete(participant);
        this.changed.fire();
      }),
      client.onDidChangeFollowing(() => this.changed.fire()),
      client.onDidError((error) => {
        this.log.error(`${error.code}: ${error.message}`);
        this.errored.fire(error);
      }),
      client.onDidChangeResumeState((state) => this.storeResumeState(state)),
    );
  }

  private storeResumeState(state: ResumeState | undefined): void {
    this.secrets.setResumeState(state).catch((error: unknown) => {
      this.log.warn('could not store the resume state', { error: errorMessage(error) });
    });
  }

  private clearPeers(): void {
    const ids = [...this.presenceByParticipant.keys()];
    this.presenceByParticipant.clear();
    this.knocksByParticipant.clear();
    for (const id of ids) this.presenceChanged.fire(id);
  }
}
