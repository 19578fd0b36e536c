// What several scenarios check the same way.
import { documentOf } from '../lib/probe.mjs';
import { NotYetSupported, waitUntil } from '../lib/wait.mjs';

/** Status bar of a connected two-person session: participants and a round-trip time. */
export const CONNECTED_TWO = /Pairline: 2 · \d+ ms/;

/** The step names scenarios depend on. */
export const STEP = {
  session: 'alice-allows-bob-as-editor',
  project: 'bob-sees-alices-project',
  opened: 'bob-opens-alices-file',
  cursor: 'alice-types-and-selects',
  together: 'both-type-at-once',
  follow: 'bob-follows-alice',
  switched: 'alice-switches-file-bob-follows',
  relayDown: 'relay-killed-both-reconnecting',
  offline: 'both-type-while-relay-down',
  viewer: 'alice-makes-bob-viewer',
};

/**
 * Throws NotYetSupported unless Bob's window has a `pairline:` file system (the guest workspace).
 * @param {import('../run.mjs').Context} ctx
 */
export async function requireGuestFileSystem(ctx) {
  const snapshot = await ctx.bob.window.probe.snapshot();
  if (!('pairline' in (snapshot.fileSystems ?? {}))) {
    throw new NotYetSupported('the guest window has no `pairline:` file system provider yet (guest workspace)');
  }
}

/**
 * Close the notifications earlier steps left open in both windows (as a person would), so the
 * next screenshots show what the step is about.
 * @param {import('../run.mjs').Context} ctx
 */
export async function dismissNotifications(ctx) {
  await Promise.all([ctx.alice.window.clearNotifications(), ctx.bob.window.clearNotifications()]);
}

/** The shared file both windows have open (the followed one once following worked). */
export function sharedFile(ctx) {
  return ctx.suite.passed(STEP.switched) ? 'src/main.js' : 'src/greet.js';
}

/**
 * Wait until both windows hold the same text for `file` and it contains every `fragment`.
 * @param {import('../run.mjs').Context} ctx
 * @param {string} file  workspace-relative
 * @param {string[]} fragments
 * @returns {Promise<string>} the common text
 */
export async function waitForSameText(ctx, file, fragments, { timeoutMs = 30_000 } = {}) {
  let alice;
  let bob;
  return waitUntil(`both windows hold the same ${file} containing ${JSON.stringify(fragments)}`, async () => {
    alice = documentOf(await ctx.alice.window.probe.snapshot(), file);
    bob = documentOf(await ctx.bob.window.probe.snapshot(), file);
    if (!alice || !bob || alice.text !== bob.text) return false;
    return fragments.every((fragment) => alice.text.includes(fragment)) ? alice.text : false;
  }, { timeoutMs, intervalMs: 200, describe: () => JSON.stringify({ alice: alice?.text, bob: bob?.text }) });
}
