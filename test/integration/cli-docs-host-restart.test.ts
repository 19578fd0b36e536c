/**
 * "Never lose an edit" across a host process restart, end to end: a CLI host with --state-file
 * and a CLI guest through the real relay; the host is killed with -9 (edits of both sides still
 * in flight), the guest keeps editing, the host is started again with its state file, and both
 * texts converge with every edit exactly once.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliProcess, CliProcesses } from '../support/cli-process';
import { startRelay, type RunningRelay } from '../support/relay-process';

async function textOf(participant: CliProcess, file: string): Promise<string> {
  const mark = participant.events.length;
  await participant.command({ cmd: 'text', file });
  const event = await participant.waitFor((candidate) => candidate.event === 'text' && candidate.file === file, 'the text', { after: mark });
  return String(event.text);
}

/** Polls both texts until they are equal and pass `accept`. */
async function converged(file: string, participants: CliProcess[], accept: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let texts: string[] = [];
  while (Date.now() < deadline) {
    texts = await Promise.all(participants.map((participant) => textOf(participant, file)));
    if (texts.every((text) => text === texts[0]) && accept(texts[0])) return texts[0];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`texts did not converge: ${JSON.stringify(texts)}`);
}

const occurrences = (text: string, marker: string): number => text.split(marker).length - 1;

describe('pairline CLI host restart keeps every edit', function () {
  this.timeout(90_000);
  let relay: RunningRelay | undefined;
  let folder: string;
  let stateDirectory: string;
  const processes = new CliProcesses();

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'pairline-restart-folder-'));
    stateDirectory = mkdtempSync(path.join(tmpdir(), 'pairline-restart-state-'));
  });

  afterEach(async () => {
    await processes.stopAll();
    await relay?.stop();
    relay = undefined;
    rmSync(folder, { recursive: true, force: true });
    rmSync(stateDirectory, { recursive: true, force: true });
  });

  it('a host killed with -9 and started again with its state file merges every edit once', async () => {
    writeFileSync(path.join(folder, 'notes.txt'), 'base\n');
    relay = await startRelay();
    const stateFile = path.join(stateDirectory, 'host.json');
    const hostArgs = ['host', '--relay', relay.url, '--name', 'Hana', '--folder', folder, '--state-file', stateFile];
    const host = processes.start(hostArgs);
    const invite = await host.waitFor((event) => event.event === 'invite', 'the invite link');
    const guest = processes.start(['join', String(invite.link), '--name', 'Gus']);
    await guest.waitFor((event) => event.event === 'joined', 'the guest joined');
    await host.command({ cmd: 'open', file: 'notes.txt' });
    await guest.command({ cmd: 'open', file: 'notes.txt' });

    await guest.command({ cmd: 'edit', file: 'notes.txt', offset: 0, insert: '<g1> ' });
    await host.command({ cmd: 'edit', file: 'notes.txt', offset: 0, insert: '<h1> ' });
    await converged('notes.txt', [host, guest], (text) => text.includes('<g1>') && text.includes('<h1>'));
    assert.ok(existsSync(`${stateFile}.docs`), 'the host keeps document state beside its state file');

    // Both sides type and the host dies at once: these edits are in flight.
    await Promise.all([
      guest.command({ cmd: 'edit', file: 'notes.txt', offset: 0, insert: '<g-flight> ' }),
      host.command({ cmd: 'edit', file: 'notes.txt', offset: 0, insert: '<h-flight> ' }),
    ]);
    const guestMark = guest.events.length;
    host.kill();
    await host.exited;
    await guest.waitFor((event) => event.event === 'roster' && (event.participant as { state?: string }).state !== 'online',
      'the guest seeing the host gone', { after: guestMark });

    // The guest keeps editing while the host is down.
    await guest.command({ cmd: 'edit', file: 'notes.txt', offset: 0, insert: '<g2> ' });
    const length = (await textOf(guest, 'notes.txt')).length;
    await guest.command({ cmd: 'edit', file: 'notes.txt', offset: length, insert: '<g3>\n' });

    const restarted = processes.start(hostArgs);
    await restarted.waitFor((event) => event.event === 'joined', 'the restarted host back in its session');
    await restarted.command({ cmd: 'open', file: 'notes.txt' });
    const markers = ['<g1>', '<h1>', '<g-flight>', '<h-flight>', '<g2>', '<g3>', 'base'];
    const text = await converged('notes.txt', [restarted, guest], (candidate) => markers.every((marker) => candidate.includes(marker)));
    for (const marker of markers) assert.equal(occurrences(text, marker), 1, `${marker} exactly once in ${JSON.stringify(text)}`);
  });
});
