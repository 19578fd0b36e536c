// Process-group bookkeeping and the harness-wide cleanup guard.
//
// Every process group the harness starts is registered here. When the harness process exits
// (normally, via process.exit, or on SIGINT/SIGTERM/SIGHUP) every still-registered group is
// SIGKILLed synchronously. Chromium launched through playwright-core is covered by
// playwright's own 'exit' handler, which SIGKILLs the browser's process group (playwright
// spawns it detached); launchBrowser() turns playwright's signal handlers off so that the
// signal path always ends in process.exit() here, which runs both 'exit' handlers.

import fs from 'node:fs';

/** @type {Map<number, string>} pgid -> label */
const groups = new Map();
/** @type {Set<string>} temp dirs removed when the harness process exits */
const tempDirs = new Set();
let installed = false;

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function killAllSync(signal = 'SIGKILL') {
  for (const pgid of groups.keys()) {
    try {
      process.kill(-pgid, signal);
    } catch {
      /* already gone */
    }
  }
  groups.clear();
}

function installGuard() {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    killAllSync('SIGKILL');
    if (process.env.PAIRLINE_HARNESS_KEEP === '1') return;
    for (const dir of tempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        /* best effort */
      }
    }
  });
  for (const [sig, code] of Object.entries(SIGNAL_CODES)) {
    process.on(sig, () => {
      process.stderr.write(`[harness] ${sig}: killing ${groups.size} process group(s)\n`);
      killAllSync('SIGKILL');
      process.exit(code);
    });
  }
}

/**
 * Register a process group (pgid == pid of a leader started detached / via setsid) so the
 * guard kills it if the harness process goes away.
 * @param {number} pgid
 * @param {string} [label]
 */
export function registerProcessGroup(pgid, label = '') {
  installGuard();
  groups.set(pgid, label);
}

/**
 * Forget a process group (after it was stopped).
 * @param {number} pgid
 */
export function unregisterProcessGroup(pgid) {
  groups.delete(pgid);
}

/**
 * Remove `dir` when the harness process exits (unless PAIRLINE_HARNESS_KEEP=1).
 * @param {string} dir
 */
export function registerTempDir(dir) {
  installGuard();
  tempDirs.add(dir);
}

/**
 * Keep `dir` after exit (e.g. it was already removed, or it holds logs worth keeping).
 * @param {string} dir
 */
export function unregisterTempDir(dir) {
  tempDirs.delete(dir);
}

/**
 * Make sure the guard is installed (idempotent). Called by launchBrowser() too.
 */
export function ensureCleanupGuard() {
  installGuard();
}

/**
 * Live (non-zombie) members of a process group, read from /proc (Linux only). Zombies are
 * ignored: the container's PID 1 may not reap orphans promptly.
 * @param {number} pgid
 * @returns {number[]}
 */
export function groupMembers(pgid) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...  — comm may contain spaces/parens: split after last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    const pgrp = Number(rest[2]);
    if (pgrp === pgid && state !== 'Z' && state !== 'X') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Terminate a whole process group: SIGTERM, wait (bounded) until no live member is left,
 * then SIGKILL and wait again. Resolves when the group is empty or the deadline passed.
 * @param {number} pgid
 * @param {{ graceMs?: number, killMs?: number }} [opts]
 * @returns {Promise<boolean>} true if the group is gone
 */
export async function killProcessGroup(pgid, { graceMs = 5000, killMs = 5000 } = {}) {
  const waitEmpty = async (ms) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (groupMembers(pgid).length === 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return groupMembers(pgid).length === 0;
  };
  const send = (sig) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      /* ESRCH: nothing left */
    }
  };
  send('SIGTERM');
  let gone = await waitEmpty(graceMs);
  if (!gone) {
    send('SIGKILL');
    gone = await waitEmpty(killMs);
  }
  unregisterProcessGroup(pgid);
  return gone;
}
