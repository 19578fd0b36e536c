/**
 * Browsing and reading the host's folder through an in-memory session: listings (paged),
 * reads (chunked, binary-exact, flow-controlled), limits, and refusals for excluded files,
 * traversal and symlinks leading outside.
 */
import assert from 'node:assert/strict';
import { encodePayload, parsePayload } from '../../protocol';
import { FilePayloadSchema, READ_WINDOW_CHUNKS, type FilePayload } from '../../protocol/file-payloads';
import { HostFileServer } from '../../client/files/host-file-server';
import { RemoteFiles } from '../../client/files/remote-files';
import { FakeSession, makeFolderFixture, nextEvent, rejection, type FakeClient, type FolderFixture } from '../support/files-pair';

function decoded(payload: Uint8Array): FilePayload {
  const parsed = parsePayload(FilePayloadSchema, payload);
  assert.ok(parsed.ok);
  return parsed.payload;
}

describe('shared files: browsing and reading', () => {
  let fixture: FolderFixture;
  let session: FakeSession;
  let host: FakeClient;
  let guest: FakeClient;
  let server: HostFileServer;
  let files: RemoteFiles;

  before(async () => {
    fixture = await makeFolderFixture();
  });
  after(() => fixture.remove());

  beforeEach(async () => {
    session = new FakeSession();
    host = session.add('host0001', 'host');
    guest = session.add('guest001', 'editor');
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], watch: false });
    files = new RemoteFiles(guest, { requestTimeoutMs: 5000, hostWaitMs: 1000 });
  });
  afterEach(() => {
    files.dispose();
    server.dispose();
    // Nothing secret or outside ever left the host, whatever the test did.
    for (const message of session.sent) {
      const text = Buffer.from(message.payload).toString('utf8');
      assert.ok(!text.includes('do-not-share') && !text.includes('outside secret'), 'a secret left the host');
      const base64Secret = Buffer.from('TOKEN=do-not-share').toString('base64').slice(0, 16);
      assert.ok(!text.includes(base64Secret), 'a secret left the host (base64)');
    }
  });

  it('names the shared folder', async () => {
    assert.deepEqual(await files.roots(), { roots: [{ name: 'work' }], prefixed: false });
  });

  it('lists a folder without excluded files or symlinks leading outside', async () => {
    const names = (await files.readDirectory('.')).map((entry) => `${entry.name}:${entry.type}`);
    assert.deepEqual(names.sort(), [
      'README.md:file', 'big.bin:file', 'certs:directory', 'config:directory', 'huge:directory', 'image.bin:file',
      'keys:directory', 'link-in:file', 'src:directory',
    ]);
    assert.deepEqual((await files.readDirectory('config')).map((entry) => entry.name), ['app.json']);
    assert.deepEqual(await files.readDirectory('certs'), []);
  });

  it('pages a huge folder in bounded pages and follows them', async () => {
    const entries = await files.readDirectory('huge');
    assert.equal(entries.length, fixture.hugeCount);
    assert.equal(new Set(entries.map((entry) => entry.name)).size, fixture.hugeCount);
    const pages = session.sent.filter((message) => message.from === host.me.id).map((message) => decoded(message.payload))
      .filter((payload) => payload.type === 'result' && payload.result.op === 'readdir');
    assert.equal(pages.length, Math.ceil(fixture.hugeCount / 500));
    for (const page of pages) assert.ok(page.type === 'result' && page.result.op === 'readdir' && page.result.entries.length <= 500);
  });

  it('refuses a page size above the bound', async () => {
    guest.send('file', encodePayload({ type: 'readdir', id: 'big-page', path: 'huge', limit: 5000 }), host.me.id);
    const answer = decoded((await nextEvent(guest.onDidReceive)).payload);
    assert.equal(answer.type, 'file-error');
    assert.ok(answer.type === 'file-error' && answer.code === 'bad-request');
  });

  it('stats files and folders, and marks them read-only for viewers', async () => {
    assert.deepEqual({ ...(await files.stat('src/a.ts')), mtime: 0, ctime: 0 }, { type: 'file', size: 21, mtime: 0, ctime: 0 });
    assert.equal((await files.stat('src')).type, 'directory');
    assert.equal((await rejection(files.stat('missing.txt'))).code, 'not-found');
    const viewer = session.add('viewer01', 'viewer');
    const viewerFiles = new RemoteFiles(viewer);
    try {
      assert.equal((await viewerFiles.stat('README.md')).readonly, true);
    } finally {
      viewerFiles.dispose();
    }
  });

  it('reads text with its line endings and binary files byte for byte', async () => {
    assert.equal(Buffer.from(await files.readFile('src/a.ts')).toString('utf8'), 'export const a = 1;\r\n');
    assert.deepEqual(Buffer.from(await files.readFile('image.bin')), fixture.binary);
    assert.equal(Buffer.from(await files.readFile('link-in')).toString('utf8'), 'export const a = 1;\r\n');
  });

  it('streams a large file in chunks, reports progress, and never runs far ahead of the reader', async () => {
    const progress: Array<[number, number]> = [];
    const bytes = await files.readFile('big.bin', (received, total) => progress.push([received, total]));
    assert.deepEqual(Buffer.from(bytes), fixture.big);
    const chunks = Math.ceil(fixture.big.length / (256 * 1024));
    assert.equal(progress.length, chunks);
    assert.deepEqual(progress.at(-1), [fixture.big.length, fixture.big.length]);
    let ahead = 0;
    for (const message of session.sent) {
      const payload = decoded(message.payload);
      if (payload.type === 'chunk') ahead++;
      if (payload.type === 'read-ack') ahead--;
      assert.ok(ahead <= READ_WINDOW_CHUNKS + 1, `host sent ${ahead} chunks ahead of the reader`);
      assert.ok(message.payload.length < 400_000, 'a chunk is bounded');
    }
  });

  it('refuses a file above the host\'s limit, saying so', async () => {
    server.dispose();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], watch: false, maxFileBytes: 1024 * 1024 });
    const error = await rejection(files.readFile('big.bin'));
    assert.equal(error.code, 'too-large');
    assert.equal(error.message, 'The file is larger than the 1 MB limit the host set.');
    assert.equal(error.limit, 1024 * 1024);
  });

  it('refuses excluded files with a reason, also through a symlink', async () => {
    const error = await rejection(files.readFile('.env'));
    assert.equal(error.code, 'excluded');
    assert.equal(error.message, 'The host does not share .env files.');
    for (const path of ['config/.env.local', 'certs/server.pem', 'id_rsa', 'keys/app.key', 'link-env', '.git/config']) {
      assert.equal((await rejection(files.readFile(path))).code, 'excluded', path);
    }
    assert.equal((await rejection(files.stat('.env'))).code, 'excluded');
  });

  it('refuses every traversal form, also when sent raw, and symlinks leading outside', async () => {
    const forms = ['../outside/secret.txt', '..\\outside\\secret.txt', '%2e%2e/outside/secret.txt', '/etc/passwd', 'C:\\x', 'src/\0', 'linkdir-out/secret.txt', 'link-out'];
    for (const [index, path] of forms.entries()) {
      const id = `raw-${index}`;
      const answered = nextEvent(guest.onDidReceive, (inbound) => decoded(inbound.payload).type === 'file-error' && (decoded(inbound.payload) as { id: string }).id === id);
      guest.send('file', encodePayload({ type: 'read', id, path }), host.me.id);
      const answer = decoded((await answered).payload);
      assert.ok(answer.type === 'file-error' && answer.code === 'outside-workspace', `${path}: ${JSON.stringify(answer)}`);
    }
    assert.equal((await rejection(files.readFile('link-out'))).code, 'outside-workspace');
  });

  it('lists every shared file for "Go to File…", in pages, without secrets', async () => {
    const { files: listed, truncated } = await files.listFiles();
    assert.equal(truncated, false);
    assert.ok(listed.includes('src/nested/deep/b.txt'));
    assert.ok(listed.includes('link-in'));
    assert.equal(listed.filter((path) => path.startsWith('huge/')).length, fixture.hugeCount);
    for (const path of listed) assert.ok(!/(^|\/)(\.env|id_rsa|link-out|linkdir-out|link-env)|\.pem$|\.key$/.test(path), path);
    assert.deepEqual((await server.sharedFiles()).files, listed);
  });

  it('answers nobody outside the roster, and only direct to the requester', async () => {
    const stranger = session.add('strang01', 'editor');
    session.roster = session.roster.filter((participant) => participant.id !== stranger.me.id);
    stranger.send('file', encodePayload({ type: 'stat', id: 's1', path: 'README.md' }), host.me.id);
    for (let round = 0; round < 3; round++) await files.stat('README.md');
    const fromHost = session.sent.filter((message) => message.from === host.me.id);
    assert.ok(fromHost.every((message) => message.to === guest.me.id));
  });
});
