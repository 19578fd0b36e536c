// What several scenarios check the same way.
import assert from 'node:assert/strict';
import { documentOf } from '../lib/probe.mjs';
import { NotYetSupported, waitUntil } from '../lib/wait.mjs';

/** Status bar of a connected two-person session: participants and a round-trip time. */
export const CONNECTED_TWO = /Pairline: 2 · \d+ ms/;

/** The step names scenarios depend on. */
export const STEP = {
  session: 'alice-allows-bob-as-editor',
  project: 'bob-sees-alices-project',
  opened: 'bob-opens-alices-file',
  cursor: 'bob-sees-alices-cursor-and-name',
  typed: 'alice-types-bob-sees-text',
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
 * Throws NotYetSupported unless Pairline's API reports co-editing (`testing.coEditing`): without
 * the binding a guest's `pairline:` file is a plain remote file and edits cannot travel.
 * @param {import('../run.mjs').Context} ctx
 */
export async function requireCoEditing(ctx) {
  const snapshot = await ctx.bob.window.probe.snapshot();
  if (!snapshot.pairline.coEditing) throw new NotYetSupported('Pairline\'s API reports no co-editing (testing.coEditing) yet');
}

/**
 * Fails if either window healed a desynced document or reconciled an editor by a diff: both mean
 * the binding lost track, which the API counts so that a test can see it.
 * @param {import('../run.mjs').Context} ctx
 */
export async function assertNoDesync(ctx) {
  for (const { window } of [ctx.alice, ctx.bob]) {
    const { pairline } = await window.probe.snapshot();
    if (pairline.heals !== undefined) assert.equal(pairline.heals, 0, `${window.name}'s documents needed no heal from the host`);
    if (pairline.coEditing) assert.equal(pairline.coEditing.reconciles, 0, `${window.name}'s editors needed no reconcile`);
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
