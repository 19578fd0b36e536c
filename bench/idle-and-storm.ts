/**
 * Memory per idle joined participant, and the reconnect storm after a relay crash.
 */
import { delay, monoMs } from './clock';
import { quantileOf } from './histogram';
import { InspectorSession } from './inspector';
import { connectLoad, disconnectLoad } from './fanout';
import { sampleProcess, type Launcher, type RunningServer } from './processes';
import type { WorkerHandle } from './workers';
import type { StormSetupResult, StormWaitResult } from './worker-protocol';

export interface MemoryFigures {
  readonly participants: number;
  /** Participants connected (and kept) before the first reading. */
  readonly warmup: number;
  readonly perSession: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  readonly rssPerParticipant: number;
  readonly heapPerParticipant: number;
  readonly externalPerParticipant: number;
  readonly settleMs: number;
}

/**
 * Idle joined participants: RSS and heap after forced GC, before and after they connect. A warm-up
 * group connects first and stays, so one-off costs (compiled code, grown heap spaces, buffer
 * pools) land before the first reading: with 400 participants they had made a figure of ~12 KB
 * read 32 KB, for Pairline and the floor alike.
 */
export async function measureIdleMemory(
  launcher: Launcher, workers: readonly WorkerHandle[], kind: 'pairline' | 'floor',
  participants: number, perSession: number, settleMs: number, warmup: number,
): Promise<MemoryFigures> {
  const server = await launcher.start(kind, { inspect: true });
  let inspector: InspectorSession | undefined;
  try {
    if (!server.inspectorUrl) throw new Error('no inspector URL');
    inspector = await InspectorSession.open(server.inspectorUrl);
    const warm = warmup > 0
      ? (await connectLoad(workers, server, { sessions: Math.ceil(warmup / perSession), participants: perSession, rateHz: 0 }, `idle-warm-${kind}`)).connected
      : 0;
    await delay(settleMs);
    await inspector.collectGarbage();
    const rssBefore = sampleProcess(server.pid).rssBytes;
    const heapBefore = await inspector.heap();
    const sessions = Math.ceil(participants / perSession);
    // The workers report every participant they hold, the warm-up group included.
    const connected = await connectLoad(workers, server, { sessions, participants: perSession, rateHz: 0 }, `idle-${kind}`);
    await delay(settleMs);
    await inspector.collectGarbage();
    const rssAfter = sampleProcess(server.pid).rssBytes;
    const heapAfter = await inspector.heap();
    const n = connected.connected - warm;
    return {
      participants: n, warmup: warm, perSession, rssBeforeBytes: rssBefore, rssAfterBytes: rssAfter,
      rssPerParticipant: (rssAfter - rssBefore) / n,
      heapPerParticipant: (heapAfter.heapUsed - heapBefore.heapUsed) / n,
      externalPerParticipant: (heapAfter.external - heapBefore.external) / n,
      settleMs,
    };
  } finally {
    // Also after a failure: a half-connected load must not leak into the next measurement.
    await disconnectLoad(workers).catch(() => undefined);
    inspector?.close();
    await server.stop();
  }
}

export interface StormFigures {
  readonly participants: number;
  readonly sessions: number;
  readonly back: number;
  readonly sameId: number;
  /** Time the restarted relay took to listen, from the kill. */
  readonly restartMs: number;
  /** From the moment the new relay listens. */
  readonly fromListen: { p50: number; p99: number; max: number };
  readonly fromKill: { p50: number; p99: number; max: number };
  /** From listening, hosts and guests apart (guests can only come back after their host). */
  readonly hostsFromListen: { p50: number; p99: number; max: number };
  readonly guestsFromListen: { p50: number; p99: number; max: number };
  readonly timeoutMs: number;
}

export async function measureStorm(launcher: Launcher, workers: readonly WorkerHandle[], sessions: number, timeoutMs: number): Promise<StormFigures> {
  let server: RunningServer = await launcher.pairline();
  try {
    const shares = workers.map((_worker, index) => Math.floor(sessions / workers.length) + (index < sessions % workers.length ? 1 : 0));
    await Promise.all(workers.map((worker, index) => worker.request<StormSetupResult>({ cmd: 'storm-setup', relay: server.httpBase, sessions: shares[index] ?? 0 }, 300_000)));
    // Let the joins settle (resume tokens stored, rosters complete) before the crash.
    await delay(500);
    await Promise.all(workers.map((worker) => worker.request({ cmd: 'storm-arm' })));
    const killedAt = monoMs();
    await server.kill9();
    server = await launcher.pairline({ port: server.port });
    const listeningAt = monoMs();
    const results = await Promise.all(workers.map((worker) => worker.request<StormWaitResult>({ cmd: 'storm-wait', timeoutMs }, timeoutMs + 30_000)));
    // IPC carries JSON: a client that was not back arrives as null, not undefined.
    const backAt = results.flatMap((result) => result.backAt).map((at) => (typeof at === 'number' ? at : undefined));
    const sides = results.flatMap((result) => result.sides);
    const back = backAt.filter((at): at is number => at !== undefined);
    const stats = (origin: number, side?: 'host' | 'guest'): { p50: number; p99: number; max: number } => {
      // Anyone not back counts as the full timeout, so a partial recovery cannot look fast.
      const times = backAt.filter((_at, index) => side === undefined || sides[index] === side).map((at) => (at === undefined ? timeoutMs : at - origin));
      return { p50: quantileOf(times, 0.5), p99: quantileOf(times, 0.99), max: Math.max(...times) };
    };
    return {
      participants: backAt.length, sessions, back: back.length, sameId: results.reduce((total, result) => total + result.sameId, 0),
      restartMs: listeningAt - killedAt, fromListen: stats(listeningAt), fromKill: stats(killedAt), timeoutMs,
      hostsFromListen: stats(listeningAt, 'host'), guestsFromListen: stats(listeningAt, 'guest'),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.request({ cmd: 'storm-stop' }).catch(() => undefined)));
    await server.stop();
  }
}
