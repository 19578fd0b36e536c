// Debian chromium through playwright-core, and opening a code-server workbench in it.

import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from './paths.mjs';
import { ensureCleanupGuard } from './cleanup.mjs';

/** Chromium flags measured to work on this machine (see shared notes real-vscode-e2e.md). */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]);

/**
 * Launch Debian chromium (/usr/bin/chromium) headless via playwright-core. The caller closes it
 * (`await browser.close()`). Playwright starts it as its own process group and SIGKILLs that
 * group from its process 'exit' handler; its signal handlers are disabled so the harness guard
 * (cleanup.mjs) turns SIGINT/SIGTERM/SIGHUP into process.exit(), which runs that handler.
 *
 * @param {import('playwright-core').LaunchOptions} [options] extra playwright launch options
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser(options = {}) {
  ensureCleanupGuard();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 60_000,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args || [])],
  });
}

/**
 * Workbench URL of a code-server instance.
 * @param {{url: string, workspaceDir: string}} server
 * @param {{ folder?: string, payload?: Array<[string, string]> }} [opts]
 *   folder: absolute path on the server (default server.workspaceDir);
 *   payload: VS Code workbench payload entries, e.g. [["skipWelcome","true"]]
 * @returns {string}
 */
export function workbenchUrl(server, { folder, payload } = {}) {
  const q = new URLSearchParams();
  q.set('folder', folder ?? server.workspaceDir);
  if (payload) q.set('payload', JSON.stringify(payload));
  return `${server.url}/?${q.toString()}`;
}

/**
 * Open the workbench of `server` for `folder` in a fresh browser context (own storage,
 * i.e. a fresh browser profile) and wait until `.part.statusbar` is visible.
 * Close with `await page.context().close()` (or close the browser).
 *
 * @param {import('playwright-core').Browser} browser
 * @param {{url: string, workspaceDir: string}} server  a CodeServerInstance
 * @param {{ folder?: string, timeoutMs?: number, viewport?: {width: number, height: number} }} [opts]
 * @returns {Promise<import('playwright-core').Page>}
 */
export async function openWorkbench(browser, server, { folder, timeoutMs = 90_000, viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  try {
    const page = await context.newPage();
    await page.goto(workbenchUrl(server, { folder }), { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
    return page;
  } catch (e) {
    await context.close().catch(() => {});
    throw e;
  }
}
