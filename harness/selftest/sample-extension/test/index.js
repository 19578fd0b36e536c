// Mocha-free minimal test runner, loaded by VS Code as `extensionTestsPath`.
// VS Code calls run() inside the extension host; a rejection makes the run exit with code 1.
const assert = require('assert');
const vscode = require('vscode');

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('sample command is registered', async () => {
  const ext = vscode.extensions.getExtension('pairline-harness.sample');
  assert.ok(ext, 'sample extension is loaded (extensionDevelopmentPath)');
  await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  assert.ok(commands.includes('pairlineHarnessSample.hello'), 'command listed');
  const reply = await vscode.commands.executeCommand('pairlineHarnessSample.hello');
  assert.match(String(reply), /^hello from \d+$/);
});

test('env passed to runExtensionTests reaches the extension host', async () => {
  // run.mjs writes the expected value into the workspace; the env var arrives independently.
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'expected-probe.txt'));
  assert.strictEqual(process.env.HARNESS_PROBE, Buffer.from(bytes).toString('utf8').trim());
});

test('extension folder copied via extensionDirs is active', async () => {
  const companion = vscode.extensions.getExtension('pairline-harness.companion');
  assert.ok(companion, 'companion extension found in the extensions dir');
  await companion.activate();
  assert.strictEqual(await vscode.commands.executeCommand('pairlineHarnessCompanion.ping'), 'pong');
});

test('real Node extension host in code-server', async () => {
  assert.strictEqual(vscode.env.uiKind, vscode.UIKind.Web);
  assert.ok(vscode.env.remoteName, 'remoteName set');
  assert.match(vscode.version, /^1\.100\./);
});

async function run() {
  let passed = 0;
  const failures = [];
  for (const t of tests) {
    try {
      await t.fn();
      passed++;
      console.log(`  ok   ${t.name}`);
    } catch (e) {
      failures.push(t.name);
      console.log(`  FAIL ${t.name}: ${e && e.stack ? e.stack : e}`);
    }
  }
  console.log(`HARNESS-RESULT ${passed} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`${failures.length} test(s) failed: ${failures.join(', ')}`);
}

module.exports = { run };
