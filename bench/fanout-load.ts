/**
 * The presence load of one worker process: its share of the sessions, connected either to
 * Pairline (real protocol: hello, create/join, send/relayed) or to the floor (one socket per
 * participant in a room, frames forwarded untouched). The same frames travel through both.
 *
 * Each participant sends a presence update at F Hz; participant g of N fires at phase g/N of the
 * period, so the load is spread evenly instead of arriving in bursts. The send time (monotonic
 * clock, shared by every process) is inside the body; receivers compute latency from it.
 */
import WebSocket from 'ws';
import { PROTOCOL_VERSION, SUBPROTOCOL, WEBSOCKET_PATH, deriveSessionId, hashSecret, newSecret } from '../protocol';
import { monoMs } from './clock';
import { Histogram } from './histogram';
import type { ConnectResult, RunPlan, RunResult, SessionSpec, Target } from './worker-protocol';

interface LoadParticipant {
  readonly socket: WebSocket;
  readonly global: number;
  readonly session: LoadSession;
}

interface LoadSession {
  readonly spec: SessionSpec;
  readonly participants: LoadParticipant[];
  sentInWindow: number;
}

/** Sessions set up at once per worker: enough to overlap round trips, few enough not to stall the relay. */
const SETUP_CONCURRENCY = 16;
const STEP_TIMEOUT_MS = 15_000;

export class FanoutLoad {
  private sessions: LoadSession[] = [];
  private collecting = false;
  private windowStart = 0;
  private windowEnd = 0;
  private received = 0;
  private histogram = new Histogram();
  private closes: Record<string, number> = {};
  private bodyPad = '';

