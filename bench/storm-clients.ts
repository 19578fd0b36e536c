/**
 * The reconnect storm's participants in one worker process: real `SessionClient`s (real
 * WebSocket transport, real backoff, resume and re-register logic), a host and a guest per
 * session. Once armed, each client records when it is back in its session (its next `joined`).
 */
import { parseInviteLink } from '../protocol';
import { SessionClient } from '../client/session-client';
import { WebSocketTransport } from '../client/ws-transport';
import { silentLogger, systemClock } from '../client/ports';
import type { Disposable } from '../client/events';
import { monoMs, until } from './clock';
import type { StormSetupResult, StormWaitResult } from './worker-protocol';

interface StormClient {
  readonly client: SessionClient;
  readonly session: string;
  readonly side: 'host' | 'guest';
  idBefore: string | undefined;
  backAt: number | undefined;
  sameId: boolean;
}

const SETUP_CONCURRENCY = 16;

export class StormClients {
  private readonly transport = new WebSocketTransport();
  private clients: StormClient[] = [];
  private readonly subscriptions: Disposable[] = [];
  private armed = false;

  async setup(relay: string, sessions: number): Promise<StormSetupResult> {
    const started = monoMs();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < sessions) {
        const index = next++;
        const host = this.create(relay, `host ${index}`, { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } });
        await host.client.start();
        const link = host.client.inviteLink;
        const parsed = link ? parseInviteLink(link) : undefined;
        if (!parsed?.ok) throw new Error('the host has no usable invite link');
        const guest = this.create(relay, `guest ${index}`, { type: 'guest', invite: parsed.invite });
        await guest.client.start();
      }
    };
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, lane));
    return { clients: this.clients.length, ms: monoMs() - started };
  }

  /** From now on, the next `joined` of each client counts as "back". */
  arm(): void {
    for (const entry of this.clients) {
      entry.idBefore = entry.client.me?.id;
      entry.backAt = undefined;
      entry.sameId = false;
    }
    this.armed = true;
  }

  async wait(timeoutMs: number): Promise<StormWaitResult> {
    await until(() => this.clients.every((entry) => entry.backAt !== undefined), timeoutMs, 'every client to rejoin', 20)
      .catch(() => undefined);
    return { backAt: this.clients.map((entry) => entry.backAt), sides: this.clients.map((entry) => entry.side), sameId: this.clients.filter((entry) => entry.sameId).length };
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    for (const entry of this.clients) entry.client.dispose();
    this.clients = [];
    this.armed = false;
  }

  private create(relay: string, name: string, mode: ConstructorParameters<typeof SessionClient>[0]['mode']): StormClient {
    const client = new SessionClient({
      relay, name, mode, transport: this.transport, clock: systemClock, random: Math.random, logger: silentLogger,
      clientName: 'pairline-bench/0.1.0',
    });
    const entry: StormClient = { client, session: client.session, side: mode.type, idBefore: undefined, backAt: undefined, sameId: false };
    this.subscriptions.push(client.onDidJoin((info) => {
      if (!this.armed || entry.backAt !== undefined) return;
      entry.backAt = monoMs();
      entry.sameId = info.session === entry.session && info.you.id === entry.idBefore;
    }));
    this.clients.push(entry);
    return entry;
  }
}
