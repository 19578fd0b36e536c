// Everything the two-window suite stands on: the harness installed, the .vsix and relay built, one
// relay, two code-server instances ("alice" with the fixture project, "bob" with no folder) with
// the .vsix installed as a user installs it, and one Chromium with a context per window.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openWorkbench, registerTempDir, startCodeServer } from '../../../harness/lib/index.mjs';
import { Probe } from './probe.mjs';
import { Window } from './window.mjs';

/** Settings of both windows besides the relay URL and display name. */
const COMMON_SETTINGS = {
  'pairline.approval': 'prompt',
  'workbench.colorTheme': 'Default Dark Modern',
  'editor.cursorBlinking': 'solid', // screenshots show the local cursor every time
  'editor.minimap.enabled': false,
  'workbench.editor.enablePreview': false, // a file opened from the Explorer stays open
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Sources whose change makes the .vsix stale. */
const PACKAGED_SOURCES = ['extension', 'client', 'protocol', 'package.json', 'media', 'esbuild.mjs'];

function newestMtime(target) {
  if (!fs.existsSync(target)) return 0;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/**
 * `bash harness/setup.sh` (quick when installed), then the .vsix (`npm run package`) when it is
 * missing or older than its sources, and `dist/relay.js` (`npm run build`) when missing.
 * PAIRLINE_E2E_VSIX=path uses a given .vsix instead (never rebuilt).
 * @returns {{ vsixPath: string, relayEntry: string }}
 */
export function prepareBuild(repoRoot, print) {
  const run = (command, args) => {
    print(`$ ${command} ${args.join(' ')}`);
    execFileSync(command, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  };
  run('bash', ['harness/setup.sh']);
  let vsixPath = process.env.PAIRLINE_E2E_VSIX ? path.resolve(process.env.PAIRLINE_E2E_VSIX) : path.join(repoRoot, 'pairline.vsix');
  if (!process.env.PAIRLINE_E2E_VSIX) {
    const sources = Math.max(...PACKAGED_SOURCES.map((source) => newestMtime(path.join(repoRoot, source))));
    if (!fs.existsSync(vsixPath) || fs.statSync(vsixPath).mtimeMs < sources) run('npm', ['run', 'package']);
    else print(`(pairline.vsix is newer than its sources: not rebuilt)`);
  }
  if (!fs.existsSync(vsixPath)) throw new Error(`${vsixPath} missing after npm run package`);
  const relayEntry = path.join(repoRoot, 'dist', 'relay.js');
  if (!fs.existsSync(relayEntry)) run('npm', ['run', 'build']);
  return { vsixPath, relayEntry };
}

/**
 * Start one participant's code-server and open its workbench.
 * @param {object} options
 * @param {import('playwright-core').Browser} options.browser
 * @param {string} options.name          "Alice"
 * @param {string} options.relayUrl
 * @param {string} options.vsixPath
 * @param {string} options.probeExtension  test/e2e/probe
 * @param {string} [options.fixture]      folder copied as this window's workspace; none: an empty window
 * @returns {Promise<{ window: Window, server: import('../../../harness/lib/codeServer.mjs').CodeServerInstance, workspaceDir?: string }>}
 */
export async function startParticipant({ browser, name, relayUrl, vsixPath, probeExtension, fixture }) {
  const ownRoot = fs.mkdtempSync(path.join(os.tmpdir(), `pairline-e2e-${name.toLowerCase()}-`));
  registerTempDir(ownRoot);
  const probeDir = path.join(ownRoot, 'probe');
  let workspaceDir;
  if (fixture) {
    workspaceDir = path.join(ownRoot, 'greeter');
    fs.cpSync(fixture, workspaceDir, { recursive: true });
  }
  const server = await startCodeServer({
    name: name.toLowerCase(),
    ...(workspaceDir ? { workspaceDir } : {}),
    vsixPath,
    extensionDirs: [probeExtension],
    settings: { ...COMMON_SETTINGS, 'pairline.relayUrl': relayUrl, 'pairline.displayName': name },
    env: { PAIRLINE_E2E_PROBE_DIR: probeDir },
  });
  let page;
  if (workspaceDir) {
    page = await openWorkbench(browser, server, { viewport: VIEWPORT });
  } else {
    // No folder: "?ew=true" is code-server's empty window (it would reopen the last folder otherwise).
    const context = await browser.newContext({ viewport: VIEWPORT });
    page = await context.newPage();
    await page.goto(`${server.url}/?ew=true`, { waitUntil: 'domcontentloaded', timeout: 90_000 });
    await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 90_000 });
  }
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  return { window: new Window(name, page, new Probe(probeDir)), server, ...(workspaceDir ? { workspaceDir } : {}) };
}

/** Each window's size: small enough that two side by side stay readable. */
export const VIEWPORT = { width: 1280, height: 800 };
