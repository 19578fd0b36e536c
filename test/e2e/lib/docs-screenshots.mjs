// The README's pictures (docs/screenshots/), cropped from this run's windows by the steps that
// show them: remote-cursor.png (Bob's editor with Alice's cursor and name label) and
// reconnecting.png (the status bar while the relay is down).
import fs from 'node:fs';
import path from 'node:path';

export const DOCS_SCREENSHOTS = ['remote-cursor.png', 'reconnecting.png'];

/**
 * Write the pictures this run captured; returns the names it could not write.
 * @param {{ docsShots: Map<string, Buffer> }} ctx
 * @param {string} repoRoot
 * @param {(line: string) => void} print
 * @returns {string[]}
 */
export function writeDocsScreenshots(ctx, repoRoot, print) {
  const dir = path.join(repoRoot, 'docs', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const missing = [];
  for (const name of DOCS_SCREENSHOTS) {
    const png = ctx.docsShots.get(name);
    if (!png) {
      missing.push(name);
      print(`docs screenshot not captured (its step did not pass): ${name}`);
      continue;
    }
    const file = path.join(dir, name);
    fs.writeFileSync(file, png);
    print(`docs screenshot: ${file} (${(png.length / 1024).toFixed(0)} KiB)`);
  }
  return missing;
}
