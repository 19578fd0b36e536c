// What several scenarios check the same way.
import fs from 'node:fs';
import path from 'node:path';
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
 * Throws NotYetSupported unless the installed extension wires the document sync engine
 * (client/docs, class DocumentSync): without it a guest's `pairline:` file is a plain remote file
 * and edits cannot travel. esbuild drops unused modules, so the class is in the bundle only when
 * the extension uses it.
 * @param {import('../run.mjs').Context} ctx
 */
export async function requireCoEditing(ctx) {
  const extensionsDir = ctx.bob.server.extensionsDir;
  const folder = fs.readdirSync(extensionsDir).find((name) => name.startsWith('pairline.pairline-'));
  const bundle = folder ? path.join(extensionsDir, folder, 'dist', 'extension.js') : undefined;
  if (!bundle || !fs.existsSync(bundle)) throw new Error(`installed Pairline bundle not found under ${extensionsDir}`);
  if (!fs.readFileSync(bundle, 'utf8').includes('class DocumentSync')) {
    throw new NotYetSupported('the extension does not use the document sync engine yet (co-editing binding)');
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
