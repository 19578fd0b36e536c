/** Messages between the orchestrator (bench/main.ts) and the load worker processes (IPC). */
import type { SparseHistogram } from './histogram';

export type TargetKind = 'pairline' | 'floor';

export interface Target {
  readonly kind: TargetKind;
  /** `ws://127.0.0.1:PORT`. */
  readonly wsBase: string;
}

export interface SessionSpec {
  /** Unique within the run; the floor uses it as the room path. */
  readonly key: string;
  readonly participants: number;
  /** Global index of the session's first participant (for evenly phased timers across workers). */
  readonly firstGlobalIndex: number;
}

export interface RunPlan {
  /** Monotonic ms at which every worker starts its timers. */
  readonly startAt: number;
  readonly rateHz: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** After sending stops: how long late deliveries still count. */
  readonly drainMs: number;
  /** Participants across all workers: participant g sends at phase g/total of the period. */
  readonly totalParticipants: number;
}

export interface RunResult {
  readonly sentInWindow: number;
  readonly expected: number;
  readonly received: number;
  readonly histogram: { buckets: SparseHistogram; max: number };
  /** This worker's CPU seconds per second during the measured window. */
  readonly workerCpuRate: number;
  /** Sockets that closed during the run (e.g. a relay refusal), with their close codes. */
  readonly closes: Record<string, number>;
  /** Largest lag of the send timer behind its schedule, ms (the generator falling behind). */
  readonly maxTimerLagMs: number;
  /** Size of a presence frame as sent, bytes. */
  readonly frameBytes: number;
}

export interface ConnectResult {
  readonly connected: number;
  readonly ms: number;
}

export interface StormSetupResult {
  readonly clients: number;
  readonly ms: number;
}

export interface StormWaitResult {
  /** Monotonic ms at which each client was back in its session (undefined: not back in time). */
  readonly backAt: Array<number | undefined>;
  /** The side of each client, same order as `backAt`. */
  readonly sides: Array<'host' | 'guest'>;
  /** Clients back with the same participant id as before. */
  readonly sameId: number;
}

export type WorkerRequest =
  | { readonly id: number; readonly cmd: 'connect'; readonly target: Target; readonly sessions: readonly SessionSpec[]; readonly bodyPad: number }
  | { readonly id: number; readonly cmd: 'run'; readonly plan: RunPlan }
  | { readonly id: number; readonly cmd: 'disconnect' }
  | { readonly id: number; readonly cmd: 'storm-setup'; readonly relay: string; readonly sessions: number }
  | { readonly id: number; readonly cmd: 'storm-arm' }
  | { readonly id: number; readonly cmd: 'storm-wait'; readonly timeoutMs: number }
  | { readonly id: number; readonly cmd: 'storm-stop' };

export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };
