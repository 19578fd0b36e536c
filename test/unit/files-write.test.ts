/**
 * Changes to the host's folder through an in-memory session whose "relay" lets everything
 * through, so the host's own checks are what is tested: editors may write, create, rename and
 * delete; viewers may not; nobody may touch excluded files or anything outside.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { encodePayload, parsePayload } from '../../protocol';
import { FilePayloadSchema } from '../../protocol/file-payloads';
import { HostFileServer } from '../../client/files/host-file-server';
import { RemoteFiles } from '../../client/files/remote-files';
import { FakeSession, makeFolderFixture, nextEvent, rejection, type FakeClient, type FolderFixture } from '../support/files-pair';

const exists = (path: string) => fs.stat(path).then(() => true, () => false);

describe('shared files: changes from guests', () => {
  let fixture: FolderFixture;
  let session: FakeSession;
  let host: FakeClient;
  let editor: FakeClient;
  let viewer: FakeClient;
  let server: HostFileServer;
  let editorFiles: RemoteFiles;
  let viewerFiles: RemoteFiles;
  const onDisk = (relative: string) => nodePath.join(fixture.shared, relative);

  beforeEach(async () => {
    fixture = await makeFolderFixture({ hugeCount: 0 });
    session = new FakeSession();
    host = session.add('host0001', 'host');
    editor = session.add('editor01', 'editor');
    viewer = session.add('viewer01', 'viewer');
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], watch: false });
    editorFiles = new RemoteFiles(editor, { requestTimeoutMs: 5000 });
    viewerFiles = new RemoteFiles(viewer, { requestTimeoutMs: 5000 });
  });
  afterEach(async () => {
    editorFiles.dispose();
    viewerFiles.dispose();
    server.dispose();
    await fixture.remove();
  });

  it('lets an editor create a folder, write, overwrite, rename and delete', async () => {
    await editorFiles.createDirectory('notes');
    await editorFiles.writeFile('notes/a.txt', Buffer.from('one\r\n'), { create: true, overwrite: false });
    assert.equal(await fs.readFile(onDisk('notes/a.txt'), 'utf8'), 'one\r\n');
    await editorFiles.writeFile('notes/a.txt', Buffer.from('two'), { create: false, overwrite: true });
    assert.equal(await fs.readFile(onDisk('notes/a.txt'), 'utf8'), 'two');
    await editorFiles.rename('notes/a.txt', 'notes/b.txt', { overwrite: false });
    assert.equal(await exists(onDisk('notes/a.txt')), false);
    assert.equal(await fs.readFile(onDisk('notes/b.txt'), 'utf8'), 'two');
    await editorFiles.delete('notes', { recursive: true });
    assert.equal(await exists(onDisk('notes')), false);
  });

  it('writes a large binary file in acknowledged chunks, byte for byte', async () => {
    const data = Buffer.alloc(700 * 1024);
    for (let index = 0; index < data.length; index++) data[index] = (index * 7) % 256;
    await editorFiles.writeFile('upload.bin', data, { create: true, overwrite: false });
    assert.deepEqual(await fs.readFile(onDisk('upload.bin')), data);
    const writes = session.sent.filter((message) => message.kind === 'file-write');
    assert.equal(writes.length, 3);
  });

  it('does not rewrite a file with the bytes it already holds (a guest\'s save after the host\'s), and replaces it with any others', async () => {
    const long = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let index = 0; index < long.length; index++) long[index] = (index * 13) % 256;
    const past = new Date('2020-01-02T03:04:05Z');
    const mtime = async () => (await fs.stat(onDisk('src/a.ts'))).mtimeMs;
    for (const same of [Buffer.from('export const a = 1;\r\n'), long, Buffer.alloc(0)]) {
      await fs.writeFile(onDisk('src/a.ts'), same);
      await fs.utimes(onDisk('src/a.ts'), past, past);
      await editorFiles.writeFile('src/a.ts', same, { create: false, overwrite: true });
      assert.equal(await mtime(), past.getTime(), `${same.length} identical bytes: the file is left as it was`);
      assert.deepEqual(await fs.readFile(onDisk('src/a.ts')), same);
    }
    // Shorter, longer, and the same length with one byte changed (the last one of a long file).
    const changedAtTheEnd = Buffer.from(long);
    changedAtTheEnd[changedAtTheEnd.length - 1] ^= 1;
    for (const [before, after] of [[long, Buffer.from('short')], [Buffer.from('short'), long], [long, changedAtTheEnd]] as const) {
      await fs.writeFile(onDisk('src/a.ts'), before);
      await fs.utimes(onDisk('src/a.ts'), past, past);
      await editorFiles.writeFile('src/a.ts', after, { create: false, overwrite: true });
      assert.deepEqual(await fs.readFile(onDisk('src/a.ts')), after, `${before.length} → ${after.length} bytes`);
      assert.notEqual(await mtime(), past.getTime());
    }
  });

  it('keeps VS Code\'s create/overwrite semantics', async () => {
    assert.equal((await rejection(editorFiles.writeFile('README.md', Buffer.from('x'), { create: true, overwrite: false }))).code, 'exists');
    assert.equal((await rejection(editorFiles.writeFile('absent.txt', Buffer.from('x'), { create: false, overwrite: true }))).code, 'not-found');
    assert.equal((await rejection(editorFiles.writeFile('no/such/dir/a.txt', Buffer.from('x'), { create: true, overwrite: true }))).code, 'not-found');
    assert.equal((await rejection(editorFiles.writeFile('src', Buffer.from('x'), { create: true, overwrite: true }))).code, 'is-directory');
    assert.equal((await rejection(editorFiles.createDirectory('src'))).code, 'exists');
    assert.equal((await rejection(editorFiles.rename('README.md', 'src/a.ts', { overwrite: false }))).code, 'exists');
    assert.equal((await rejection(editorFiles.delete('src', { recursive: false }))).code, 'io');
    assert.equal(await fs.readFile(onDisk('README.md'), 'utf8'), '# Fixture\n');
  });

  it('refuses every change from a viewer, even when the relay let it through', async () => {
    const refusals = [
      viewerFiles.writeFile('new.txt', Buffer.from('x'), { create: true, overwrite: true }),
      viewerFiles.writeFile('README.md', Buffer.from('x'), { create: true, overwrite: true }),
      viewerFiles.createDirectory('dir'),
      viewerFiles.delete('README.md', { recursive: false }),
      viewerFiles.rename('README.md', 'moved.md', { overwrite: false }),
    ];
    for (const refused of refusals) {
      const error = await rejection(refused);
      assert.equal(error.code, 'forbidden');
      assert.match(error.message, /Viewers cannot change/);
    }
    // RemoteFiles refuses a viewer's change itself; the host refuses one sent anyway.
    assert.equal(session.sent.filter((message) => message.kind === 'file-write').length, 0);
    for (const [index, payload] of [
      { type: 'write', path: 'new.txt', data: 'eA==', index: 0, last: true, create: true, overwrite: true },
      { type: 'delete', path: 'README.md', recursive: false },
      { type: 'rename', from: 'README.md', to: 'moved.md', overwrite: false },
      { type: 'create-directory', path: 'dir' },
    ].entries()) {
      const answered = nextEvent(viewer.onDidReceive);
      viewer.send('file-write', encodePayload({ ...payload, id: `v${index}` }), host.me.id);
      const answer = parsePayload(FilePayloadSchema, (await answered).payload);
      assert.ok(answer.ok && answer.payload.type === 'file-error' && answer.payload.code === 'forbidden', JSON.stringify(answer));
    }
    assert.equal(await fs.readFile(onDisk('README.md'), 'utf8'), '# Fixture\n');
    assert.equal(await exists(onDisk('new.txt')), false);
    assert.equal(await exists(onDisk('dir')), false);
  });

  it('follows a role change: a guest made viewer can no longer write', async () => {
    await editorFiles.writeFile('a.txt', Buffer.from('ok'), { create: true, overwrite: false });
    session.update(editor.me.id, { role: 'viewer' });
    assert.equal((await rejection(editorFiles.writeFile('b.txt', Buffer.from('no'), { create: true, overwrite: false }))).code, 'forbidden');
  });

  it('refuses a share the host made read-only', async () => {
    server.dispose();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }], watch: false, readOnly: true });
    assert.equal((await rejection(editorFiles.createDirectory('x'))).code, 'forbidden');
    assert.equal((await editorFiles.stat('README.md')).readonly, true);
  });

  it('never writes excluded files nor anything outside', async () => {
    assert.equal((await rejection(editorFiles.writeFile('.env', Buffer.from('X=1'), { create: true, overwrite: true }))).code, 'excluded');
    assert.equal(await fs.readFile(onDisk('.env'), 'utf8'), 'TOKEN=do-not-share');
    assert.equal((await rejection(editorFiles.writeFile('src/new.pem', Buffer.from('x'), { create: true, overwrite: true }))).code, 'excluded');
    assert.equal((await rejection(editorFiles.writeFile('link-env', Buffer.from('x'), { create: true, overwrite: true }))).code, 'excluded');
    assert.equal((await rejection(editorFiles.writeFile('link-out', Buffer.from('x'), { create: true, overwrite: true }))).code, 'outside-workspace');
    assert.equal(await fs.readFile(nodePath.join(fixture.outside, 'secret.txt'), 'utf8'), 'outside secret');
    assert.equal((await rejection(editorFiles.writeFile('linkdir-out/new.txt', Buffer.from('x'), { create: true, overwrite: true }))).code, 'outside-workspace');
    assert.equal((await rejection(editorFiles.rename('README.md', '.env', { overwrite: true }))).code, 'excluded');
    assert.equal((await rejection(editorFiles.rename('.env', 'env.txt', { overwrite: false }))).code, 'excluded');
    assert.equal((await rejection(editorFiles.delete('id_rsa', { recursive: false }))).code, 'excluded');
    assert.equal((await rejection(editorFiles.createDirectory('.git'))).code, 'excluded');
    // Raw traversal in a write is answered, and nothing is written.
    const answered = nextEvent(editor.onDidReceive);
    editor.send('file-write', encodePayload({ type: 'write', id: 'w1', path: '../outside/evil.txt', data: 'eA==', index: 0, last: true, create: true, overwrite: true }), host.me.id);
    const answer = parsePayload(FilePayloadSchema, (await answered).payload);
    assert.ok(answer.ok && answer.payload.type === 'file-error' && answer.payload.code === 'outside-workspace');
    assert.equal(await exists(nodePath.join(fixture.outside, 'evil.txt')), false);
    assert.equal((await rejection(editorFiles.delete('.', { recursive: true }))).code, 'forbidden');
  });

  it('refuses to delete or move a folder holding files the guest cannot see', async () => {
    await fs.mkdir(onDisk('box'));
    await fs.writeFile(onDisk('box/.env'), 'SECRET=1');
    await fs.writeFile(onDisk('box/visible.txt'), 'v');
    assert.equal((await rejection(editorFiles.delete('box', { recursive: true }))).code, 'forbidden');
    assert.equal((await rejection(editorFiles.rename('box', 'crate', { overwrite: false }))).code, 'forbidden');
    assert.equal(await fs.readFile(onDisk('box/.env'), 'utf8'), 'SECRET=1');
  });

  it('leaves other components\' file-write messages (the document sync\'s save) alone', async () => {
    editor.send('file-write', encodePayload({ type: 'save', doc: 'README.md' }), host.me.id);
    await editorFiles.stat('README.md');
    const answers = session.sent.filter((message) => message.from === host.me.id).map((message) => parsePayload(FilePayloadSchema, message.payload));
    assert.deepEqual(answers.map((answer) => answer.ok && answer.payload.type), ['result']);
  });

  it('deletes a symlink, never what it points to', async () => {
    await editorFiles.delete('link-in', { recursive: false });
    assert.equal(await exists(onDisk('link-in')), false);
    assert.equal(await fs.readFile(onDisk('src/a.ts'), 'utf8'), 'export const a = 1;\r\n');
  });
});
