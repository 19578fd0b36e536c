/**
 * What a participant needs from its environment, passed in through constructors so tests can
 * substitute a fake clock, a fake transport and a seeded random source.
 */

/** Timers and "now". The real one wraps Date.now/setTimeout; tests advance a fake one by hand. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number | object;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // Timers never keep a process alive on their own (the CLI exits when its work is done).
    timer.unref?.();
    return { id: timer };
  },
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
};

/** Uniform random number in [0, 1). */
export type Random = () => number;

/** One open connection to the relay, carrying text frames. */
export interface Connection {
  send(frame: string): void;
  /** Close with a code and reason; `onClose` still fires. */
  close(code: number, reason: string): void;
  onMessage(listener: (frame: string) => void): void;
  /** Fires once, when the connection is closed from either side or fails to open. */
  onClose(listener: (code: number, reason: string) => void): void;
  /** Bytes queued but not yet written to the network (for flow control). */
  readonly bufferedAmount: number;
}

/** Opens connections. The real one uses `ws`; resolves once open, rejects on failure. */
export interface Transport {
  connect(url: string, options: { token?: string; protocols: string[] }): Promise<Connection>;
}

/** Structured logging sink; the extension maps it onto its LogOutputChannel. Never pass secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
