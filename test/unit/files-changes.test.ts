/**
 * The host's file-system changes reach guests batched, classified (created, changed, deleted)
 * and filtered: excluded files, git-ignored files and links leading outside are never announced.
 * Batching is driven by a fake watcher and a fake clock; one test uses the real recursive
 * `fs.watch` with a bounded wait.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { parsePayload } from '../../protocol';
import { FilePayloadSchema, type FileChange } from '../../protocol/file-payloads';
import type { WatchFolder } from '../../client/files/change-batcher';
import { HostFileServer } from '../../client/files/host-file-server';
import { RemoteFiles } from '../../client/files/remote-files';
import { FakeClock } from '../support/fake-clock';
import { FakeSession, makeFolderFixture, nextEvent, type FakeClient, type FolderFixture } from '../support/files-pair';

/** A watcher the test drives by hand. */
function manualWatcher(): { watchFolder: WatchFolder; emit: (path: string, kind?: 'rename' | 'change') => void } {
  const listeners: Array<(path: string, kind: 'rename' | 'change') => void> = [];
  return {
    watchFolder: (_folder, onChange) => {
      listeners.push(onChange);
      return { dispose: () => undefined };
    },
    emit: (path, kind = 'rename') => listeners.forEach((listener) => listener(path, kind)),
  };
}

function changeMessages(session: FakeSession, host: FakeClient): FileChange[][] {
  return session.sent.filter((message) => message.from === host.me.id).flatMap((message) => {
    const parsed = parsePayload(FilePayloadSchema, message.payload);
    return parsed.ok && parsed.payload.type === 'changes' ? [parsed.payload.events] : [];
  });
}

describe('shared files: change events', () => {
  let fixture: FolderFixture;
  let session: FakeSession;
  let host: FakeClient;
  let server: HostFileServer | undefined;
  const onDisk = (relative: string) => nodePath.join(fixture.shared, relative);

  beforeEach(async () => {
    fixture = await makeFolderFixture({ hugeCount: 0 });
    session = new FakeSession();
    host = session.add('host0001', 'host');
    session.add('guest001', 'viewer');
  });
  afterEach(async () => {
    server?.dispose();
    await fixture.remove();
  });

  it('batches a burst into one broadcast after a quiet period, classified by what is on disk', async () => {
    const clock = new FakeClock();
    const watcher = manualWatcher();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], clock, watchFolder: watcher.watchFolder });
    await fs.writeFile(onDisk('src/new.ts'), 'new');
    await fs.rm(onDisk('README.md'));
    watcher.emit('src/new.ts');
    await clock.advance(50);
    watcher.emit('README.md');
    watcher.emit('src/a.ts', 'change');
    watcher.emit('src/a.ts', 'change');
    await clock.advance(99);
    assert.equal(changeMessages(session, host).length, 0, 'nothing goes out before the quiet period');
    await clock.advance(1);
    await server.flushChanges();
    const messages = changeMessages(session, host);
    assert.equal(messages.length, 1);
    assert.deepEqual(messages[0], [
      { type: 'created', path: 'src/new.ts' },
      { type: 'deleted', path: 'README.md' },
      { type: 'changed', path: 'src/a.ts' },
    ]);
    assert.ok(session.sent.filter((message) => message.from === host.me.id).every((message) => message.to === undefined), 'broadcast');
  });

  it('sends at the latest after a second while changes keep coming', async () => {
    const clock = new FakeClock();
    const watcher = manualWatcher();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], clock, watchFolder: watcher.watchFolder });
    // A change every 90 ms never leaves a 100 ms quiet period.
    for (let tick = 0; tick < 11; tick++) {
      watcher.emit('src/a.ts', 'change');
      await clock.advance(90);
    }
    assert.equal(clock.pending, 1, 'still batching at 990 ms');
    await clock.advance(10);
    assert.equal(clock.pending, 0, 'the batch went out at 1000 ms');
    await server.flushChanges();
    assert.deepEqual(changeMessages(session, host), [[{ type: 'changed', path: 'src/a.ts' }]]);
  });

  it('never announces excluded files, .git, git-ignored files or links leading outside', async () => {
    execFileSync('git', ['init', '-q'], { cwd: fixture.shared });
    await fs.writeFile(onDisk('.gitignore'), '*.log\n');
    const clock = new FakeClock();
    const watcher = manualWatcher();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], clock, watchFolder: watcher.watchFolder, hideGitIgnored: true });
    await fs.writeFile(onDisk('.env'), 'TOKEN=changed');
    await fs.writeFile(onDisk('debug.log'), 'log');
    await fs.symlink(nodePath.join(fixture.outside, 'secret.txt'), onDisk('new-link-out'));
    for (const path of ['.env', 'config/.env.local', 'id_rsa', '.git/index', 'debug.log', 'new-link-out', 'certs/server.pem', 'src/a.ts']) watcher.emit(path, 'change');
    await clock.advance(100);
    await server.flushChanges();
    assert.deepEqual(changeMessages(session, host), [[{ type: 'changed', path: 'src/a.ts' }]]);
  });

  it('lists a new file right after its change went out (no stale file list)', async () => {
    const clock = new FakeClock();
    const watcher = manualWatcher();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], clock, watchFolder: watcher.watchFolder });
    const guest = session.participants.get('guest001');
    assert.ok(guest);
    const files = new RemoteFiles(guest, { clock });
    try {
      assert.ok(!(await files.listFiles()).files.includes('src/later.ts'));
      assert.ok(!(await files.listFiles()).files.includes('src/later.ts'));
      await fs.writeFile(onDisk('src/later.ts'), 'later');
      watcher.emit('src/later.ts');
      await clock.advance(100);
      await server.flushChanges();
      assert.ok((await files.listFiles()).files.includes('src/later.ts'));
    } finally {
      files.dispose();
    }
  });

  it('prefixes paths with the folder name when several folders are shared', async () => {
    const clock = new FakeClock();
    const watcher = manualWatcher();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared, name: 'work' }, { path: fixture.outside, name: 'other' }], clock, watchFolder: watcher.watchFolder });
    watcher.emit('src/a.ts', 'change');
    await clock.advance(100);
    await server.flushChanges();
    const events = changeMessages(session, host).flat();
    assert.deepEqual(events.map((event) => event.path).sort(), ['other/src/a.ts', 'work/src/a.ts']);
  });

  it('delivers real file-system changes to a guest, without excluded ones (real fs.watch)', async () => {
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }] });
    const guest = session.participants.get('guest001');
    assert.ok(guest);
    const files = new RemoteFiles(guest);
    const seen: FileChange[] = [];
    files.onDidChangeFiles((events) => seen.push(...events));
    try {
      const arrived = nextEvent(files.onDidChangeFiles, () => seen.some((event) => event.path === 'src/fresh.ts'), 10_000);
      await fs.writeFile(onDisk('.env'), 'TOKEN=rotated');
      await fs.writeFile(onDisk('src/fresh.ts'), 'fresh');
      await arrived;
      assert.ok(seen.every((event) => event.path !== '.env'), JSON.stringify(seen));
    } finally {
      files.dispose();
    }
  });
});
