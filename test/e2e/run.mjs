#!/usr/bin/env node
// Pairline's two-window end-to-end suite: one relay, two real VS Code windows (code-server +
// Chromium) with the packaged .vsix installed, driven through the UI like a person would.
//
//   node test/e2e/run.mjs                 the whole suite; exit code 0 only if every step passed
//   node test/e2e/run.mjs --screenshots   also writes docs/screenshots/*.png from this run
//
// Screenshots of each step: test-results/e2e/NN-step.png. Logs: test-results/e2e/logs/.
// Ends with "N passed, N failed". See test/e2e/README.md.
/* global setTimeout, clearTimeout */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../harness/lib/index.mjs';
import { prepareBuild, startParticipant } from './lib/environment.mjs';
import { pairlineLogText } from './lib/logs.mjs';
import { startRelayProcess } from './lib/relay.mjs';
import { ShotComposer } from './lib/shots.mjs';
import { Suite } from './lib/steps.mjs';
import { sessionScenario } from './scenarios/session.mjs';
import { workspaceScenario } from './scenarios/workspace.mjs';
import { coEditingScenario } from './scenarios/co-editing.mjs';
import { followScenario } from './scenarios/follow.mjs';
import { reconnectScenario } from './scenarios/reconnect.mjs';
import { hostReloadScenario } from './scenarios/host-reload.mjs';
import { rolesScenario } from './scenarios/roles.mjs';
import { writeDocsScreenshots } from './lib/docs-screenshots.mjs';

const SUITE_TIMEOUT_MS = 9.5 * 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
const logsDir = path.join(resultsDir, 'logs');
const writeScreenshots = process.argv.includes('--screenshots');
const print = (line) => console.log(line);

/**
 * What the scenarios share.
 * @typedef {object} Context
 * @property {Suite} suite
 * @property {{ window: import('./lib/window.mjs').Window, server: any, workspaceDir?: string }} alice
 * @property {{ window: import('./lib/window.mjs').Window, server: any }} bob
 * @property {{ current: import('./lib/relay.mjs').RelayProcess, restart: () => Promise<void> }} relay
 * @property {ShotComposer} composer
 * @property {Map<string, Buffer>} docsShots  pictures for docs/screenshots, by file name
 * @property {string} [inviteLink]
 * @property {string} [aliceId]
 * @property {string} [bobId]
 */

