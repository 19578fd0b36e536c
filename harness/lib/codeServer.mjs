// Start/stop isolated code-server (VS Code 1.100.3 server + web workbench) instances.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CODE_SERVER_ENTRY, assertInstalled } from './paths.mjs';
import { killProcessGroup, registerProcessGroup, registerTempDir, unregisterProcessGroup, unregisterTempDir } from './cleanup.mjs';

/** Settings written to User/settings.json before start (caller's `settings` override these). */
export const DEFAULT_SETTINGS = Object.freeze({
  'files.autoSave': 'off', // the web build auto-saves by default -> co-editing tests would go through disk
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
});

/**
 * @typedef {object} CodeServerInstance
 * @property {string} name            label given to startCodeServer
 * @property {string} url             e.g. "http://127.0.0.1:41234"
 * @property {number} port
 * @property {number} pid             pid of the code-server leader (== its process group id)
 * @property {string} workspaceDir    folder opened by default
 * @property {string} userDataDir     --user-data-dir (User/settings.json lives here)
 * @property {string} extensionsDir   --extensions-dir
 * @property {string} homeDir         HOME of the instance (XDG_* dirs below it)
 * @property {string} tempRoot        everything of this instance lives below this directory
 * @property {string} logFile         code-server stdout+stderr
 * @property {(opts?: {keepTemp?: boolean}) => Promise<void>} stop
 *   kills the whole process group (SIGTERM, then SIGKILL after 5 s), waits until it is gone,
 *   removes tempRoot unless keepTemp (or env PAIRLINE_HARNESS_KEEP=1). Safe to call twice.
 */

/**
 * A free TCP port on 127.0.0.1 (bind to port 0, read it back, close).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Environment for a code-server process: parent env minus things that leak an outer VS Code. */
function baseEnv(homeDir, extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'PASSWORD' || k === 'HASHED_PASSWORD' || k === 'NODE_OPTIONS') {
      delete env[k];
    }
  }
  Object.assign(env, {
    HOME: homeDir,
    XDG_CONFIG_HOME: path.join(homeDir, '.config'),
    XDG_DATA_HOME: path.join(homeDir, '.local/share'),
    XDG_CACHE_HOME: path.join(homeDir, '.cache'),
    XDG_STATE_HOME: path.join(homeDir, '.local/state'),
  });
  // No marketplace: there is no internet here, and tests must not depend on one.
  env.EXTENSIONS_GALLERY ??= JSON.stringify({ serviceUrl: '' });
  return { ...env, ...(extra || {}) };
}

/**
 * Spawn `node code-server/entry.js ...args` as leader of a new process group (Node's
 * `detached: true` == setsid(2)), output appended to logFile, registered with the cleanup guard.
 */
function spawnCodeServer(args, env, logFile, label) {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n[harness] $ node ${CODE_SERVER_ENTRY} ${args.join(' ')}\n`);
  let child;
  try {
    child = spawn(process.execPath, [CODE_SERVER_ENTRY, ...args], {
      detached: true,
      env,
      cwd: env.HOME,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  registerProcessGroup(child.pid, label);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', () => {}); // surfaced through `exited`/health check
  return { child, exited };
}

/**
 * Copy an unpacked extension folder into extensionsDir as `publisher.name-version`
 * (code-server scans that directory; there is no --install-extension for folders).
 * Skips .git and .vscode-test.
 * @param {string} srcDir
 * @param {string} extensionsDir
 * @returns {string} destination folder
 */
export function copyExtensionFolder(srcDir, extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(srcDir, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${pkg.publisher || 'undefined_publisher'}.${pkg.name}-${pkg.version}`);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(srcDir, dest, {
    recursive: true,
    dereference: true,
    filter: (src) => !/[\\/](\.git|\.vscode-test)$/.test(src),
  });
  return dest;
}

async function waitHealthy(url, exited, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let exitInfo = null;
  exited.then((e) => (exitInfo = e));
  while (Date.now() < deadline) {
    if (exitInfo) return { ok: false, exitInfo };
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return { ok: true };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, exitInfo };
}

