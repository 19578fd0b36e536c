import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the harness/ folder. */
export const HARNESS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** code-server's Node entry point (installed by harness/setup.sh). */
export const CODE_SERVER_ENTRY = path.join(HARNESS_DIR, 'node_modules/code-server/out/node/entry.js');

/** Debian's chromium (installed by harness/setup.sh). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Throws a readable error if setup.sh has not been run. */
export function assertInstalled() {
  const missing = [CODE_SERVER_ENTRY, path.join(HARNESS_DIR, 'node_modules/playwright-core/package.json'), CHROMIUM_PATH].filter(
    (p) => !fs.existsSync(p),
  );
  if (missing.length) {
    throw new Error(`Pairline harness not installed (missing ${missing.join(', ')}). Run: bash ${path.join(HARNESS_DIR, 'setup.sh')}`);
  }
}
