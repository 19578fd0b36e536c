/**
 * Co-editing between two `pairline` processes (dist/cli.js) through the real relay: a host serving
 * a temp folder (`--folder`) and a guest. Concurrent edits converge, a guest's save writes the
 * host's file, and edits made on both sides while the relay is down are in both copies once it
 * is back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliProcess, CliProcesses } from '../support/cli-process';
import { startRelay, type RunningRelay } from '../support/relay-process';

/** The participant's text of `file`, asserting that no heal was ever needed. */
async function textOf(participant: CliProcess, file: string): Promise<string> {
  const mark = participant.events.length;
  await participant.command({ cmd: 'text', file });
  const event = await participant.waitFor((candidate) => candidate.event === 'text' && candidate.file === file, 'the text', { after: mark });
  assert.equal(event.heals, 0, 'no heal was needed');
  return String(event.text);
}

/** Polls both texts (each poll awaits the processes' answers) until they are equal and pass `accept`. */
async function converged(file: string, participants: CliProcess[], accept: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let texts: string[] = [];
  while (Date.now() < deadline) {
    texts = await Promise.all(participants.map((participant) => textOf(participant, file)));
    if (texts.every((text) => text === texts[0]) && accept(texts[0])) return texts[0];
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`texts did not converge: ${JSON.stringify(texts)}`);
}

describe('pairline CLI co-editing through the real relay', function () {
  this.timeout(60_000);
  let relay: RunningRelay | undefined;
  let folder: string;
  const processes = new CliProcesses();

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'pairline-cli-docs-'));
  });

  afterEach(async () => {
    await processes.stopAll();
    await relay?.stop();
    relay = undefined;
    rmSync(folder, { recursive: true, force: true });
  });

  async function pair(): Promise<{ host: CliProcess; guest: CliProcess }> {
    relay ??= await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana', '--folder', folder]);
    const invite = await host.waitFor((event) => event.event === 'invite', 'the invite link');
    const guest = processes.start(['join', String(invite.link), '--name', 'Gus']);
    await guest.waitFor((event) => event.event === 'joined', 'the guest joined');
    return { host, guest };
  }

  it('concurrent edits converge, remote changes are events, and a guest save writes the host file', async () => {
    writeFileSync(path.join(folder, 'notes.txt'), 'hello world\r\nsecond line\r\n');
    const { host, guest } = await pair();
    await host.command({ cmd: 'open', file: 'notes.txt' });
    await guest.command({ cmd: 'open', file: 'notes.txt' });
    const opened = await guest.waitFor((event) => event.event === 'opened', 'the opened event');
    assert.deepEqual({ file: opened.file, length: opened.length }, { file: 'notes.txt', length: 'hello world\r\nsecond line\r\n'.length });

    const guestMark = guest.events.length;
    // Interleaved, without waiting for each other: both sides type at once.
    const typing: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      typing.push(host.command({ cmd: 'edit', file: 'notes.txt', offset: 0, insert: `h${i % 10}` }));
      typing.push(guest.command({ cmd: 'edit', file: 'notes.txt', offset: 11, insert: `g${i % 10}` }));
    }
    await Promise.all(typing);
    const typed = await converged('notes.txt', [host, guest], (candidate) => countOf(candidate, /h\d/g) === 20 && countOf(candidate, /g\d/g) === 20);
    await guest.command({ cmd: 'edit', file: 'notes.txt', offset: typed.indexOf('world'), delete: 5, insert: 'there' });
    const text = await converged('notes.txt', [host, guest], (candidate) => candidate.includes('there') && !candidate.includes('world'));
    assert.ok(text.endsWith('second line\r\n'), 'CRLF line endings are kept');
    const change = await guest.waitFor((event) => event.event === 'change' && event.file === 'notes.txt', 'a change event at the guest', { after: guestMark });
    assert.ok(Array.isArray(change.edits) && (change.edits as unknown[]).length > 0);

    const savedMark = host.events.length;
    await guest.command({ cmd: 'save', file: 'notes.txt' });
    assert.equal(readFileSync(path.join(folder, 'notes.txt'), 'utf8'), text, 'the guest\'s save wrote the host\'s file');
    const saved = await host.waitFor((event) => event.event === 'saved', 'the saved event at the host', { after: savedMark });
    assert.equal(saved.clean, true);
  });

  it('edits made on both sides while the relay is down are in both copies once it is back', async () => {
    writeFileSync(path.join(folder, 'offline.txt'), 'middle\n');
    const { host, guest } = await pair();
    await host.command({ cmd: 'open', file: 'offline.txt' });
    await guest.command({ cmd: 'open', file: 'offline.txt' });
    const port = relay!.port;
    const hostMark = host.events.length;
    const guestMark = guest.events.length;
    await relay!.kill9();
    relay = undefined;
    await host.waitFor((event) => event.event === 'state' && event.state !== 'connected', 'the host noticing the relay is gone', { after: hostMark });
    await guest.waitFor((event) => event.event === 'state' && event.state !== 'connected', 'the guest noticing the relay is gone', { after: guestMark });

    await guest.command({ cmd: 'edit', file: 'offline.txt', offset: 0, insert: 'guest-offline ' });
    await host.command({ cmd: 'edit', file: 'offline.txt', offset: 'middle\n'.length, insert: 'host-offline\n' });
    assert.equal(await textOf(guest, 'offline.txt'), 'guest-offline middle\n');

    relay = await startRelay({ port });
    const text = await converged('offline.txt', [host, guest], (candidate) => candidate.includes('guest-offline') && candidate.includes('host-offline'), 30_000);
    assert.equal(text, 'guest-offline middle\nhost-offline\n');
  });

  it('a viewer cannot edit: refused locally, nothing reaches the host', async () => {
    writeFileSync(path.join(folder, 'read.txt'), 'read only');
    relay = await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana', '--folder', folder, '--role', 'viewer']);
    const invite = await host.waitFor((event) => event.event === 'invite', 'the invite link');
    const viewer = processes.start(['join', String(invite.link), '--name', 'Vic']);
    await viewer.waitFor((event) => event.event === 'joined', 'the viewer joined');
    await host.command({ cmd: 'open', file: 'read.txt' });
    await viewer.command({ cmd: 'open', file: 'read.txt' });
    await assert.rejects(viewer.command({ cmd: 'edit', file: 'read.txt', offset: 0, insert: 'x' }), /read-only/);
    await assert.rejects(viewer.command({ cmd: 'save', file: 'read.txt' }), /read-only/);
    assert.equal(await textOf(host, 'read.txt'), 'read only');
  });
});

function countOf(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}
