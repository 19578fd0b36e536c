#!/usr/bin/env node
// Harness selftest. Usage: node harness/selftest/run.mjs [--no-ui]
//  1. two runExtensionTests() at once (two isolated code-server instances), each with its own
//     HARNESS_PROBE env value and a companion extension installed by folder copy (extensionDirs);
//  2. (unless --no-ui) a plain workbench window: startCodeServer({ extensionDirs: [sample] }) +
//     openWorkbench(), wait for the sample's status bar item, screenshot, stop, check that the
//     whole process group is gone.
// Prints "N passed, M failed" and exits non-zero on any failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExtensionTests, startCodeServer, launchBrowser, openWorkbench, groupMembers, registerTempDir } from '../lib/index.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = path.join(here, 'sample-extension');
const companion = path.join(here, 'companion-extension');
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
let passed = 0;
let failed = 0;
const check = (ok, what) => {
  ok ? passed++ : failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

function workspace(name, probe) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pairline-selftest-ws-${name}-`));
  registerTempDir(dir); // removed on exit/SIGINT/SIGTERM too
  fs.writeFileSync(path.join(dir, 'expected-probe.txt'), probe);
  return dir;
}

async function extensionHostRun(name) {
  const probe = `${name}-${process.pid}-${Date.now()}`;
  const ws = workspace(name, probe);
  let result = null;
  try {
    const code = await runExtensionTests({
      name,
      extensionDevelopmentPath: sample,
      extensionTestsPath: path.join(sample, 'test/index.js'),
      workspaceDir: ws,
      env: { HARNESS_PROBE: probe },
      extensionDirs: [companion],
      timeoutMs: 180_000,
      log: (line) => {
        const m = /HARNESS-RESULT (\d+) passed, (\d+) failed/.exec(line);
        if (m) result = { passed: Number(m[1]), failed: Number(m[2]) };
        console.log(`[${name}] ${line}`);
      },
    });
    console.log(`[${name}] exit code ${code} at ${secs()}`);
    if (result) {
      passed += result.passed;
      failed += result.failed;
    }
    check(code === 0 && result && result.failed === 0, `${name}: runExtensionTests exit code 0`);
  } catch (e) {
    check(false, `${name}: runExtensionTests: ${e.message}`);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

async function uiRun() {
  const server = await startCodeServer({ name: 'ui', extensionDirs: [sample] });
  const browser = await launchBrowser();
  try {
    const page = await openWorkbench(browser, server);
    check(true, `ui: workbench status bar visible at ${secs()}`);
    // Copy-folder mode: the sample activates onStartupFinished and shows a status bar item.
    await page.locator('.part.statusbar', { hasText: 'Pairline sample active' }).waitFor({ timeout: 90_000 });
    check(true, `ui: extension from copied folder active (status bar item) at ${secs()}`);
    const shot = path.join(server.tempRoot, 'workbench.png');
    await page.screenshot({ path: shot });
    check(fs.statSync(shot).size > 10_000, 'ui: screenshot taken');
    check(groupMembers(server.pid).length > 1, `ui: code-server group has ${groupMembers(server.pid).length} live processes (server + extension host + ...)`);
  } catch (e) {
    check(false, `ui: ${e.message.split('\n')[0]} (log ${server.logFile})`);
  } finally {
    await browser.close();
    const pgid = server.pid;
    await server.stop();
    await server.stop(); // idempotent
    check(groupMembers(pgid).length === 0 && !fs.existsSync(server.tempRoot), 'ui: stop() left no process and no temp dir');
  }
}

await Promise.all([extensionHostRun('alice'), extensionHostRun('bob')]);
if (!process.argv.includes('--no-ui')) await uiRun();
console.log(`${passed} passed, ${failed} failed (${secs()})`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
