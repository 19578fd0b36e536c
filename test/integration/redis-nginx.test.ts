/**
 * The documented multi-relay nginx site (docs/nginx/multi-relay.conf) with a real nginx, two
 * relay processes and one Redis: round robin, no stickiness. Killing either relay costs the
 * clients a reconnect through nginx, not a single message. TLS is swapped for plain HTTP here
 * (the TLS part is the single-relay site's business); everything else is the shipped file.
 * Needs the `nginx` and `redis-server` binaries.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { freePort } from '../support/redis-process';
import { RedisRelays } from '../support/redis-relays';
import { FAST, waitFor } from '../support/client-events';

const SITE = path.resolve(__dirname, '..', '..', 'docs', 'nginx', 'multi-relay.conf');

interface RunningNginx {
  readonly url: string;
  stop(): Promise<void>;
}

/** The shipped site, on plain HTTP at `port`, in front of the two given relay ports. */
function site(port: number, relayPorts: readonly [number, number]): string {
  const text = readFileSync(SITE, 'utf8')
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${port};`)
    .replace(/^\s*ssl_certificate(_key)?\s.*$/gm, '')
    .replace(/server 127\.0\.0\.1:8787/, `server 127.0.0.1:${relayPorts[0]}`)
    .replace(/server 127\.0\.0\.1:8788/, `server 127.0.0.1:${relayPorts[1]}`);
  assert.ok(text.includes(`127.0.0.1:${relayPorts[1]}`) && !text.includes('ssl_certificate'), 'the site file still has the expected shape');
  return text;
}

async function startNginx(relayPorts: readonly [number, number]): Promise<RunningNginx> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pairline-nginx-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'site.conf'), site(port, relayPorts));
  writeFileSync(path.join(dir, 'nginx.conf'), [
    `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log warn;`, 'events {}', 'http {', '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${dir}/${name};`),
    `  include ${dir}/site.conf;`, '}', '',
  ].join('\n'));
  const child = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const stop = async (): Promise<void> => {
    // nginx -g 'daemon off' stays the master in the foreground: its pid is ours to stop.
    if (running) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await accepts(port)) break;
    if (!running || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start: ${stderr}`);
    }
    // nginx says nothing when it is ready: poll its port (bounded above).
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('two relays and Redis behind the documented nginx site (round robin, no stickiness)', function () {
  this.timeout(90_000);
  const cluster = new RedisRelays();
  let nginx: RunningNginx | undefined;
  const clients: SessionClient[] = [];

  afterEach(async () => {
    for (const created of clients.splice(0)) created.dispose();
    await nginx?.stop();
    nginx = undefined;
    await cluster.stopAll();
  });

  for (const victim of [0, 1]) {
    it(`killing relay ${victim + 1} of 2 costs a reconnect, not a message`, async () => {
      const relays = [await cluster.relay(), await cluster.relay()];
      nginx = await startNginx([relays[0]!.port, relays[1]!.port]);
      const make = (name: string, mode: ConstructorParameters<typeof SessionClient>[0]['mode']): SessionClient => {
        const created = new SessionClient({
          relay: nginx!.url, name, mode, transport: new WebSocketTransport({ handshakeTimeoutMs: 1_000, closeTimeoutMs: 200 }),
          clock: systemClock, random: Math.random, logger: silentLogger, options: FAST,
        });
        clients.push(created);
        return created;
      };
      const hana = make('Hana', { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } });
      await hana.start();
      const gus = make('Gus', { type: 'guest', invite: { relay: nginx.url, session: hana.session!, inviteSecret: hana.resumeState!.inviteSecret, key: hana.resumeState!.key! } });
      await gus.start();
      // Round robin put the two on different relays.
      const joinedOn = relays.map((running) => running.logs.filter((line) => line.msg === 'session created' || line.msg === 'guest joined').length);
      assert.deepEqual(joinedOn, [1, 1], 'host and guest on different relay processes');

      const received: string[] = [];
      gus.onDidReceive((message) => received.push(Buffer.from(message.payload).toString()));
      let sent = 0;
      const sendSome = (count: number): void => {
        for (let n = 0; n < count; n++) {
          sent += 1;
          hana.send('update', Buffer.from(`e${sent}`));
        }
      };
      sendSome(5);
      await waitFor(gus.onDidReceive, () => received.length === 5, 'the first edits');

      const hostMoves = relays[victim]!.logs.some((line) => line.msg === 'session created');
      const moving = hostMoves ? hana : gus;
      const movingId = moving.me!.id;
      const resumed = waitFor(moving.onDidJoin, () => true, `the ${hostMoves ? 'host' : 'guest'} of the killed relay to resume through nginx`);
      await relays[victim]!.kill9();
      // While the guest is away the host keeps typing: the Redis stream keeps it for the resume.
      // (A host whose own relay died sends once it is back; its editor keeps the text meanwhile.)
      if (!hostMoves) sendSome(10);
      const info = await resumed;
      assert.equal(info.resumed, true);
      assert.equal(info.you.id, movingId);
      sendSome(5);
      await waitFor(gus.onDidReceive, () => received.length >= sent, `all ${sent} edits at the guest`, 20_000);
      assert.deepEqual(received, Array.from({ length: sent }, (_, index) => `e${index + 1}`));
      assert.equal(hana.state, 'connected');
      assert.equal(gus.state, 'connected');
    });
  }
});
