// Scenario 6 (after the relay restart, before the roles scenario ends the session): the host's
// window reloads in the middle of a session. Alice has unsaved co-edits; her window reloads (her
// extension host restarts, Pairline resumes the session as host); Bob types while she is away.
// Once she is back, both are connected and both documents hold Bob's edit and Alice's unsaved
// edit exactly once: hot exit gives Alice her buffer back, and the document state Pairline kept
// in her workspace storage lets both sides merge instead of one copy replacing the other.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CONNECTED_TWO, STEP, assertNoDesync, dismissNotifications, requireCoEditing, sharedFile, waitForSameText } from './common.mjs';
import { pairlineLogFiles } from '../lib/logs.mjs';
import { documentOf } from '../lib/probe.mjs';
import { waitUntil } from '../lib/wait.mjs';

const ALICE_EDIT = ' // Alice before her reload';
const BOB_EDIT = ' // Bob while Alice reloads';
/** What the reconnect scenario typed into src/main.js, unsaved since (see reconnect.mjs). */
const OFFLINE_EDITS = [' // typed by Alice offline', ' // typed by Bob offline'];
/** What Alice's Pairline logs when a shared document comes back from its kept state. */
const RESTORED_LINE = 'restored a document kept from before a restart';
/** What Bob's Pairline logs when the host came back without its history (the fallback path). */
const REBASED_LINE = 'the host reloaded a document without its history';

/** Occurrences of `fragment` in `text`. */
function count(text, fragment) {
  return text.split(fragment).length - 1;
}

/**
 * True once one of the window's hot-exit backups holds `text`. code-server keeps them on the
 * server, in `<user-data-dir>/User/Backups/<workspace>/…`; the web workbench vetoes an unload
 * while a backup is pending, so a reload is only clean once the backup is written.
 * @param {string} userDataDir
 * @param {string} text
 */
