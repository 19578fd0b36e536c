// Where each window's Pairline log lives: VS Code writes the LogOutputChannel "Pairline" to
// <user-data-dir>/logs/<session time>/exthost<N>/pairline.pairline/Pairline.log, one exthost<N>
// per extension host start (a window reload starts a new one).
import fs from 'node:fs';
import path from 'node:path';

/** @param {string} userDataDir @returns {string[]} oldest first */
export function pairlineLogFiles(userDataDir) {
  const root = path.join(userDataDir, 'logs');
  if (!fs.existsSync(root)) return [];
  const found = [];
  for (const session of fs.readdirSync(root).sort()) {
    const sessionDir = path.join(root, session);
    if (!fs.statSync(sessionDir).isDirectory()) continue;
    const hosts = fs.readdirSync(sessionDir).filter((name) => /^exthost\d+$/.test(name)).sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
    for (const host of hosts) {
      const file = path.join(sessionDir, host, 'pairline.pairline', 'Pairline.log');
      if (fs.existsSync(file)) found.push(file);
    }
  }
  return found;
}

/** All of a window's Pairline log text, extension host by extension host. */
export function pairlineLogText(userDataDir) {
  return pairlineLogFiles(userDataDir)
    .map((file) => `--- ${file}\n${fs.readFileSync(file, 'utf8')}`)
    .join('\n') || `(no Pairline.log under ${path.join(userDataDir, 'logs')})`;
}