async function main() {
  const started = Date.now();
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(logsDir, { recursive: true });
  /** @type {Array<() => Promise<unknown>>} */
  const cleanups = [];
  /** @type {Suite | undefined} */
  let suite;
  let timedOut = false;
  const suiteTimer = setTimeout(() => {
    timedOut = true;
    print(`\nsuite timed out after ${SUITE_TIMEOUT_MS / 60_000} min`);
    suite?.fail('suite-timeout', `the suite did not finish within ${SUITE_TIMEOUT_MS / 60_000} min`);
    finish(suite, started, cleanups, true).finally(() => process.exit(1));
  }, SUITE_TIMEOUT_MS);

  let exitCode = 1;
  try {
    const { vsixPath, relayEntry } = prepareBuild(repoRoot, print);
    const relayLog = path.join(logsDir, 'relay.log');
    let relay = await startRelayProcess({ entry: relayEntry, logFile: relayLog });
    const relayHolder = {
      get current() { return relay; },
      async restart() {
        relay = await startRelayProcess({ entry: relayEntry, port: relay.port, logFile: relayLog });
      },
    };
    cleanups.push(() => relay.stop());
    print(`relay: ${relay.url} (pid ${relay.pid})`);

    const browser = await launchBrowser();
    cleanups.push(() => browser.close());
    const composer = new ShotComposer(browser);
    const common = { browser, relayUrl: relay.url, vsixPath, probeExtension: path.join(here, 'probe') };
    const [alice, bob] = await Promise.all([
      startParticipant({ ...common, name: 'Alice', fixture: path.join(here, 'fixture') }),
      startParticipant({ ...common, name: 'Bob' }),
    ]);
    cleanups.push(() => alice.server.stop(), () => bob.server.stop());
    // Runs first (cleanups run newest first): keep the logs before the temp dirs go.
    cleanups.push(async () => copyLogs([alice, bob]));
    print(`windows: Alice ${alice.server.url} (${alice.workspaceDir}), Bob ${bob.server.url} (no folder); ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const windows = [alice, bob];
    suite = new Suite({
      resultsDir,
      capture: async () => Promise.all(windows.map(async ({ window }) => ({ name: window.name, png: await window.screenshot() }))),
      compose: (shots, caption) => composer.compose(shots, { caption }),
      onFailure: () => printLogs(windows),
    });
    /** @type {Context} */
    const ctx = { suite, alice, bob, relay: relayHolder, composer, docsShots: new Map() };

    await suite.step('windows-ready', async () => {
      await Promise.all(windows.map(async ({ window }) => {
        await window.waitForStatus(/Pairline/, { timeoutMs: 90_000 });
        await window.probe.waitFor(`${window.name}'s Pairline extension is active`, (s) => s.pairline.active && s.pairline.api, { timeoutMs: 90_000 });
      }));
      return 'Pairline active in both windows';
    }, { timeoutMs: 150_000 });

    await sessionScenario(ctx);
    await workspaceScenario(ctx);
    await coEditingScenario(ctx);
    await followScenario(ctx);
    await reconnectScenario(ctx);
    await hostReloadScenario(ctx);
    await rolesScenario(ctx);

    const missingPictures = writeScreenshots ? writeDocsScreenshots(ctx, repoRoot, print) : [];
    exitCode = suite.results.every((result) => result.status === 'passed') && missingPictures.length === 0 ? 0 : 1;
  } catch (error) {
    print(`\nsuite error: ${error instanceof Error ? error.stack : String(error)}`);
    if (suite?.lastScreenshot) print(`last screenshot: ${suite.lastScreenshot}`);
    suite?.fail('suite-error', error instanceof Error ? error.message : String(error));
    exitCode = 1;
  } finally {
    clearTimeout(suiteTimer);
    if (!timedOut) await finish(suite, started, cleanups, exitCode !== 0 && !suite);
  }
  return exitCode;
}

/** @param {Array<{ window: import('./lib/window.mjs').Window, server: any }>} windows */
function copyLogs(windows) {
  return windows.map(({ window, server }) => {
    const text = pairlineLogText(server.userDataDir);
    const name = window.name.toLowerCase();
    const copy = path.join(logsDir, `${name}-pairline.log`);
    fs.writeFileSync(copy, text);
    // Everything else VS Code and code-server logged, for what the Pairline log cannot show
    // (an extension host that never started, a crash).
    try {
      fs.cpSync(path.join(server.userDataDir, 'logs'), path.join(logsDir, `${name}-vscode`), { recursive: true });
      fs.copyFileSync(server.logFile, path.join(logsDir, `${name}-code-server.log`));
    } catch {
      /* the instance may not have written any yet */
    }
    return { window, text, copy };
  });
}

/** @param {Array<{ window: import('./lib/window.mjs').Window, server: any }>} windows */
function printLogs(windows) {
  for (const { window, text, copy } of copyLogs(windows)) {
    const lines = text.split('\n');
    print(`  ---- ${window.name}'s Pairline log (last 60 of ${lines.length} lines; all: ${copy})`);
    print(lines.slice(-60).map((line) => `  | ${line}`).join('\n'));
  }
}

let finished;
/** Keep the logs, stop everything (newest first), print the summary once. */
function finish(suite, started, cleanups, failedEarly) {
  finished ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      await Promise.race([cleanup().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    print(`\nscreenshots and logs: ${resultsDir}`);
    if (suite) {
      const problems = suite.problems();
      if (problems.length > 0) print(`not passed:\n${problems.join('\n')}`);
      print(`suite time: ${seconds} s`);
      print(suite.closingLine());
    } else {
      print(`suite time: ${seconds} s`);
      print(`0 passed, ${failedEarly ? 1 : 0} failed`);
    }
  })();
  return finished;
}

main().then((code) => process.exit(code), (error) => {
  print(String(error?.stack ?? error));
  process.exit(1);
});
