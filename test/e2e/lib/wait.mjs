// Waiting on conditions with an upper bound (never a fixed sleep): poll until the check returns
// something other than undefined/false, or fail with what was expected and what was last seen.
/* global setTimeout */

/**
 * @template T
 * @param {string} what  what we wait for, for the error message ("Bob's status bar shows 2 participants")
 * @param {() => Promise<T | undefined | false> | T | undefined | false} check
 * @param {{ timeoutMs?: number, intervalMs?: number, describe?: () => Promise<string> | string }} [options]
 *   describe: what is seen instead, added to the timeout error
 * @returns {Promise<T>}
 */
export async function waitUntil(what, check, { timeoutMs = 30_000, intervalMs = 150, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  let seen = '';
  if (describe) {
    try {
      seen = ` — seen instead: ${await describe()}`;
    } catch (error) {
      seen = ` — (could not describe: ${error instanceof Error ? error.message : String(error)})`;
    }
  }
  const cause = lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : '';
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting until ${what}${seen}${cause}`);
}

/** Thrown by a step whose feature the installed extension does not provide yet. */
export class NotYetSupported extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'NotYetSupported';
  }
}
