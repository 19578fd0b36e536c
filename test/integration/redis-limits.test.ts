/**
 * Limits that must hold across every relay process sharing one Redis, not per process: connects
 * per client address per minute, and sessions per host access token when creates race on two
 * processes. Real `redis-server` and real relay processes; every one is stopped by its test.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { CloseCode, SUBPROTOCOL, type RelayMessage } from '../../protocol';
import { closeAll, connect, connectHello, newSessionSecrets, refusedUpgrade, type RawClient } from '../support/relay-client';
import { RedisRelays } from '../support/redis-relays';
import type { RunningRelay } from '../support/relay-process';

describe('limits across relay processes sharing Redis', function () {
  this.timeout(60_000);
  const cluster = new RedisRelays();
  const raw: RawClient[] = [];
  const relay = (args: string[], env?: NodeJS.ProcessEnv): Promise<RunningRelay> => cluster.relay({ args, ...(env ? { env } : {}) });

  afterEach(async () => {
    closeAll(...raw.splice(0));
    await cluster.stopAll();
  });

  it('connects per address per minute count the connects on every process (HTTP 429 with Retry-After beyond)', async () => {
    const args = ['--connects-per-minute', '3', '--trust-proxy'];
    const [a, b] = [await relay(args), await relay(args)];
    // One address of its own, so nothing else in this Redis has counted it.
    const address = `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const from = { headers: { 'x-forwarded-for': address } };
    await untilFreshMinute();
    raw.push(await connect(a.wsUrl, from), await connect(b.wsUrl, from), await connect(a.wsUrl, from));
    // B has seen one connect from this address; alone it would allow three. The deployment has seen three.
    const refused = await refusedRaw(b.wsUrl, address);
    assert.equal(refused.status, 429);
    assert.match(refused.body, /Too many connections from your address; at most 3 per minute/);
    const windowLeft = Math.ceil((60_000 - (Date.now() % 60_000)) / 1000);
    assert.ok(Math.abs(refused.retryAfter - windowLeft) <= 2, `Retry-After ${refused.retryAfter} s: the end of the shared minute is ${windowLeft} s away`);
    assert.equal((await refusedUpgrade(a.wsUrl, from)).status, 429, 'and on the other process too');
    raw.push(await connect(b.wsUrl, { headers: { 'x-forwarded-for': `${address}1` } }));
    await b.waitForLog((line) => line.msg === 'upgrade refused' && line.reason === 'connect-rate');
  });

  it('max sessions per host token holds when creates race on two processes', async () => {
    const token = 'race-limit-token-0123456789';
    const options = ['--auth', 'token', '--max-sessions-per-token', '2'];
    const env = { PAIRLINE_TOKENS: token };
    const [a, b] = [await relay(options, env), await relay(options, env)];
    const hosts = await Promise.all([a, b, a, b, a, b].map((target) => connectHello(target.wsUrl, { token })));
    raw.push(...hosts);
    // Every create leaves at once; each process alone would see room for all of its three.
    for (const host of hosts) {
      const secrets = newSessionSecrets();
      host.send({ type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash, name: 'Racer', settings: { approval: 'auto', defaultRole: 'editor' } });
    }
    const outcomes = await Promise.all(hosts.map((host) => outcomeOf(host)));
    assert.equal(outcomes.filter((outcome) => outcome === 'joined').length, 2, `outcomes: ${outcomes.join(', ')}`);
    assert.equal(outcomes.filter((outcome) => outcome === `closed ${CloseCode.Forbidden}`).length, 4, `outcomes: ${outcomes.join(', ')}`);

    // A slot freed by ending a session is free again, on either process.
    const winner = hosts[outcomes.indexOf('joined')]!;
    winner.send({ type: 'end' });
    await winner.waitClosed();
    const next = await connectHello(b.wsUrl, { token });
    raw.push(next);
    const secrets = newSessionSecrets();
    next.send({ type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash, name: 'Next', settings: { approval: 'auto', defaultRole: 'editor' } });
    await next.next('joined');
  });
});

/** `joined`, or the close code the relay answered the create with. */
async function outcomeOf(client: RawClient): Promise<string> {
  const settled = await Promise.race([
    client.nextWhere((message: RelayMessage) => message.type === 'joined', 'joined', 10_000).then(() => 'joined'),
    client.closed.then((closed) => `closed ${closed.code}`),
  ]);
  return settled;
}

/** An upgrade request that must be refused, sent raw so the response headers can be read. */
function refusedRaw(wsUrl: string, address: string): Promise<{ status: number; body: string; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const request = http.request(wsUrl.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': SUBPROTOCOL, 'x-forwarded-for': address,
      },
      timeout: 5_000,
    });
    request.on('response', (reply) => {
      let body = '';
      reply.setEncoding('utf8');
      reply.on('data', (chunk: string) => (body += chunk));
      reply.on('end', () => resolve({ status: reply.statusCode ?? 0, body, retryAfter: Number(reply.headers['retry-after']) }));
    });
    request.on('upgrade', (_reply, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted but should have been refused'));
    });
    request.on('timeout', () => request.destroy(new Error('no answer to the upgrade within 5 s')));
    request.on('error', reject);
    request.end();
  });
}

/**
 * The shared limit counts in fixed minutes of the wall clock: a test that straddles a minute's end
 * would see its count restart. So it starts early in a minute (waiting at most a few seconds).
 */
async function untilFreshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left > 8_000) return;
  await new Promise((resolve) => setTimeout(resolve, left + 50));
}