/**
 * Start one isolated code-server instance: own HOME/XDG dirs, user-data-dir and extensions-dir
 * under a fresh temp root, User/settings.json pre-written, bound to a free port on 127.0.0.1,
 * no auth. Resolves once GET /healthz answers 200.
 *
 * @param {object} opts
 * @param {string} [opts.name='vscode']  label (temp dir prefix, log lines)
 * @param {string} [opts.workspaceDir]   folder to open; created empty under the temp root if omitted.
 *                                       Give each instance its own copy when two "users" edit files.
 * @param {string} [opts.vsixPath]       installed with `code-server --install-extension` before start
 * @param {string[]} [opts.extensionDirs] unpacked extension folders copied into extensionsDir
 * @param {Record<string, unknown>} [opts.settings] merged over DEFAULT_SETTINGS
 * @param {Record<string, string>} [opts.env] extra env for code-server; it is inherited by the
 *                                       extension host, so extensions see it in process.env
 * @param {number} [opts.healthTimeoutMs=60000]
 * @returns {Promise<CodeServerInstance>}
 */
export async function startCodeServer(opts = {}) {
  assertInstalled();
  const { name = 'vscode', vsixPath, extensionDirs = [], settings = {}, env: extraEnv, healthTimeoutMs = 60_000 } = opts;
  const safeName = String(name).replace(/[^\w.-]/g, '_');
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), `pairline-${safeName}-`));
  registerTempDir(tempRoot);
  const homeDir = path.join(tempRoot, 'home');
  const userDataDir = path.join(tempRoot, 'user-data');
  const extensionsDir = path.join(tempRoot, 'extensions');
  const logFile = path.join(tempRoot, 'code-server.log');
  const workspaceDir = opts.workspaceDir ? path.resolve(opts.workspaceDir) : path.join(tempRoot, 'workspace');
  for (const d of [homeDir, path.join(homeDir, '.config'), path.join(homeDir, '.local/share'), path.join(userDataDir, 'User'), extensionsDir, workspaceDir]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  const env = baseEnv(homeDir, extraEnv);
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  const removeTemp = () => {
    unregisterTempDir(tempRoot);
    fs.rmSync(tempRoot, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    for (const dir of extensionDirs) copyExtensionFolder(path.resolve(dir), extensionsDir);

    if (vsixPath) {
      const { child, exited } = spawnCodeServer([...common, '--install-extension', path.resolve(vsixPath), '--force'], env, logFile, `${name}:install`);
      const timer = setTimeout(() => killProcessGroup(child.pid, { graceMs: 1000 }), 120_000);
      const { code, signal } = await exited;
      clearTimeout(timer);
      await killProcessGroup(child.pid, { graceMs: 1000 }); // reap anything it left behind
      if (code !== 0) throw new Error(`--install-extension ${vsixPath} failed (code ${code}, signal ${signal}); see ${logFile}`);
    }
  } catch (e) {
    if (process.env.PAIRLINE_HARNESS_KEEP !== '1') removeTemp();
    else unregisterTempDir(tempRoot);
    throw e;
  }

  // Port race (another process grabbing the port between freePort() and bind): retry.
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = [
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...common,
      workspaceDir,
    ];
    const { child, exited } = spawnCodeServer(args, env, logFile, name);
    const pid = child.pid;
    const health = await waitHealthy(url, exited, healthTimeoutMs);
    if (health.ok) {
      let stopped = null;
      /** @type {CodeServerInstance} */
      const instance = {
        name, url, port, pid, workspaceDir, userDataDir, extensionsDir, homeDir, tempRoot, logFile,
        stop({ keepTemp = process.env.PAIRLINE_HARNESS_KEEP === '1' } = {}) {
          stopped ??= (async () => {
            await killProcessGroup(pid);
            if (keepTemp) unregisterTempDir(tempRoot);
            else removeTemp();
          })();
          return stopped;
        },
      };
      return instance;
    }
    await killProcessGroup(pid, { graceMs: 1000 });
    unregisterProcessGroup(pid);
    const log = fs.readFileSync(logFile, 'utf8');
    lastError = new Error(
      health.exitInfo
        ? `code-server "${name}" exited early (code ${health.exitInfo.code}, signal ${health.exitInfo.signal}); log: ${logFile}\n${log.slice(-2000)}`
        : `code-server "${name}" not healthy within ${healthTimeoutMs} ms; log: ${logFile}\n${log.slice(-2000)}`,
    );
    if (!/EADDRINUSE/.test(log)) break;
  }
  if (process.env.PAIRLINE_HARNESS_KEEP !== '1') {
    // keep the log around for the error message reader
    const keptLog = path.join(os.tmpdir(), `pairline-${safeName}-failed-${Date.now()}.log`);
    try {
      fs.copyFileSync(logFile, keptLog);
      lastError.message += `\n(log copied to ${keptLog})`;
    } catch {
      /* ignore */
    }
    removeTemp();
  } else {
    unregisterTempDir(tempRoot);
  }
  throw lastError;
}
