/** What the guest-workspace suites share: the run's environment and the host script's channels. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { requireEnv, until } from './support';

export const hostDir = (): string => requireEnv('PAIRLINE_GUEST_HOST_DIR');
export const invite = (): string => requireEnv('PAIRLINE_GUEST_INVITE');
const stateDir = (): string => requireEnv('PAIRLINE_GUEST_STATE');

/** Every line the host script printed so far. */
export function hostEvents(): Record<string, unknown>[] {
  const file = path.join(stateDir(), 'host-events.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Sends the host script a command (presence, role). */
export function tellHost(command: Record<string, unknown>): void {
  fs.appendFileSync(path.join(stateDir(), 'host-commands.jsonl'), `${JSON.stringify(command)}\n`);
}

export async function waitForHostEvent(what: string, predicate: (event: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  await until(what, () => hostEvents().some(predicate), [], timeoutMs);
  return hostEvents().find(predicate)!;
}

export function pairlineFolders(): vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'pairline');
}

export const folderEvents = [vscode.workspace.onDidChangeWorkspaceFolders as vscode.Event<unknown>];

export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

/** The rejection of `promise`, or a failure when it resolved. */
export async function rejection(promise: Thenable<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure, but the operation succeeded');
}
