/**
 * Authentication at the upgrade: token mode, open mode, tokens in the query string, unknown paths.
 * Every refusal happens before a socket exists (HTTP status, not a close code), except a missing
 * token, which may connect (guests join with invite secrets) but cannot create a session.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloseCode } from '../../protocol';
import { closeAll, connectHello, hostSession, joinSession, newSessionSecrets, refusedUpgrade, type RawClient } from '../support/relay-client';
import { RELAY_ENTRY, startRelay, type RunningRelay } from '../support/relay-process';

const TOKEN = 'team-token-0123456789abcdef';

async function assertStillWorks(relay: RunningRelay, token?: string): Promise<void> {
  const host = await hostSession(relay.wsUrl, token !== undefined ? { token } : {});
  const guest = await joinSession(relay.wsUrl, host.secrets);
  assert.equal((await host.client.next('roster')).participant.id, guest.joined.you.id);
  // End it properly: a host that merely disconnects keeps its session (and its token's quota).
  host.client.send({ type: 'end' });
  await guest.client.waitClosed();
  closeAll(host.client, guest.client);
}

describe('relay auth in token mode', function () {
  let relay: RunningRelay;
  const clients: RawClient[] = [];

  before(async function () {
    relay = await startRelay({ args: ['--auth', 'token', '--max-sessions-per-token', '3'], env: { PAIRLINE_TOKENS: `${TOKEN},second-token-abcdefghijkl` } });
  });
  after(async function () {
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  it('lets a host with a valid bearer token create a session (header or subprotocol)', async function () {
    const viaHeader = await hostSession(relay.wsUrl, { token: TOKEN });
    clients.push(viaHeader.client);
    assert.equal(viaHeader.joined.you.role, 'host');
    const viaProtocol = await hostSession(relay.wsUrl, { token: TOKEN, tokenInProtocol: true });
    clients.push(viaProtocol.client);
    assert.equal(viaProtocol.client.socket.protocol, 'pairline.v1');
  });

  it('refuses a wrong token with HTTP 401 and no socket', async function () {
    const viaHeader = await refusedUpgrade(relay.wsUrl, { token: 'wrong-token-0123456789abcdef' });
    assert.equal(viaHeader.status, 401);
    assert.match(viaHeader.body, /access token is not valid/);
    const viaProtocol = await refusedUpgrade(relay.wsUrl, { token: 'wrong-token-0123456789abcdef', tokenInProtocol: true });
    assert.equal(viaProtocol.status, 401);
    await assertStillWorks(relay, TOKEN);
  });

  it('refuses a token in the query string with HTTP 400, even a valid one', async function () {
    for (const query of [`?token=${TOKEN}`, `?access_token=${TOKEN}`, '?bearer=x']) {
      const refused = await refusedUpgrade(relay.wsUrl, { query, token: TOKEN });
      assert.equal(refused.status, 400, query);
      assert.match(refused.body, /not accepted in the URL/);
    }
    await assertStillWorks(relay, TOKEN);
  });

  it('closes a create without a token with 4401, but lets guests join without one', async function () {
    const anonymous = await connectHello(relay.wsUrl);
    clients.push(anonymous);
    const secrets = newSessionSecrets();
    anonymous.send({ type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash, name: 'Nobody', settings: { approval: 'auto', defaultRole: 'editor' } });
    const closed = await anonymous.waitClosed();
    assert.equal(closed.code, CloseCode.Unauthorized);
    assert.equal(closed.reason, 'this relay requires an access token to start a session');
    await assertStillWorks(relay, TOKEN);
  });

  it('limits live sessions per host token', async function () {
    const tokenHolder = 'second-token-abcdefghijkl';
    for (let index = 0; index < 3; index += 1) clients.push((await hostSession(relay.wsUrl, { token: tokenHolder })).client);
    const fourth = await connectHello(relay.wsUrl, { token: tokenHolder });
    clients.push(fourth);
    const secrets = newSessionSecrets();
    fourth.send({ type: 'create', session: secrets.session, hostSecret: secrets.hostSecret, inviteHash: secrets.inviteHash, name: 'Four', settings: { approval: 'auto', defaultRole: 'editor' } });
    const closed = await fourth.waitClosed();
    assert.equal(closed.code, CloseCode.Forbidden);
    assert.match(closed.reason, /already holds 3 sessions/);
  });

  it('answers 404 to upgrades on any path but /ws', async function () {
    const refused = await refusedUpgrade(relay.wsUrl.replace(/\/ws$/, '/other'), { token: TOKEN });
    assert.equal(refused.status, 404);
  });
});

describe('relay auth in open mode', function () {
  let relay: RunningRelay;

  before(async function () {
    relay = await startRelay();
  });
  after(async function () {
    await relay?.stop();
  });

  it('lets anyone create a session without a token', async function () {
    await assertStillWorks(relay);
  });

  it('still refuses tokens in the query string', async function () {
    assert.equal((await refusedUpgrade(relay.wsUrl, { query: '?token=abc' })).status, 400);
  });
});

describe('relay auth with a tokens file', function () {
  let relay: RunningRelay | undefined;
  let directory: string | undefined;

  afterEach(async function () {
    await relay?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('reads one token per line, skipping blanks and comments', async function () {
    directory = mkdtempSync(path.join(tmpdir(), 'pairline-tokens-'));
    const file = path.join(directory, 'tokens');
    writeFileSync(file, `# the team\n\nfile-token-0123456789abcdef\n  # old-token-0123456789abcdef\n`);
    relay = await startRelay({ args: ['--auth', 'token', '--tokens-file', file] });
    await assertStillWorks(relay, 'file-token-0123456789abcdef');
    assert.equal((await refusedUpgrade(relay.wsUrl, { token: 'old-token-0123456789abcdef' })).status, 401);
  });

  it('honours expires= on a token line, and SIGHUP reads the file again (the refresh path)', async function () {
    directory = mkdtempSync(path.join(tmpdir(), 'pairline-tokens-'));
    const file = path.join(directory, 'tokens');
    writeFileSync(file, 'expired-token-0123456789abcdef expires=2020-01-01T00:00:00Z\nfuture-token-0123456789abcdef expires=2999-01-01T00:00:00Z\n');
    relay = await startRelay({ args: ['--auth', 'token', '--tokens-file', file] });
    const expired = await refusedUpgrade(relay.wsUrl, { token: 'expired-token-0123456789abcdef' });
    assert.equal(expired.status, 401);
    assert.match(expired.body, /expired on 2020-01-01T00:00:00\.000Z/);
    await assertStillWorks(relay, 'future-token-0123456789abcdef');
    assert.equal((await refusedUpgrade(relay.wsUrl, { token: 'renewed-token-0123456789abcdef' })).status, 401);
    // The operator adds the renewed token and drops the old one, then signals the relay.
    writeFileSync(file, 'renewed-token-0123456789abcdef expires=2999-01-01T00:00:00Z\n');
    process.kill(relay.pid, 'SIGHUP');
    await relay.waitForLog((line) => line.msg === 'host access tokens reloaded');
    await assertStillWorks(relay, 'renewed-token-0123456789abcdef');
    assert.equal((await refusedUpgrade(relay.wsUrl, { token: 'future-token-0123456789abcdef' })).status, 401);
  });
});

describe('relay start-up checks', function () {
  it('refuses to start on a non-loopback host without tokens unless --auth open is explicit', function () {
    const refused = spawnSync(process.execPath, [RELAY_ENTRY, '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', timeout: 10_000, env: {} });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /PAIRLINE_TOKENS/);
    assert.match(refused.stderr, /--auth open/);
  });

  it('--help lists every option with its environment variable and default', function () {
    const help = spawnSync(process.execPath, [RELAY_ENTRY, '--help'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(help.status, 0);
    for (const option of ['--host', '--port', '--auth', '--tokens-file', 'PAIRLINE_TOKENS', '--heartbeat-ms', '--guest-resume-ms', '--max-payload', '--rate-limit', '--shutdown-timeout-ms']) {
      assert.ok(help.stdout.includes(option), option);
    }
    assert.match(help.stdout, /env PAIRLINE_PORT; default: 8787/);
  });

  it('rejects an unknown option with a sentence and exit code 2', function () {
    const result = spawnSync(process.execPath, [RELAY_ENTRY, '--prot', '1'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown option "--prot"/);
  });
});
