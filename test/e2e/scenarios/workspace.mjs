// Scenario 2: Bob's Explorer shows Alice's project (through the `pairline:` file system, without
// Alice's excluded .env), and Bob opens the file Alice has open.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CONNECTED_TWO, STEP, dismissNotifications, requireGuestFileSystem } from './common.mjs';
import { documentOf } from '../lib/probe.mjs';
import { waitUntil } from '../lib/wait.mjs';

/** @param {import('../run.mjs').Context} ctx */
export async function workspaceScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step(STEP.project, async () => {
    await dismissNotifications(ctx);
    await requireGuestFileSystem(ctx);
    // Adding the first folder may reload Bob's window; the extension rejoins by itself.
    await bob.window.probe.waitFor('Bob\'s window has a pairline: workspace folder', (s) => s.workspaceFolders.some((f) => f.uri.startsWith('pairline:')), { timeoutMs: 60_000 });
    await bob.window.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await bob.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 60_000 });
    await bob.window.runCommand('View: Show Explorer');
    const rows = bob.window.page.locator('.explorer-folders-view .monaco-list-row');
    let labels = [];
    const listingStarted = Date.now();
    // Generous bound; a slow listing is reported in the step's caption and output.
    await waitUntil('Bob\'s Explorer lists src, README.md and package.json', async () => {
      labels = await rows.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''));
      return ['src', 'README.md', 'package.json'].every((name) => labels.some((label) => label.split(/[ ,]/)[0] === name));
    }, { timeoutMs: 90_000, describe: () => JSON.stringify(labels) });
    const listingSeconds = Math.round((Date.now() - listingStarted) / 1000);
    assert.ok(!labels.some((label) => label.startsWith('.env')), `Alice's .env is not shared: ${JSON.stringify(labels)}`);
    const slow = listingSeconds > 15 ? ` — SLOW: the folder's files appeared ${listingSeconds} s after it did` : '';
    return `Explorer: ${labels.map((label) => label.split(/[ ,]/)[0]).join(', ')}${slow}`;
  }, { needs: [STEP.session], timeoutMs: 150_000 });

  await suite.step(STEP.opened, async () => {
    await alice.window.quickOpen('greet.js');
    await alice.window.probe.waitFor('Alice has src/greet.js open', (s) => s.activeEditor?.uri.endsWith('/src/greet.js'));
    const onDisk = fs.readFileSync(path.join(/** @type {string} */ (alice.workspaceDir), 'src', 'greet.js'), 'utf8');
    // Bob expands src and clicks greet.js, as a person would.
    const page = bob.window.page;
    const row = (name) => page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace('.', '\\.')}$`) }) }).first();
    if ((await row('greet.js').count()) === 0) await row('src').click();
    await row('greet.js').click();
    const snapshot = await bob.window.probe.waitFor('Bob\'s editor shows pairline:…/src/greet.js', (s) => s.activeEditor?.uri.startsWith('pairline:') && s.activeEditor.uri.endsWith('/src/greet.js') && s);
    assert.equal(documentOf(snapshot, snapshot.activeEditor.uri)?.text, onDisk, 'Bob sees the content of Alice\'s file');
    return `Bob opened ${snapshot.activeEditor.uri.replace(/^pairline:\/\/[^/]*/, 'pairline:')}`;
  }, { needs: [STEP.project] });
}
