/**
 * `extensionTestsPath` of the guest-workspace runs (guest-workspace-run.mjs): the same window is
 * loaded several times (adding the first folder reloads it), so the runner writes which phase comes
 * next into `$PAIRLINE_GUEST_STATE/state.json` and this runs that phase's suite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';

type MochaConstructor = new (options: Record<string, unknown>) => {
  addFile(file: string): void;
  run(done: (failures: number) => void): unknown;
};

export interface GuestRunState {
  readonly phase: 'window' | 'join' | 'rejoined';
  /** Set by the runner before `rejoined`: our participant id when we first joined in `join`. */
  readonly guestId?: string;
}

export function runState(): GuestRunState {
  const dir = process.env.PAIRLINE_GUEST_STATE;
  if (!dir) throw new Error('PAIRLINE_GUEST_STATE is not set: run through test/vscode/guest-workspace-run.mjs');
  return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as GuestRunState;
}

export async function run(): Promise<void> {
  const MochaModule: unknown = await import('mocha');
  const Mocha = ((MochaModule as { default?: MochaConstructor }).default ?? MochaModule) as MochaConstructor;
  const base = (Mocha as unknown as { reporters?: { Base?: { consoleLog: (...args: unknown[]) => void } } }).reporters?.Base;
  if (base) base.consoleLog = (...args: unknown[]) => console.log(format(...args));
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, `guest-workspace-${runState().phase}.suite.js`));
  const failures = await new Promise<number>((resolve) => {
    mocha.run(resolve);
  });
  console.log(`GUEST-WORKSPACE-PHASE-DONE ${failures} failing`);
  if (failures > 0) throw new Error(`${failures} test(s) failed inside the extension host`);
}
