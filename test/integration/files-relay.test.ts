/**
 * Shared files through the real relay (child process, port 0) with real SessionClients over
 * WebSockets and end-to-end encrypted bodies: a host shares a temporary folder; an editor and a
 * viewer browse, read (a 3 MiB file in chunks), are refused traversal and excluded files, the
 * viewer cannot write, and the host's changes arrive.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { encodePayload, parsePayload } from '../../protocol';
import { FilePayloadSchema } from '../../protocol/file-payloads';
import { HostFileServer } from '../../client/files/host-file-server';
import { RemoteFiles } from '../../client/files/remote-files';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient, type SessionClientOptions } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { makeFolderFixture, rejection, type FolderFixture } from '../support/files-pair';
import { startRelay, type RunningRelay } from '../support/relay-process';
import { waitFor } from '../support/client-events';

describe('shared files through the real relay', function () {
  this.timeout(40_000);
  let relay: RunningRelay;
  let fixture: FolderFixture;
  let host: SessionClient;
  let editor: SessionClient;
  let viewer: SessionClient;
  let server: HostFileServer;
  let editorFiles: RemoteFiles;
  let viewerFiles: RemoteFiles;
  const clients: SessionClient[] = [];

  function makeClient(options: Pick<SessionClientOptions, 'relay' | 'mode' | 'name'>): SessionClient {
    const client = new SessionClient({
      ...options, transport: new WebSocketTransport({ handshakeTimeoutMs: 2_000, closeTimeoutMs: 200 }),
      clock: systemClock, random: Math.random, logger: silentLogger,
    });
    clients.push(client);
    return client;
  }

  before(async () => {
    fixture = await makeFolderFixture();
    relay = await startRelay();
    host = makeClient({ relay: relay.url, name: 'Hana', mode: { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } } });
    await host.start();
    server = await HostFileServer.create(host, { folders: [{ path: fixture.shared }] });
    const state = host.resumeState;
    assert.ok(state && host.session);
    const invite = { relay: relay.url, session: host.session, inviteSecret: state.inviteSecret, ...(state.key ? { key: state.key } : {}) };
    editor = makeClient({ relay: relay.url, name: 'Eddie', mode: { type: 'guest', invite } });
    await editor.start();
    viewer = makeClient({ relay: relay.url, name: 'Vera', mode: { type: 'guest', invite } });
    await viewer.start();
    const viewerId = viewer.me?.id;
    assert.ok(viewerId);
    const demoted = waitFor(viewer.onDidChangeRoster, (change) => change.participant.id === viewerId && change.participant.role === 'viewer', 'the viewer role');
    host.setRole(viewerId, 'viewer');
    await demoted;
    // The host's roster must know both guests before it answers them.
    if (host.roster.length < 3) await waitFor(host.onDidChangeRoster, () => host.roster.length >= 3, 'both guests on the host roster');
    editorFiles = new RemoteFiles(editor, { requestTimeoutMs: 10_000 });
    viewerFiles = new RemoteFiles(viewer, { requestTimeoutMs: 10_000 });
  });

  after(async () => {
    editorFiles?.dispose();
    viewerFiles?.dispose();
    server?.dispose();
    for (const client of clients.splice(0)) client.dispose();
    await relay?.stop();
    await fixture?.remove();
  });

  it('lists the folder, without excluded files or links leading outside', async () => {
    const names = (await editorFiles.readDirectory('.')).map((entry) => entry.name).sort();
    assert.deepEqual(names, ['README.md', 'big.bin', 'certs', 'config', 'huge', 'image.bin', 'keys', 'link-in', 'src']);
    assert.equal((await editorFiles.readDirectory('huge')).length, fixture.hugeCount);
    const { files } = await viewerFiles.listFiles();
    assert.ok(files.includes('src/nested/deep/b.txt'));
    assert.ok(!files.some((path) => /(^|\/)(\.env|id_rsa)|\.pem$|\.key$|link-out/.test(path)));
  });

  it('reads text and binary files exactly, and a 3 MiB file in chunks', async () => {
    assert.equal(Buffer.from(await viewerFiles.readFile('src/a.ts')).toString('utf8'), 'export const a = 1;\r\n');
    assert.deepEqual(Buffer.from(await viewerFiles.readFile('image.bin')), fixture.binary);
    const progress: number[] = [];
    const big = await editorFiles.readFile('big.bin', (received) => progress.push(received));
    assert.deepEqual(Buffer.from(big), fixture.big);
    assert.equal(progress.length, Math.ceil(fixture.big.length / (256 * 1024)));
  });

  it('refuses every traversal form and excluded files', async () => {
    for (const [index, path] of ['../outside/secret.txt', '..\\outside\\secret.txt', '%2e%2e/outside/secret.txt', '/etc/passwd', 'C:\\x', 'link-out', 'linkdir-out/secret.txt'].entries()) {
      const id = `raw-${index}`;
      const answered = waitFor(editor.onDidReceive, (inbound) => {
        const parsed = parsePayload(FilePayloadSchema, inbound.payload);
        return parsed.ok && parsed.payload.type === 'file-error' && parsed.payload.id === id;
      }, `the answer to ${path}`);
      assert.ok(editor.send('file', encodePayload({ type: 'read', id, path }), host.me?.id));
      const answer = parsePayload(FilePayloadSchema, (await answered).payload);
      assert.ok(answer.ok && answer.payload.type === 'file-error' && answer.payload.code === 'outside-workspace', path);
    }
    const excluded = await rejection(editorFiles.readFile('.env'));
    assert.equal(excluded.code, 'excluded');
    assert.equal(excluded.message, 'The host does not share .env files.');
    assert.equal((await rejection(viewerFiles.readFile('id_rsa'))).code, 'excluded');
  });

  it('lets the editor write and refuses the viewer, at the relay and at the host', async () => {
    await editorFiles.writeFile('from-editor.txt', Buffer.from('hello'), { create: true, overwrite: false });
    assert.equal(await fs.readFile(nodePath.join(fixture.shared, 'from-editor.txt'), 'utf8'), 'hello');
    assert.equal((await rejection(viewerFiles.writeFile('from-viewer.txt', Buffer.from('x'), { create: true, overwrite: false }))).code, 'forbidden');
    // Sent raw anyway: the relay refuses the kind for a viewer.
    const refused = waitFor(viewer.onDidError, (error) => error.code === 'forbidden', 'the relay refusing a viewer write');
    viewer.send('file-write', encodePayload({ type: 'write', id: 'raw-w', path: 'from-viewer.txt', data: 'eA==', index: 0, last: true, create: true, overwrite: false }), host.me?.id);
    await refused;
    await editorFiles.stat('README.md'); // a round trip later, still nothing written
    assert.equal(await fs.stat(nodePath.join(fixture.shared, 'from-viewer.txt')).then(() => true, () => false), false);
  });

  it('pushes the host\'s file changes to guests, without excluded ones', async () => {
    const seen: string[] = [];
    const subscription = viewerFiles.onDidChangeFiles((events) => seen.push(...events.map((event) => `${event.type}:${event.path}`)));
    try {
      const arrived = waitFor(viewerFiles.onDidChangeFiles, () => seen.includes('created:src/from-host.ts'), 'the change event', 10_000);
      await fs.writeFile(nodePath.join(fixture.shared, '.env'), 'TOKEN=rotated');
      await fs.writeFile(nodePath.join(fixture.shared, 'src', 'from-host.ts'), 'x');
      await arrived;
      assert.ok(!seen.some((event) => event.endsWith(':.env')), seen.join(', '));
    } finally {
      subscription.dispose();
    }
  });
});
