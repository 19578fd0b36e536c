/**
 * The relay behind a real nginx (the Debian package) terminating TLS with a self-signed
 * certificate made here, using the configuration docs/SELF-HOSTING.md ships
 * (docs/nginx/pairline.conf) with a short proxy_read_timeout: a session over wss:// stays
 * connected across idle periods longer than that timeout, thanks to the relay's heartbeat.
 * Installs nothing: when nginx is missing the test fails and says how to install it.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, SUBPROTOCOL } from '../../protocol';
import { RawClient, body, newSessionSecrets } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

const NGINX = '/usr/sbin/nginx';
const CONFIG = path.resolve(__dirname, '..', '..', 'docs', 'nginx', 'pairline.conf');
const READ_TIMEOUT_S = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function connectTls(url: string): Promise<RawClient> {
  const socket = new WebSocket(url, [SUBPROTOCOL], { rejectUnauthorized: false });
  const client = new RawClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade through nginx refused: HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
  client.send({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'nginx-test/1' });
  await client.next('welcome');
  return client;
}

describe('relay behind nginx with TLS', function () {
  this.timeout(60_000);
  let relay: RunningRelay | undefined;
  let nginx: ChildProcess | undefined;
  let directory: string | undefined;
  const clients: RawClient[] = [];

  after(async function () {
    for (const client of clients) client.close();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    await relay?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('keeps a wss:// session through nginx connected across idle periods longer than proxy_read_timeout', async function () {
    if (!existsSync(NGINX)) {
      throw new Error(`${NGINX} is missing: this test needs the Debian nginx package (apt-get install -y nginx openssl). It is not skipped on purpose.`);
    }
    directory = mkdtempSync(path.join(os.tmpdir(), 'pairline-nginx-'));
    for (const sub of ['tmp', 'logs']) mkdirSync(path.join(directory, sub));
    const certificate = path.join(directory, 'cert.pem');
    const key = path.join(directory, 'key.pem');
    const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate, '-days', '1', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
    assert.equal(openssl.status, 0, `openssl failed: ${openssl.stderr}`);

    // Heartbeat well under nginx's read timeout: its pings are what keep idle sockets open.
    relay = await startRelay({ args: ['--heartbeat-ms', '1000', '--dead-after-ms', '5000', '--trust-proxy'] });
    const port = await freePort();
    const site = readFileSync(CONFIG, 'utf8')
      .replace(/PAIR_HOST/g, '127.0.0.1').replace(/LISTEN_PORT/g, `127.0.0.1:${port}`)
      .replace(/CERT_FILE/g, certificate).replace(/KEY_FILE/g, key)
      .replace(/RELAY_PORT/g, String(relay.port)).replace(/READ_TIMEOUT/g, `${READ_TIMEOUT_S}s`);
    writeFileSync(path.join(directory, 'pairline.conf'), site);
    const temp = path.join(directory, 'tmp');
    writeFileSync(path.join(directory, 'nginx.conf'), [
      process.getuid?.() === 0 ? 'user root;' : '',
      'daemon off;', 'worker_processes 1;', `pid ${path.join(directory, 'nginx.pid')};`,
      `error_log ${path.join(directory, 'logs', 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${path.join(directory, 'logs', 'access.log')};`,
      `  client_body_temp_path ${temp}/body; proxy_temp_path ${temp}/proxy; fastcgi_temp_path ${temp}/fastcgi;`,
      `  uwsgi_temp_path ${temp}/uwsgi; scgi_temp_path ${temp}/scgi;`,
      `  include ${path.join(directory, 'pairline.conf')};`,
      '}', '',
    ].join('\n'));
    nginx = spawn(NGINX, ['-p', directory, '-c', path.join(directory, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let nginxErrors = '';
    nginx.stderr?.on('data', (chunk: Buffer) => (nginxErrors += chunk.toString('utf8')));
    const started = Date.now();
    for (;;) {
      const ready = await new Promise<boolean>((resolve) => {
        const probe = net.connect(port, '127.0.0.1', () => {
          probe.destroy();
          resolve(true);
        });
        probe.once('error', () => resolve(false));
      });
      if (ready) break;
      if (nginx.exitCode !== null || Date.now() - started > 10_000) throw new Error(`nginx did not start: ${nginxErrors}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const url = `wss://127.0.0.1:${port}/ws`;
    const secrets = newSessionSecrets();
    const host = await connectTls(url);
    clients.push(host);
    host.send({ type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash, name: 'Host', settings: { approval: 'auto', defaultRole: 'editor' } });
    await host.next('joined');
    const guest = await connectTls(url);
    clients.push(guest);
    guest.send({ type: 'join', session: secrets.session, inviteSecret: secrets.inviteSecret, name: 'Guest' });
    await guest.next('joined');
    await host.next('roster');

    // Idle for well over two read timeouts: nginx would have cut both sockets without pings.
    const idle = host.closed.then((closed) => { throw new Error(`the host was disconnected while idle: ${closed.code} ${closed.reason}`); });
    await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, READ_TIMEOUT_S * 2500))]);
    assert.equal(host.socket.readyState, WebSocket.OPEN);
    assert.equal(guest.socket.readyState, WebSocket.OPEN);
    guest.send({ type: 'send', kind: 'update', body: body('after the idle period') });
    assert.equal((await host.next('relayed')).body, body('after the idle period'));

  });
});
