/**
 * Helpers for suites running inside the extension host: the extension's API, bounded waits, the CLI
 * participant, a hosted session with a CLI guest, a CLI host's session joined as a guest,
 * convergence and typing.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PairlineApi } from '../../extension/api';
import { startRelay, type RunningRelay } from '../support/relay-process';

export const EXTENSION_ID = 'pairline.pairline';

export async function pairline(): Promise<PairlineApi> {
  const extension = vscode.extensions.getExtension<PairlineApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

/**
 * Resolves once `predicate` holds. It is checked at once, on each of `events`, and on a slow
 * tick (extension-host events can coalesce); rejects with `what` after `timeoutMs`.
 */
export function until(what: string, predicate: () => boolean, events: vscode.Event<unknown>[], timeoutMs = 30_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const subscriptions: vscode.Disposable[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(tick);
      for (const subscription of subscriptions) subscription.dispose();
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      try {
        if (predicate()) finish();
      } catch (error) {
        finish(error as Error);
      }
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const tick = setInterval(check, 250);
    for (const event of events) subscriptions.push(event(check));
    check();
  });
}

/** A `pairline` CLI participant run by a test. */
export interface CliGuest {
  readonly pid: number;
  readonly output: string[];
  send(command: Record<string, unknown>): void;
  waitForOutput(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a command with a fresh id; resolves with its `result` line, rejects on its `error` line. */
  command(line: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Asks for `file`'s text (`{"cmd":"text"}`); true when the CLI's copy is exactly `text`. */
  hasText(file: string, text: string): Promise<boolean>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or a dropped laptop would; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts `pairline join LINK --name NAME` (dist/cli.js) as a child process of the test. */
export function startCliGuest(link: string, name: string): CliGuest {
  return startCli(['join', link, '--name', name]);
}

/** Starts `pairline host --relay URL --name NAME …` as a child process of the test. */
export function startCliHost(relay: string, name: string, extra: string[] = []): CliGuest {
  return startCli(['host', '--relay', relay, '--name', name, ...extra]);
}

/** Runs dist/cli.js with `args`; JSON lines on stdin and stdout. */
export function startCli(args: string[]): CliGuest {
  const cli = requireEnv('PAIRLINE_TEST_CLI');
  const node = process.env.PAIRLINE_TEST_NODE || process.execPath;
  const child: ChildProcess = spawn(node, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('the pairline CLI did not start');
  const output: string[] = [];
  const parsed: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a JSON line; kept in output for diagnostics.
      }
    }
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => output.push(`stderr: ${chunk.trimEnd()}`));
  let nextId = 0;
  const send = (command: Record<string, unknown>): void => {
    child.stdin?.write(`${JSON.stringify(command)}\n`);
  };
  const waitForOutput = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = parsed.find(predicate);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`the CLI guest did not print the expected line within ${timeoutMs} ms; output: ${output.slice(-10).join(' | ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const command = async (line: Record<string, unknown>, timeoutMs = 30_000): Promise<Record<string, unknown>> => {
    const id = `c${nextId++}`;
    send({ ...line, id });
    const answer = await waitForOutput((output) => (output.event === 'result' || output.event === 'error') && output.id === id, timeoutMs);
    if (answer.event === 'error') throw new Error(`${String(line.cmd)} failed: ${String(answer.code)}: ${String(answer.message)}`);
    return answer;
  };
  return {
    pid: child.pid,
    output,
    send,
    waitForOutput,
    command,
    async hasText(file, text) {
      await command({ cmd: 'text', file });
      return waitForOutput((output) => output.event === 'text' && output.file === file && output.text === text, 1_000).then(() => true, () => false);
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (exited) return;
      child.stdin?.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through \`npm run test:vscode\``);
  return value;
}

/** Leaves the session the extension is in, if any (a suite starts from none). */
async function leaveAnySession(api: PairlineApi): Promise<void> {
  if (api.state && api.state !== 'ended' && api.state !== 'idle') await vscode.commands.executeCommand('pairline.leaveSession');
}

/** What a suite's session set-up undoes first: its editors and the session. */
async function closeEditorsAndLeave(api: PairlineApi): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  if (api.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.leaveSession');
}