function backupHolds(userDataDir, text) {
  const root = path.join(userDataDir, 'User', 'Backups');
  if (!fs.existsSync(root)) return false;
  return fs.readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .some((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8').includes(text));
}

/** Text of the newest Pairline.log of a window (the current extension host's). */
function newestLog(userDataDir) {
  const files = pairlineLogFiles(userDataDir);
  return files.length === 0 ? '' : fs.readFileSync(files[files.length - 1], 'utf8');
}

/** All of a window's Pairline log text. */
function allLogs(userDataDir) {
  return pairlineLogFiles(userDataDir).map((file) => fs.readFileSync(file, 'utf8')).join('\n');
}

/** @param {import('../run.mjs').Context} ctx */
export async function hostReloadScenario(ctx) {
  const { suite, alice, bob } = ctx;
  /** @type {{ probeStarted: number | undefined, bobTypedWhileAway: boolean, rebasesBefore: number, reloadedAt: number } | undefined} */
  let reload;

  await suite.step('alice-reloads-bob-types', async () => {
    await requireCoEditing(ctx);
    await dismissNotifications(ctx);
    const file = sharedFile(ctx);
    // Alice's unsaved edit, on a line of its own, in both copies before the reload.
    await alice.window.focusEditor();
    await alice.window.goTo(3);
    await alice.window.page.keyboard.press('End');
    await alice.window.type(ALICE_EDIT);
    await waitForSameText(ctx, file, [ALICE_EDIT]);
    const before = documentOf(await alice.window.probe.snapshot(), file);
    assert.ok(before?.isDirty, `Alice's ${file} has unsaved changes before the reload`);
    await waitUntil('Alice\'s hot-exit backup holds her unsaved edit', () => backupHolds(alice.server.userDataDir, ALICE_EDIT), {
      timeoutMs: 30_000,
      intervalMs: 300,
      describe: () => JSON.stringify(fs.readdirSync(path.join(alice.server.userDataDir, 'User'), { recursive: true })),
    });
    // Bob's cursor is placed beforehand, so that he types as soon as Alice is gone.
    await bob.window.focusEditor();
    await bob.window.goTo(2);
    await bob.window.page.keyboard.press('End');

    const probeStarted = alice.window.probe.startedAt();
    const rebasesBefore = count(allLogs(bob.server.userDataDir), REBASED_LINE);
    const reloadedAt = Date.now();
    await alice.window.runCommand('Developer: Reload Window');
    await bob.window.probe.waitFor('Bob sees Alice away', (s) => s.pairline.participants.some((p) => p.name === 'Alice' && p.state !== 'online'), { timeoutMs: 30_000 });
    const awaySeconds = (Date.now() - reloadedAt) / 1000;
    await bob.window.type(BOB_EDIT);
    await bob.window.probe.waitFor('Bob\'s document holds his edit', (s) => documentOf(s, file)?.text.includes(BOB_EDIT));
    // Did the edit land while Alice's window was still away? (It is meant to; a reload quicker
    // than Bob's typing would still have to merge, but would not test the same path.)
    const bobView = await bob.window.probe.snapshot();
    const bobTypedWhileAway = bobView.pairline.participants.some((p) => p.name === 'Alice' && p.state !== 'online')
      && alice.window.probe.startedAt() === probeStarted;
    reload = { probeStarted, bobTypedWhileAway, rebasesBefore, reloadedAt };
    return `Alice's window reloading (Bob saw her away after ${awaySeconds.toFixed(1)} s); Bob typed ${bobTypedWhileAway ? 'while she was away' : 'as she came back'}; his status "${await bob.window.statusText().catch(() => '?')}"`;
  }, { needs: ['relay-restarted-both-connected', STEP.opened], timeoutMs: 120_000 });

  await suite.step('host-back-edits-merged', async () => {
    const state = /** @type {NonNullable<typeof reload>} */ (reload);
    const file = sharedFile(ctx);
    await waitUntil('Alice\'s window runs a new extension host (probe restarted)', () => {
      const now = alice.window.probe.startedAt();
      return now !== undefined && now !== state.probeStarted;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    await alice.window.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 90_000 });
    const [a, b] = await Promise.all([
      alice.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 60_000 }),
      bob.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 60_000 }),
    ]);
    const backSeconds = (Date.now() - state.reloadedAt) / 1000;
    for (const { window } of [alice, bob]) {
      await window.probe.waitFor(`${window.name} sees both participants online`, (s) => s.pairline.state === 'connected'
        && s.pairline.participants.length === 2 && s.pairline.participants.every((p) => p.state === 'online'));
    }
    const aliceView = await alice.window.probe.snapshot();
    assert.equal(aliceView.pairline.role, 'host', 'Alice is the host again');
    const earlier = ctx.suite.passed('edits-survive-relay-restart') && file === 'src/main.js' ? OFFLINE_EDITS : [];
    const text = await waitForSameText(ctx, file, [ALICE_EDIT, BOB_EDIT, ...earlier], { timeoutMs: 60_000 });
    for (const fragment of [ALICE_EDIT, BOB_EDIT, ...earlier]) {
      assert.equal(count(text, fragment), 1, `both documents hold ${JSON.stringify(fragment)} exactly once: ${JSON.stringify(text)}`);
    }
    const lines = text.split('\n');
    assert.ok(lines[1].endsWith(BOB_EDIT), `Bob's edit is on line 2: ${JSON.stringify(lines[1])}`);
    assert.ok(lines[2].endsWith(ALICE_EDIT), `Alice's edit is on line 3: ${JSON.stringify(lines[2])}`);
    await assertNoDesync(ctx);
    // The merge went through the state Alice's Pairline kept, not through the guests' fallback
    // (rebasing onto a host copy without history), which could misplace edits in other texts.
    const restored = await waitUntil(`Alice's Pairline log says "${RESTORED_LINE}"`, () => newestLog(alice.server.userDataDir).includes(RESTORED_LINE), { timeoutMs: 15_000 });
    const rebases = count(allLogs(bob.server.userDataDir), REBASED_LINE) - state.rebasesBefore;
    assert.equal(rebases, 0, 'Bob did not have to rebase onto a host copy without history');
    const dirty = documentOf(await alice.window.probe.snapshot(), file)?.isDirty;
    return `back after ${backSeconds.toFixed(1)} s: Alice "${a}", Bob "${b}"; ${file} identical, each edit once${restored ? ', kept state restored' : ''}${dirty ? ', Alice\'s copy unsaved' : ''}`;
  }, { needs: ['alice-reloads-bob-types'], timeoutMs: 180_000 });
}
