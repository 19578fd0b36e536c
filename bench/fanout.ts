/**
 * Presence fan-out and saturation, orchestrated from the main process: sessions are split across
 * the worker processes (a session lives in one worker, so its participants share a process), the
 * workers run the same timed plan, and the relay's CPU and RSS are sampled from /proc exactly at
 * the edges of the measured window.
 */
import { monoMs } from './clock';
import { Histogram } from './histogram';
import { cpuRate, sampleProcess, type ProcessSample, type RunningServer } from './processes';
import type { WorkerHandle } from './workers';
import type { ConnectResult, RunPlan, RunResult, SessionSpec } from './worker-protocol';

export interface LoadShape {
  readonly sessions: number;
  readonly participants: number;
  readonly rateHz: number;
}

export interface Timing {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly drainMs: number;
}

export interface FanoutFigures {
  readonly shape: LoadShape;
  readonly deliveredPerSecond: number;
  readonly deliveryRatio: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly relayCpu: number;
  readonly relayRssBytes: number;
  /** CPU seconds per second of all load workers together. */
  readonly generatorCpu: number;
  readonly frameBytes: number;
  readonly maxTimerLagMs: number;
  readonly closes: Record<string, number>;
  /** Pairline only: presence frames the relay skipped for receivers with a send backlog (latest wins), from /metrics. */
  readonly presenceSkipped: number;
}

/**
 * Bytes added to each presence body so it is as large as an encrypted one: 12-byte nonce, 16-byte
 * tag and the 6-byte replay stamp of body format 0x03 (protocol/body-codec.ts).
 */
export const ENCRYPTION_PAD = 34;

export function describeShape(shape: LoadShape): string {
  return `${shape.sessions}×${shape.participants}@${shape.rateHz}`;
}

/** Connects `shape.sessions × shape.participants` participants to `server`, split across the workers. */
export async function connectLoad(workers: readonly WorkerHandle[], server: RunningServer, shape: LoadShape, tag: string): Promise<ConnectResult> {
  const shares: SessionSpec[][] = workers.map(() => []);
  for (let index = 0; index < shape.sessions; index++) {
    shares[index % workers.length]?.push({ key: `${tag}-${index}`, participants: shape.participants, firstGlobalIndex: index * shape.participants });
  }
  const results = await Promise.all(workers.map((worker, index) => worker.request<ConnectResult>({
    cmd: 'connect', target: { kind: server.kind, wsBase: server.wsBase }, sessions: shares[index] ?? [], bodyPad: ENCRYPTION_PAD,
  })));
  return { connected: results.reduce((total, result) => total + result.connected, 0), ms: Math.max(...results.map((result) => result.ms)) };
}

export async function disconnectLoad(workers: readonly WorkerHandle[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.request({ cmd: 'disconnect' })));
}

export interface WindowHooks {
  /** Called when the measured window opens and closes (e.g. to start and stop a profiler). */
  readonly onStart?: () => void;
  readonly onEnd?: () => void;
}

/** One timed run over already connected participants. */
export async function runLoad(workers: readonly WorkerHandle[], server: RunningServer, shape: LoadShape, timing: Timing, hooks: WindowHooks = {}): Promise<FanoutFigures> {
  const plan: RunPlan = {
    startAt: monoMs() + 300, rateHz: shape.rateHz, warmupMs: timing.warmupMs, measureMs: timing.measureMs,
    drainMs: timing.drainMs, totalParticipants: shape.sessions * shape.participants,
  };
  const windowStart = plan.startAt + plan.warmupMs;
  const windowEnd = windowStart + plan.measureMs;
  let before: ProcessSample | undefined;
  let after: ProcessSample | undefined;
  let skippedBefore: Promise<number> = Promise.resolve(Number.NaN);
  let skippedAfter: Promise<number> = Promise.resolve(Number.NaN);
  const sampled = Promise.all([
    new Promise<void>((resolve) => setTimeout(() => {
      before = sampleProcess(server.pid);
      if (server.kind === 'pairline') skippedBefore = presenceSkipped(server);
      hooks.onStart?.();
      resolve();
    }, windowStart - monoMs())),
    new Promise<void>((resolve) => setTimeout(() => {
      after = sampleProcess(server.pid);
      if (server.kind === 'pairline') skippedAfter = presenceSkipped(server);
      hooks.onEnd?.();
      resolve();
    }, windowEnd - monoMs())),
  ]);
  const results = await Promise.all(workers.map((worker) => worker.request<RunResult>({ cmd: 'run', plan })));
  await sampled;
  const histogram = new Histogram();
  for (const result of results) histogram.merge(result.histogram);
  const expected = results.reduce((total, result) => total + result.expected, 0);
  const received = results.reduce((total, result) => total + result.received, 0);
  const closes: Record<string, number> = {};
  for (const result of results) for (const [code, count] of Object.entries(result.closes)) closes[code] = (closes[code] ?? 0) + count;
  const seconds = timing.measureMs / 1000;
  return {
    shape,
    deliveredPerSecond: received / seconds,
    deliveryRatio: expected === 0 ? Number.NaN : received / expected,
    p50: histogram.quantile(0.5),
    p99: histogram.quantile(0.99),
    p999: histogram.quantile(0.999),
    max: histogram.max,
    relayCpu: before && after ? cpuRate(before, after) : Number.NaN,
    relayRssBytes: after?.rssBytes ?? Number.NaN,
    generatorCpu: results.reduce((total, result) => total + result.workerCpuRate, 0),
    frameBytes: Math.max(...results.map((result) => result.frameBytes)),
    maxTimerLagMs: Math.max(...results.map((result) => result.maxTimerLagMs)),
    closes,
    presenceSkipped: (await skippedAfter) - (await skippedBefore),
  };
}

/** The relay's count of presence frames skipped for backlogged receivers (NaN when unavailable). */
async function presenceSkipped(server: RunningServer): Promise<number> {
  try {
    const response = await fetch(`${server.httpBase}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const match = /^pairline_presence_dropped_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(text);
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Saturation criterion of the issue: a step is sustained while delivery ≥ 99% and p99 ≤ 50 ms. */
export function sustained(figures: FanoutFigures): boolean {
  return figures.deliveryRatio >= 0.99 && figures.p99 <= 50;
}