/** A session the extension hosts on a relay started for the suite, with a CLI guest in it. */
export interface HostedSession {
  readonly relay: RunningRelay;
  readonly guest: CliGuest;
  readonly inviteLink: string;
  /** Closes the editors, leaves the session, stops the CLI and the relay, resets the settings. */
  stop(): Promise<void>;
}

/**
 * Starts a relay, points the extension at it (auto approval), starts a session and lets a CLI
 * guest named `guestName` join. On failure, whatever started is stopped before the error is thrown.
 */
export async function hostSessionWithCliGuest(api: PairlineApi, guestName: string): Promise<HostedSession> {
  const config = () => vscode.workspace.getConfiguration('pairline');
  let relay: RunningRelay | undefined;
  let guest: CliGuest | undefined;
  const stop = async () => {
    await closeEditorsAndLeave(api);
    await guest?.stop();
    await relay?.stop();
    await config().update('relayUrl', undefined, vscode.ConfigurationTarget.Global);
    await config().update('approval', undefined, vscode.ConfigurationTarget.Global);
  };
  try {
    relay = await startRelay();
    await config().update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await config().update('approval', 'auto', vscode.ConfigurationTarget.Global);
    await leaveAnySession(api);
    await vscode.commands.executeCommand('pairline.startSession');
    assert.equal(api.role, 'host');
    assert.ok(api.inviteLink, 'the host has an invite link');
    const inviteLink = api.inviteLink;
    guest = startCliGuest(inviteLink, guestName);
    await guest.waitForOutput((output) => output.event === 'joined', 45_000);
    return { relay, guest, inviteLink, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A session a CLI host runs on a relay started for the suite, joined by the extension as an editor. */
export interface JoinedSession {
  readonly relay: RunningRelay;
  readonly host: CliGuest;
  /** The host's shared folder (a temporary directory). */
  readonly hostFolder: string;
  /** Closes the editors, leaves the session, stops the CLI and the relay, deletes the folder. */
  stop(): Promise<void>;
}

/**
 * Starts a relay and a CLI host sharing a temporary folder that holds `file` with `text` (open on
 * the host), and joins its session from the extension. On failure, whatever started is stopped
 * before the error is thrown.
 */
export async function joinCliHostSession(api: PairlineApi, file: string, text: string): Promise<JoinedSession> {
  const hostFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'pairline-vscode-cli-host-'));
  let relay: RunningRelay | undefined;
  let host: CliGuest | undefined;
  const stop = async () => {
    await closeEditorsAndLeave(api);
    await host?.stop();
    await relay?.stop();
    fs.rmSync(hostFolder, { recursive: true, force: true });
  };
  try {
    await leaveAnySession(api);
    const onDisk = path.join(hostFolder, ...file.split('/'));
    fs.mkdirSync(path.dirname(onDisk), { recursive: true });
    fs.writeFileSync(onDisk, text);
    relay = await startRelay();
    host = startCliHost(relay.url, 'Hugo the CLI host', ['--folder', hostFolder]);
    const invite = await host.waitForOutput((line) => line.event === 'invite' && typeof line.link === 'string');
    await host.command({ cmd: 'open', file });
    assert.equal(await vscode.commands.executeCommand<boolean>('pairline.joinSession', invite.link as string), true);
    assert.equal(api.role, 'editor');
    return { relay, host, hostFolder, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Resolves with the editor's text once the CLI participant's copy of `file` equals it and
 * `accept` holds; rejects after `timeoutMs`.
 */
export async function convergedWith(
  api: PairlineApi, cli: CliGuest, file: string, document: vscode.TextDocument,
  accept: (text: string) => boolean, timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    await api.testing.coEditing.whenIdle(document.uri);
    const expected = document.getText();
    const matched = await cli.hasText(file, expected);
    last = expected;
    if (matched && accept(expected)) return expected;
  }
  throw new Error(`the editor and the CLI participant did not converge on ${file}; editor text: ${JSON.stringify(last)}`);
}

/** Types `text` at `where` through the editor API, retrying when a remote edit got in first. */
export async function typeInto(editor: vscode.TextEditor, where: () => vscode.Position[], text: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const applied = await editor.edit((builder) => {
      for (const position of where()) builder.insert(position, text);
    }, { undoStopBefore: false, undoStopAfter: false });
    if (applied) return;
  }
  throw new Error(`could not type ${JSON.stringify(text)}`);
}
