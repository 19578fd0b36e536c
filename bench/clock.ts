/**
 * One clock for every benchmark process. `process.hrtime` reads CLOCK_MONOTONIC, which is shared
 * by all processes of the machine, so a timestamp taken in one worker process can be compared with
 * one taken in another (or in the orchestrator) without any synchronisation step.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `check` returns true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string, everyMs = 10): Promise<void> {
  const deadline = monoMs() + timeoutMs;
  while (!check()) {
    if (monoMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
