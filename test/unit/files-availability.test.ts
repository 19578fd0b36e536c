/**
 * Guests' requests while the host (or the guest's own link) is away: they wait with a state the
 * UI can show, go through when the host is back, fail after a bound with a sentence, and reads
 * cut off mid-stream start over. A silent host times out (fake clock).
 */
import assert from 'node:assert/strict';
import { HostFileServer } from '../../client/files/host-file-server';
import { RemoteFiles, type RemoteFilesState } from '../../client/files/remote-files';
import { FakeClock } from '../support/fake-clock';
import { FakeSession, makeFolderFixture, nextEvent, rejection, type FakeClient, type FolderFixture } from '../support/files-pair';

describe('shared files: while the host is away', () => {
  let fixture: FolderFixture;
  let session: FakeSession;
  let host: FakeClient;
  let guest: FakeClient;
  let server: HostFileServer;
  let files: RemoteFiles;

  before(async () => {
    fixture = await makeFolderFixture({ hugeCount: 0 });
  });
  after(() => fixture.remove());
  beforeEach(async () => {
    session = new FakeSession();
    host = session.add('host0001', 'host');
    guest = session.add('guest001', 'editor');
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], watch: false });
    files = new RemoteFiles(guest, { requestTimeoutMs: 5000, hostWaitMs: 5000 });
  });
  afterEach(() => {
    files.dispose();
    server.dispose();
  });

  it('waits for a reconnecting host, showing it, and answers once the host is back', async () => {
    const states: RemoteFilesState[] = [];
    files.onDidChangeState(({ state }) => states.push(state));
    session.update(host.me.id, { state: 'reconnecting' });
    host.setState('reconnecting');
    assert.equal(files.state, 'waiting-for-host');
    let settled = false;
    const stat = files.stat('README.md').finally(() => {
      settled = true;
    });
    // A full round trip through the session passes, and the request has not gone out.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    assert.equal(session.sent.filter((message) => message.from === guest.me.id).length, 0);
    host.setState('connected');
    session.update(host.me.id, { state: 'online' });
    assert.equal((await stat).type, 'file');
    assert.deepEqual(states, ['waiting-for-host', 'ready']);
  });

  it('waits while the guest\'s own connection is down', async () => {
    guest.setState('reconnecting');
    assert.equal(files.state, 'waiting-for-host');
    const read = files.readFile('README.md');
    guest.setState('connected');
    assert.equal(Buffer.from(await read).toString('utf8'), '# Fixture\n');
  });

  it('gives up after the bound with a sentence', async () => {
    const impatient = new RemoteFiles(guest, { hostWaitMs: 30 });
    try {
      session.update(host.me.id, { state: 'reconnecting' });
      const error = await rejection(impatient.stat('README.md'));
      assert.equal(error.code, 'host-offline');
      assert.match(error.message, /The host is offline/);
    } finally {
      impatient.dispose();
    }
  });

  it('starts a read over when the host drops out in the middle of it', async () => {
    let interrupted = false;
    const progress: number[] = [];
    const read = files.readFile('big.bin', (received) => {
      progress.push(received);
      if (!interrupted) {
        interrupted = true;
        session.update(host.me.id, { state: 'reconnecting' });
        setImmediate(() => session.update(host.me.id, { state: 'online' }));
      }
    });
    assert.deepEqual(Buffer.from(await read), fixture.big);
    assert.equal(interrupted, true);
    assert.equal(progress.filter((received) => received === 256 * 1024).length, 2, 'the first chunk came twice: the read started over');
  });

  it('fails a change cut off by the host leaving, rather than repeating it', async () => {
    // The host drops out right after the write went out, before it could answer.
    const send = guest.send.bind(guest);
    guest.send = (kind, payload, to) => {
      const sent = send(kind, payload, to);
      if (kind === 'file-write') session.update(host.me.id, { state: 'reconnecting' });
      return sent;
    };
    const write = files.writeFile('late.txt', Buffer.from('x'), { create: true, overwrite: false });
    const error = await rejection(write);
    assert.equal(error.code, 'host-offline');
    assert.match(error.message, /may or may not have been made/);
  });

  it('reports the host\'s changes only when they come from the host', async () => {
    const changes = nextEvent(files.onDidChangeFiles);
    const other = session.add('other001', 'editor');
    other.send('file', Buffer.from(JSON.stringify({ type: 'changes', events: [{ type: 'deleted', path: 'README.md' }] })));
    host.send('file', Buffer.from(JSON.stringify({ type: 'changes', events: [{ type: 'created', path: 'new.txt' }] })));
    assert.deepEqual(await changes, [{ type: 'created', path: 'new.txt' }]);
  });
});

describe('shared files: a silent host', () => {
  it('times out with a sentence after the bound, and tells the host to stop', async () => {
    const clock = new FakeClock();
    const session = new FakeSession();
    const host = session.add('host0001', 'host');
    const guest = session.add('guest001', 'viewer');
    const files = new RemoteFiles(guest, { clock, requestTimeoutMs: 30_000 });
    try {
      const stat = rejection(files.stat('README.md'));
      await clock.advance(29_000);
      assert.equal(session.sent.length, 1);
      await clock.advance(1_000);
      const error = await stat;
      assert.equal(error.code, 'timeout');
      assert.match(error.message, /did not answer in time/);
      const cancel = JSON.parse(Buffer.from(session.sent.at(-1)?.payload ?? []).toString('utf8')) as { type: string };
      assert.equal(cancel.type, 'cancel');
      assert.equal(session.sent.at(-1)?.to, host.me.id);
    } finally {
      files.dispose();
    }
  });
});
