#!/usr/bin/env node
// `npm run test:vscode`: bundles the extension-host test suites (to out/vscode/), then runs them inside a real VS
// Code extension host (code-server + chromium, see harness/) with this repository as the
// extensionDevelopmentPath. Needs `npm run build` first (the script does it) and
// `bash harness/setup.sh` once. Prints mocha's report and exits with the tests' exit code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Suites sit two levels below the root, like test/support, so relay-process.ts finds dist/relay.js.
const outDir = path.join(root, 'out', 'vscode');
const suitesDir = path.join(root, 'test', 'vscode');

for (const required of ['dist/extension.js', 'dist/relay.js', 'dist/cli.js']) {
  if (!fs.existsSync(path.join(root, required))) {
    console.error(`${required} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
}

fs.rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [
    { in: path.join(root, 'test/vscode/index.ts'), out: 'index' },
    ...fs.readdirSync(suitesDir).filter((name) => name.endsWith('.test.ts'))
      .map((name) => ({ in: path.join(suitesDir, name), out: name.replace(/\.ts$/, '') })),
  ],
  outdir: outDir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  // vscode comes from the extension host; mocha from the repository's node_modules.
  external: ['vscode', 'mocha'],
});

const { runExtensionTests } = await import(path.join(root, 'harness', 'lib', 'index.mjs'));

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'pairline-vscode-ws-'));
fs.mkdirSync(path.join(workspace, 'src'));
fs.writeFileSync(path.join(workspace, 'src', 'a.ts'), Array.from({ length: 12 }, (_, i) => `export const line${i} = ${i}; // some text here`).join('\n') + '\n');
fs.writeFileSync(path.join(workspace, 'src', 'b.ts'), Array.from({ length: 80 }, (_, i) => `export const other${i} = ${i};`).join('\n') + '\n');
fs.writeFileSync(path.join(workspace, '.env'), 'SECRET=never-announced\n');

let code = 1;
try {
  code = await runExtensionTests({
    name: 'pairline-vscode-tests',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(outDir, 'index.js'),
    workspaceDir: workspace,
    env: {
      PAIRLINE_TEST_CLI: path.join(root, 'dist', 'cli.js'),
      PAIRLINE_TEST_NODE: process.execPath,
      ...(process.env.PAIRLINE_VSCODE_GREP ? { PAIRLINE_VSCODE_GREP: process.env.PAIRLINE_VSCODE_GREP } : {}),
    },
    settings: { 'pairline.displayName': 'Ada the Host' },
    timeoutMs: Number(process.env.PAIRLINE_VSCODE_TIMEOUT_MS || 420_000),
  });
} catch (error) {
  console.error(`extension-host tests did not complete: ${error.message}`);
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
console.log(code === 0 ? 'vscode tests: all passed' : `vscode tests: FAILED (exit code ${code})`);
// The guest workspace needs windows of its own (an empty one that reloads): it has its own runner.
const parts = (process.env.PAIRLINE_VSCODE_GREP ?? '').split(',').map((part) => part.trim()).filter(Boolean);
if (parts.length === 0 || parts.some((part) => 'guest-workspace-run'.includes(part))) {
  const { spawnSync } = await import('node:child_process');
  const guest = spawnSync(process.execPath, [path.join(root, 'test', 'vscode', 'guest-workspace-run.mjs')], { stdio: 'inherit' });
  if (guest.status !== 0) code = code || 1;
}
process.exit(code === 0 ? 0 : 1);
