/**
 * Loaded by VS Code as `extensionTestsPath` (bundled to out/vscode/index.js by run.mjs):
 * runs the mocha suites inside the real extension host and rejects when any test fails, which
 * the workbench reports as a non-zero exit code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';

type MochaConstructor = new (options: Record<string, unknown>) => {
  addFile(file: string): void;
  run(done: (failures: number) => void): unknown;
};

export async function run(): Promise<void> {
  // Mocha 12 is an ES module; Node 20.19+ loads it through import().
  const MochaModule: unknown = await import('mocha');
  const Mocha = ((MochaModule as { default?: MochaConstructor }).default ?? MochaModule) as MochaConstructor;
  // The workbench forwards console arguments unformatted, and mocha's reporters print with
  // printf-style format strings: format them here.
  const base = (Mocha as unknown as { reporters?: { Base?: { consoleLog: (...args: unknown[]) => void } } }).reporters?.Base;
  if (base) base.consoleLog = (...args: unknown[]) => console.log(format(...args));
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  // PAIRLINE_VSCODE_GREP=session,guest. runs only the suite files whose names contain one of the parts.
  const only = process.env.PAIRLINE_VSCODE_GREP?.split(',').filter(Boolean);
  for (const file of fs.readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort()) {
    if (!only || only.some((part) => file.includes(part))) mocha.addFile(path.join(__dirname, file));
  }
  const failures = await new Promise<number>((resolve) => {
    mocha.run(resolve);
  });
  console.log(`VSCODE-TESTS-DONE ${failures} failing`);
  if (failures > 0) throw new Error(`${failures} test(s) failed inside the extension host`);
}
