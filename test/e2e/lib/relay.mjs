// The relay the two windows share: `node dist/relay.js` in its own process group, registered with
// the harness cleanup guard. It can be killed like a crash (SIGKILL) and started again on the same
// port, which is what the reconnect scenario needs.
/* global setTimeout, clearTimeout, URL */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { killProcessGroup, registerProcessGroup } from '../../../harness/lib/index.mjs';

/**
 * @typedef {object} RelayProcess
 * @property {string} url   e.g. http://127.0.0.1:41234
 * @property {number} port
 * @property {number} pid   also the process group id
 * @property {Array<Record<string, unknown>>} logs  JSON log lines seen so far
 * @property {() => Promise<void>} kill9  SIGKILL the group, as a crash would; resolves once gone
 * @property {() => Promise<void>} stop   SIGTERM (then SIGKILL) the group; safe to call twice
 */

/**
 * Start `node <entry> --host 127.0.0.1 --port <port>` and resolve once it printed its JSON
 * "relay listening" line.
 * @param {{ entry: string, port?: number, logFile: string, timeoutMs?: number }} options
 * @returns {Promise<RelayProcess>}
 */
export async function startRelayProcess({ entry, port = 0, logFile, timeoutMs = 30_000 }) {
  if (!fs.existsSync(entry)) throw new Error(`${entry} does not exist: run \`npm run build\` first`);
  // A clean relay configuration: nothing from a PAIRLINE_* variable of the caller's shell.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PAIRLINE_')));
  const child = spawn(process.execPath, [entry, '--host', '127.0.0.1', '--port', String(port)], {
    detached: true, // own process group: killed as a group, never by name
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = /** @type {number} */ (child.pid);
  registerProcessGroup(pid, 'relay');
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  log.write(`\n[e2e] relay pid ${pid} starting on port ${port}\n`);
  /** @type {Array<Record<string, unknown>>} */
  const logs = [];
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const listening = new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`relay did not print its listening line within ${timeoutMs} ms (log: ${logFile})`)), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let line;
        try {
          line = JSON.parse(text);
        } catch {
          continue;
        }
        logs.push(line);
        if (line.msg === 'relay listening' && typeof line.url === 'string') {
          clearTimeout(timer);
          resolve(line.url);
        }
      }
    });
    child.stderr.on('data', (chunk) => log.write(chunk));
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`relay exited before listening (code ${code}, signal ${signal}); log: ${logFile}`));
    });
  });

  let url;
  try {
    url = /** @type {string} */ (await listening);
  } catch (error) {
    await killProcessGroup(pid, { graceMs: 1000 });
    log.end();
    throw error;
  }
  const actualPort = Number(new URL(url).port);
  let stopping;
  const finish = (signal) => {
    stopping ??= (async () => {
      if (signal === 'SIGKILL') {
        // A crash: no SIGTERM first, so the relay gets no chance to close sockets politely.
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await killProcessGroup(pid, { graceMs: 5000 });
      await exit;
      log.end();
    })();
    return stopping;
  };
  return {
    url,
    port: actualPort,
    pid,
    logs,
    kill9: () => finish('SIGKILL'),
    stop: () => finish('SIGTERM'),
  };
}
