#!/usr/bin/env node
// The guest workspace inside a real VS Code (code-server + chromium, see harness/), in three phases
// in one browser profile (so SecretStorage survives reloads), against one relay and one host
// (guest-workspace-host.ts: a SessionClient + HostFileServer over a temp folder):
//   window   — a window with a local folder joins; the pairline: folder is appended in place.
//   join     — an empty window joins (driven through the command palette: VS Code refuses to enter
//              a workspace while extension tests run); adding its first folder reloads the window.
//              The runner sees the navigation and, through the host, that it rejoined by itself.
//   rejoined — that window is loaded again with the tests: it must be back, as the same participant.
// Run: `npm run build && node test/vscode/guest-workspace-run.mjs` (after `bash harness/setup.sh`);
// PAIRLINE_GUEST_ONLY=window runs the first phase only, =restart the other two.
/* global Buffer, setTimeout, clearTimeout, URL -- Node globals the shared eslint config does not declare for .mjs files */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.join(root, 'out', 'vscode-guest');
const suites = path.join(root, 'test', 'vscode');
const GUEST_NAME = 'Gus the Guest';
const log = (line) => process.stdout.write(`${line}\n`);

for (const required of ['dist/extension.js', 'dist/relay.js']) {
  if (!fs.existsSync(path.join(root, required))) {
    console.error(`${required} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
}
fs.rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: ['guest-workspace-index', 'guest-workspace-host', 'guest-workspace-window.suite', 'guest-workspace-join.suite', 'guest-workspace-rejoined.suite']
    .map((name) => ({ in: path.join(suites, `${name}.ts`), out: name })),
  outdir: outDir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning',
  external: ['vscode', 'mocha'],
});

const { startCodeServer, launchBrowser } = await import(path.join(root, 'harness', 'lib', 'index.mjs'));

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'pairline-guest-ws-'));
const hostDir = path.join(temp, 'shop');
const localDir = path.join(temp, 'guest-local');
const stateDir = path.join(temp, 'state');
for (const dir of [path.join(hostDir, 'src'), localDir, stateDir]) fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(hostDir, 'README.md'), '# Shop\n\nThe host\'s project.\n');
fs.writeFileSync(path.join(hostDir, 'package.json'), '{ "name": "shop", "version": "1.0.0" }\n');
fs.writeFileSync(path.join(hostDir, 'src', 'greet.js'), 'export const greet = (name) => `Hello, ${name}!`;\n');
fs.writeFileSync(path.join(hostDir, '.env'), 'SECRET=only-on-the-host\n');
// 1.5 MB of every byte value: several chunks, a progress notification, and no text decoding.
fs.writeFileSync(path.join(hostDir, 'big.bin'), Buffer.from(Array.from({ length: 1536 * 1024 }, (_, i) => (i * 7) % 256)));
fs.writeFileSync(path.join(localDir, 'notes.txt'), 'the guest\'s own folder\n');
const workspaceFile = path.join(temp, 'guest.code-workspace');
fs.writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: localDir }] }));
const writeState = (state) => fs.writeFileSync(path.join(stateDir, 'state.json'), JSON.stringify(state));

const children = [];
/** Starts a node child; resolves with it and its parsed JSON lines once `ready(line)` matched. */
function startChild(label, args, ready) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 20 s`)), 20_000);
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) {
        try {
          const line = JSON.parse(part);
          lines.push(line);
          if (ready(line)) {
            clearTimeout(timer);
            resolve({ child, lines, line });
          }
        } catch { /* not JSON */ }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => log(`[${label}] ${chunk.trimEnd()}`));
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code} before it was ready`)));
  });
}

function hostEvents() {
  const file = path.join(stateDir, 'host-events.jsonl');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];
}

async function waitFor(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = predicate();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const results = [];
/** Thrown to skip the remaining phases (PAIRLINE_GUEST_ONLY=window). */
class Finished extends Error {}

/** Runs a command from the palette once the palette highlights it. */
async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`>${title}`);
  await waitForAsync(`the palette to highlight "${title}"`, async () => {
    const focused = page.locator('.quick-input-widget .monaco-list-row.focused');
    return (await focused.count()) > 0 && ((await focused.first().getAttribute('aria-label')) ?? '').startsWith(title);
  }, 30_000);
  await page.keyboard.press('Enter');
}

async function waitForAsync(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
let server;
let browser;
try {
  const relay = await startChild('relay', [path.join(root, 'dist', 'relay.js'), '--host', '127.0.0.1', '--port', '0'],
    (line) => line.msg === 'relay listening' && typeof line.url === 'string');
  const relayUrl = relay.line.url.replace(/\/$/, '');
  const host = await startChild('host', [path.join(outDir, 'guest-workspace-host.js'), relayUrl, hostDir, stateDir], (line) => line.event === 'invite');
  log(`[guest-ws] relay ${relayUrl}, host session ${host.line.session}`);

  server = await startCodeServer({
    name: 'guest-ws', workspaceDir: localDir,
    env: { PAIRLINE_GUEST_INVITE: host.line.link, PAIRLINE_GUEST_HOST_DIR: hostDir, PAIRLINE_GUEST_STATE: stateDir },
    settings: { 'pairline.displayName': GUEST_NAME },
  });
  browser = await launchBrowser();
  const page = await (await browser.newContext()).newPage();
  let onExit = () => undefined;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = Array.isArray(args) ? args.join(' ') : String(args);
    if (type !== 'trace' && type !== 'debug' && !/^(Resolv|Creating a socket|Updating additional|\[Service Worker\]|ChatSessionStore|Started local|Ignoring fetching|Creation of workbench)/.test(text)) log(text);
  });
  await page.exposeFunction('codeAutomationExit', (code) => onExit(Number(code)));
  const remote = (file) => `vscode-remote://127.0.0.1:${server.port}${file}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(root)],
    ['extensionTestsPath', remote(path.join(outDir, 'guest-workspace-index.js'))],
    ['skipWelcome', 'true'],
  ]);
  const withTests = (url) => {
    const parsed = new URL(url);
    parsed.searchParams.set('payload', payload);
    return parsed.toString();
  };
  /** Loads `url` with the tests; resolves with the exit code of the phase's suite. */
  const runPhase = async (phase, url, timeoutMs = 240_000) => {
    writeState(phase);
    log(`[guest-ws] phase ${phase.phase}`);
    const outcome = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`phase ${phase.phase} timed out after ${timeoutMs} ms`)), timeoutMs);
      onExit = (code) => { clearTimeout(timer); resolve({ code }); };
    });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    return outcome;
  };

  const only = process.env.PAIRLINE_GUEST_ONLY;
  if (only !== 'restart') {
    const window = await runPhase({ phase: 'window' }, withTests(`${server.url}/?workspace=${encodeURIComponent(workspaceFile)}`));
    results.push(['window', window.code === 0]);
  }
  if (only === 'window') throw new Finished();

  // Phase join runs no tests: VS Code refuses to enter a workspace while extension tests run
  // ("Entering a new workspace is not possible in tests"), so a person's steps are driven instead.
  writeState({ phase: 'join' });
  log('[guest-ws] phase join (driven through the command palette, no tests loaded)');
  const reloaded = new Promise((resolve) => {
    const onNavigated = (frame) => {
      if (frame !== page.mainFrame() || !/[?&]workspace=/.test(frame.url())) return;
      page.off('framenavigated', onNavigated);
      resolve(frame.url());
    };
    page.on('framenavigated', onNavigated);
  });
  const developmentOnly = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['skipWelcome', 'true']]);
  await page.goto(`${server.url}/?ew=true&payload=${encodeURIComponent(developmentOnly)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.part.statusbar').getByText('Pairline', { exact: false }).first().waitFor({ state: 'visible', timeout: 90_000 });
  await runCommand(page, 'Pairline: Join Session');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(host.line.link);
  await page.keyboard.press('Enter');
  const next = await Promise.race([reloaded, new Promise((resolve) => setTimeout(() => resolve(undefined), 90_000))]);
  results.push(['join: adding the first folder reloaded the window', next !== undefined]);
  if (!next) throw new Error('the window did not reload into a workspace within 90 s of joining');
  const joinedEvents = hostEvents().filter((event) => event.event === 'roster' && event.change === 'joined' && event.name === GUEST_NAME);
  const guestId = joinedEvents.at(-1)?.id;
  // The reloaded window runs no tests: watch it come back through the host's roster.
  const seenBefore = hostEvents().length;
  await waitFor('the reloaded window to rejoin by itself (host sees the guest online again)', () => hostEvents().slice(seenBefore)
    .some((event) => event.event === 'roster' && event.id === guestId && event.state === 'online'), 120_000)
    .then(() => results.push(['the reloaded window rejoined by itself (seen in the host\'s roster)', true]), (error) => {
      log(`[guest-ws] ${error.message}; host events: ${JSON.stringify(hostEvents().slice(seenBefore))}`);
      results.push(['the reloaded window rejoined by itself (seen in the host\'s roster)', false]);
    });
  const rejoined = await runPhase({ phase: 'rejoined', guestId }, withTests(next));
  results.push(['rejoined', rejoined.code === 0]);
} catch (error) {
  if (!(error instanceof Finished)) {
    log(`[guest-ws] run failed: ${error.stack ?? error}`);
    results.push(['run', false]);
  }
} finally {
  await browser?.close().catch(() => undefined);
  await server?.stop({ keepTemp: results.some(([, ok]) => !ok) });
  for (const child of children.reverse()) {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  }
  fs.rmSync(temp, { recursive: true, force: true });
}
for (const [name, ok] of results) log(`[guest-ws] ${ok ? 'passed' : 'FAILED'}: ${name}`);
const failed = results.filter(([, ok]) => !ok).length;
log(failed === 0 ? 'guest workspace vscode tests: all passed' : `guest workspace vscode tests: ${failed} FAILED`);
process.exit(failed === 0 ? 0 : 1);