  async connect(target: Target, specs: readonly SessionSpec[], bodyPad: number): Promise<ConnectResult> {
    const started = monoMs();
    this.bodyPad = 'x'.repeat(bodyPad);
    let next = 0;
    let failure: unknown;
    const lane = async (): Promise<void> => {
      while (next < specs.length && failure === undefined) {
        const spec = specs[next++];
        try {
          if (spec) this.sessions.push(await this.connectSession(target, spec));
        } catch (err) {
          failure ??= err;
        }
      }
    };
    // Every lane settles before this returns, so a later disconnect() sees every socket opened.
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, lane));
    if (failure !== undefined) throw failure;
    return { connected: this.sessions.reduce((total, session) => total + session.participants.length, 0), ms: monoMs() - started };
  }

  run(plan: RunPlan): Promise<RunResult> {
    const period = 1000 / plan.rateHz;
    this.windowStart = plan.startAt + plan.warmupMs;
    this.windowEnd = this.windowStart + plan.measureMs;
    this.received = 0;
    this.histogram = new Histogram();
    this.closes = {};
    for (const session of this.sessions) session.sentInWindow = 0;
    const slots = this.sessions.flatMap((session) => session.participants)
      .map((participant) => ({ participant, phase: (participant.global / plan.totalParticipants) * period }))
      .sort((a, b) => a.phase - b.phase);
    let cycle = 0;
    let slot = 0;
    let maxLag = 0;
    let frameBytes = 0;
    this.collecting = true;
    // This process's CPU over the window, read from the send loop itself when it crosses the edges.
    let cpuAtStart: { usage: NodeJS.CpuUsage; at: number } | undefined;
    let cpuRate = Number.NaN;

    return new Promise<RunResult>((resolve) => {
      const finish = (): void => {
        if (cpuAtStart) {
          const used = process.cpuUsage(cpuAtStart.usage);
          cpuRate = (used.user + used.system) / 1e3 / (monoMs() - cpuAtStart.at);
        }
        setTimeout(() => {
          this.collecting = false;
          resolve({
            sentInWindow: this.sessions.reduce((total, session) => total + session.sentInWindow, 0),
            expected: this.sessions.reduce((total, session) => total + session.sentInWindow * (session.participants.length - 1), 0),
            received: this.received,
            histogram: this.histogram.toSparse(),
            workerCpuRate: cpuRate,
            closes: this.closes,
            maxTimerLagMs: maxLag,
            frameBytes,
          });
        }, Math.max(0, this.windowEnd + plan.drainMs - monoMs()));
      };
      if (slots.length === 0) return finish();
      const dueAt = (): number => plan.startAt + cycle * period + (slots[slot]?.phase ?? 0);
      const tick = (): void => {
        for (;;) {
          const due = dueAt();
          const now = monoMs();
          if (due > now) break;
          if (due >= this.windowEnd) return finish();
          if (!cpuAtStart && due >= this.windowStart) cpuAtStart = { usage: process.cpuUsage(), at: now };
          const entry = slots[slot];
          if (entry) {
            maxLag = Math.max(maxLag, now - due);
            frameBytes = this.send(entry.participant, cycle);
          }
          slot += 1;
          if (slot === slots.length) {
            slot = 0;
            cycle += 1;
          }
        }
        setTimeout(tick, Math.max(0, dueAt() - monoMs()));
      };
      setTimeout(tick, Math.max(0, plan.startAt - monoMs()));
    });
  }

  async disconnect(): Promise<void> {
    const sockets = this.sessions.flatMap((session) => session.participants.map((participant) => participant.socket));
    this.sessions = [];
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.once('close', () => resolve());
      socket.terminate();
    })));
  }

  /** Sends one presence update; returns the frame's size in bytes. */
  private send(participant: LoadParticipant, cycle: number): number {
    const t = monoMs();
    const line = 100 + ((participant.global * 7 + cycle) % 400);
    const character = (cycle * 3) % 80;
    // A realistic presence payload (one cursor with a short selection, the visible range, the file),
    // plus the send time. `pad` stands in for the 28 bytes of nonce and tag of an encrypted body,
    // so the frames are as big as encrypted ones while receivers can read the time cheaply.
    const payload = `{"type":"presence","file":"src/editor/panel-${participant.global % 50}.ts","selections":[{"anchor":{"line":${line},"character":${character}},"head":{"line":${line},"character":${character + 3}}}],"visible":[{"start":${line - 20},"end":${line + 30}}],"bench":{"t":${t.toFixed(3)},"g":${participant.global}},"pad":"${this.bodyPad}"}`;
    const body = Buffer.concat([Buffer.of(0), Buffer.from(payload, 'utf8')]).toString('base64');
    const frame = `{"type":"send","kind":"presence","body":"${body}"}`;
    if (t >= this.windowStart && t < this.windowEnd) participant.session.sentInWindow += 1;
    participant.socket.send(frame);
    return frame.length;
  }

  private onFrame(data: WebSocket.RawData): void {
    if (!this.collecting) return;
    const now = monoMs();
    const message = JSON.parse(data.toString()) as { type?: string; body?: string };
    if ((message.type !== 'relayed' && message.type !== 'send') || message.body === undefined) return;
    const payload = Buffer.from(message.body, 'base64').subarray(1).toString('utf8');
    const parsed = JSON.parse(payload) as { bench?: { t: number } };
    const t = parsed.bench?.t;
    if (t === undefined || t < this.windowStart || t >= this.windowEnd) return;
    this.received += 1;
    this.histogram.record(now - t);
  }

  private async connectSession(target: Target, spec: SessionSpec): Promise<LoadSession> {
    const session: LoadSession = { spec, participants: [], sentInWindow: 0 };
    const sockets: WebSocket[] = [];
    if (target.kind === 'floor') {
      for (let index = 0; index < spec.participants; index++) sockets.push(await open(`${target.wsBase}/${spec.key}`, []));
    } else {
      const hostSecret = newSecret();
      const inviteSecret = newSecret();
      const id = deriveSessionId(hostSecret);
      const host = await open(target.wsBase + WEBSOCKET_PATH, [SUBPROTOCOL]);
      await handshake(host, {
        type: 'create', session: id, hostSecret, inviteHash: hashSecret(inviteSecret), name: 'bench host',
        settings: { approval: 'auto', defaultRole: 'editor' },
      });
      sockets.push(host);
      const guests = await Promise.all(Array.from({ length: spec.participants - 1 }, async (_unused, index) => {
        const guest = await open(target.wsBase + WEBSOCKET_PATH, [SUBPROTOCOL]);
        await handshake(guest, { type: 'join', session: id, inviteSecret, name: `bench guest ${index + 1}` });
        return guest;
      }));
      sockets.push(...guests);
    }
    sockets.forEach((socket, index) => {
      const participant: LoadParticipant = { socket, global: spec.firstGlobalIndex + index, session };
      session.participants.push(participant);
      socket.on('message', (data) => this.onFrame(data));
      // Counted through the close code; an unhandled socket error would end the worker.
      socket.on('error', () => undefined);
      socket.on('close', (code) => {
        const key = String(code);
        this.closes[key] = (this.closes[key] ?? 0) + 1;
      });
    });
    return session;
  }
}

function open(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { perMessageDeflate: false, handshakeTimeout: STEP_TIMEOUT_MS });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** hello → welcome, then `entry` (create or join) → joined. Rejects on close, error or timeout. */
function handshake(socket: WebSocket, entry: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "joined" within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(data.toString()) as { type: string; code?: string; message?: string };
      if (message.type === 'welcome') socket.send(JSON.stringify(entry));
      else if (message.type === 'joined') done();
      else if (message.type === 'error') done(new Error(`relay error ${message.code}: ${message.message}`));
    };
    const onClose = (code: number, reason: Buffer): void => done(new Error(`closed ${code} ${reason.toString()}`));
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'pairline-bench/0.1.0' }));
  });
}
