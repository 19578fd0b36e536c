// Run extension tests inside the real (remote, Node) extension host of a code-server instance,
// through VS Code's browser test route (code-server rejects --extensionDevelopmentPath).

import path from 'node:path';
import { startCodeServer } from './codeServer.mjs';
import { launchBrowser, workbenchUrl } from './browser.mjs';

const QUIET_LEVELS = new Set(['trace', 'debug']);
/** Workbench start-up chatter hidden unless verbose (PAIRLINE_HARNESS_VERBOSE=1). */
const WORKBENCH_NOISE = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /^Started local extension host/,
  /^Ignoring fetching additional builtin extensions from gallery/,
  /^Creation of workbench contribution '.*' took \d+ms/,
];

/**
 * Start a dedicated code-server, open the workbench in chromium with the test payload
 * (extensionDevelopmentPath / extensionTestsPath as vscode-remote://127.0.0.1:PORT/abs/path,
 * skipWelcome) and wait until the workbench reports the exit code of the tests' `run()`
 * through `window.codeAutomationExit`. Test output (console of the extension host and the
 * workbench's automation log) is forwarded to this process's stdout.
 *
 * Always stops the browser and the code-server process group, also on timeout or failure.
 *
 * @param {object} opts
 * @param {string} opts.extensionDevelopmentPath  absolute/relative path of the extension folder (package.json)
 * @param {string} opts.extensionTestsPath        path of the tests module exporting `run(): Promise<void>`
 * @param {string} [opts.workspaceDir]            folder opened in the workbench (temp empty folder if omitted)
 * @param {Record<string, string>} [opts.env]     extra env; set on code-server and inherited by the
 *                                                extension host (tests see it in process.env)
 * @param {number} [opts.timeoutMs=180000]        overall bound; on expiry everything is stopped and the promise rejects
 * @param {string} [opts.name='ext-tests']
 * @param {string[]} [opts.extensionDirs]         other extensions copied into the instance's extensions dir
 * @param {string} [opts.vsixPath]                a .vsix installed into the instance first
 * @param {Record<string, unknown>} [opts.settings] extra user settings
 * @param {(line: string) => void} [opts.log]     output sink (default: stdout)
 * @param {boolean} [opts.verbose=false]          also forward workbench info/trace automation log lines
 * @returns {Promise<number>} exit code reported by the test runner (0 = all passed)
 */
export async function runExtensionTests(opts) {
  const {
    extensionDevelopmentPath,
    extensionTestsPath,
    workspaceDir,
    env,
    timeoutMs = 180_000,
    name = 'ext-tests',
    extensionDirs,
    vsixPath,
    settings,
    log = (line) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`),
    verbose = process.env.PAIRLINE_HARNESS_VERBOSE === '1',
  } = opts;
  if (!extensionDevelopmentPath || !extensionTestsPath) throw new Error('extensionDevelopmentPath and extensionTestsPath are required');
  const devPath = path.resolve(extensionDevelopmentPath);
  const testsPath = path.resolve(extensionTestsPath);

  let server;
  let browser;
  let timer;
  let exitCode;
  let aborted = false;
  const checkAborted = () => {
    if (aborted) throw new Error('aborted');
  };
  let work;
  try {
    work = (async () => {
      server = await startCodeServer({ name, workspaceDir, env, extensionDirs, vsixPath, settings });
      checkAborted();
      browser = await launchBrowser();
      checkAborted();
      const context = await browser.newContext();
      const page = await context.newPage();
      const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;

      /** @type {(code: number) => void} */
      let resolveExit;
      const exited = new Promise((r) => (resolveExit = r));
      // Extension-host console output arrives here too (as level info/warn/error) because the
      // workbench runs in extension-test mode.
      await page.exposeFunction('codeAutomationLog', (type, args) => {
        const text = Array.isArray(args) ? args.join(' ') : String(args);
        if (verbose || (!QUIET_LEVELS.has(type) && !WORKBENCH_NOISE.some((re) => re.test(text)))) log(verbose ? `[${type}] ${text}` : text);
      });
      await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
      if (verbose) page.on('console', (msg) => log(`[page ${msg.type()}] ${msg.text()}`));
      const crashed = new Promise((_, reject) => {
        page.on('crash', () => reject(new Error('workbench page crashed')));
        page.on('close', () => reject(new Error('workbench page closed before tests finished')));
      });

      const url = workbenchUrl(server, {
        payload: [
          ['extensionDevelopmentPath', remote(devPath)],
          ['extensionTestsPath', remote(testsPath)],
          ['skipWelcome', 'true'],
        ],
      });
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      return Promise.race([exited, crashed]);
    })();
    work.catch(() => {}); // the race below reports it
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`runExtensionTests timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    exitCode = await Promise.race([work, timeout]);
    if (exitCode !== 0) log(`[harness] extension tests exited with ${exitCode}; code-server log kept: ${server.logFile}`);
    return exitCode;
  } catch (e) {
    if (server) e.message += ` (code-server log: ${server.logFile}, kept)`;
    throw e;
  } finally {
    clearTimeout(timer);
    aborted = true;
    if (browser) await browser.close().catch(() => {});
    // If we got here early (timeout/failure), let the start-up sequence settle: it notices
    // `aborted` (or fails on the closed browser) within its own bounded waits.
    await work?.catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop({ keepTemp: exitCode !== 0 || process.env.PAIRLINE_HARNESS_KEEP === '1' });
  }
}
