/**
 * Hostile participants and outsiders at the session level, against the real relay process:
 * floods past each rate bucket, a removed guest coming back with its old tokens, a guest forging
 * the sender, replayed and tampered encrypted messages, foreign browser origins, connect storms,
 * rotated and expired invites, and a stranger claiming someone's place. Each gets its named close
 * code; a legitimate session on the same relay keeps working.
 */
import { strict as assert } from 'node:assert';
import { CloseCode, encryptedCodec, hashSecret, newPayloadKey, newSecret } from '../../protocol';
import { ReplayGuard, withReplayGuard } from '../../client/replay-guard';
import { body, closeAll, connect, connectHello, hostSession, joinSession, refusedUpgrade, type Hosted, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('hostile session traffic', function () {
  this.timeout(30_000);
  let relay: RunningRelay;
  let bystander: Hosted;
  let bystanderGuest: RawClient;
  const clients: RawClient[] = [];

  async function assertBystanderWorks(): Promise<void> {
    const marker = `still here ${Math.random()}`;
    bystanderGuest.send({ type: 'send', kind: 'update', body: body(marker) });
    assert.equal((await bystander.client.next('relayed')).body, body(marker));
  }

  function track<T extends { client: RawClient }>(value: T): T {
    clients.push(value.client);
    return value;
  }

  before(async function () {
    relay = await startRelay({
      args: ['--rate-limits', 'presence=20:20,document=30:30,file=30:30,control=10:10', '--connects-per-minute', '200', '--allowed-origins', 'https://pair.example.com'],
    });
    bystander = await hostSession(relay.wsUrl);
    bystanderGuest = (await joinSession(relay.wsUrl, bystander.secrets)).client;
    await bystander.client.next('roster');
  });
  after(async function () {
    closeAll(bystander?.client, bystanderGuest, ...clients);
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  for (const [family, kind, limit] of [['presence', 'presence', 20], ['document', 'update', 30], ['file', 'file', 30]] as const) {
    it(`closes a ${family} flood with 4429 naming the family`, async function () {
      const host = track(await hostSession(relay.wsUrl));
      const guest = track(await joinSession(relay.wsUrl, host.secrets));
      for (let index = 0; index < limit * 3; index += 1) guest.client.send({ type: 'send', kind, body: body(`m${index}`) });
      const closed = await guest.client.waitClosed();
      assert.equal(closed.code, CloseCode.RateLimited);
      assert.match(closed.reason, new RegExp(`${family} messages per second`));
      await assertBystanderWorks();
    });
  }

  it('closes a control flood with 4429, and counts it in /metrics', async function () {
    const host = track(await hostSession(relay.wsUrl));
    for (let index = 0; index < 40; index += 1) host.client.send({ type: 'ping', id: index });
    const closed = await host.client.waitClosed();
    assert.equal(closed.code, CloseCode.RateLimited);
    assert.match(closed.reason, /control messages per second/);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /pairline_rate_limited_total\{kind="control"\} [1-9]/);
    assert.match(metrics, /pairline_limit\{name="rate_control_per_second"\} 10/);
    await assertBystanderWorks();
  });

  it('closes a pre-auth message flood with 4429 before any session is joined', async function () {
    const client = await connectHello(relay.wsUrl);
    clients.push(client);
    for (let index = 0; index < 12; index += 1) client.send({ type: 'send', kind: 'update', body: body('x') });
    const closed = await client.waitClosed();
    assert.equal(closed.code, CloseCode.RateLimited);
    assert.match(closed.reason, /before joining/);
    await assertBystanderWorks();
  });

  it('keeps a removed guest out: old resume token and the same id via the invite get 4403; a fresh join is a new person', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const guest = track(await joinSession(relay.wsUrl, host.secrets, 'Eve'));
    await host.client.next('roster');
    host.client.send({ type: 'remove', participant: guest.joined.you.id });
    assert.equal((await guest.client.waitClosed()).code, CloseCode.Forbidden);

    const withToken = await connectHello(relay.wsUrl);
    clients.push(withToken);
    withToken.send({ type: 'resume', session: host.secrets.session, resumeToken: guest.joined.resumeToken, lastSeq: 0 });
    assert.equal((await withToken.waitClosed()).code, CloseCode.Forbidden);

    const withId = await connectHello(relay.wsUrl);
    clients.push(withId);
    withId.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Eve', participant: guest.joined.you.id });
    const closed = await withId.waitClosed();
    assert.equal(closed.code, CloseCode.Forbidden);
    assert.match(closed.reason, /removed you/);

    const fresh = track(await joinSession(relay.wsUrl, host.secrets, 'Eve again'));
    assert.notEqual(fresh.joined.you.id, guest.joined.you.id);
    await assertBystanderWorks();
  });

  it('rotating the invite refuses the old link (4401) and keeps the people already in', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const guest = track(await joinSession(relay.wsUrl, host.secrets));
    await host.client.next('roster');
    const newInvite = newSecret();
    host.client.send({ type: 'rotate-invite', inviteHash: hashSecret(newInvite) });
    assert.equal((await host.client.next('invites-updated')).count, 1);
    const stale = await connectHello(relay.wsUrl);
    clients.push(stale);
    stale.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Late' });
    assert.equal((await stale.waitClosed()).code, CloseCode.Unauthorized);
    track(await joinSession(relay.wsUrl, { ...host.secrets, inviteSecret: newInvite, inviteHash: hashSecret(newInvite) }, 'New link'));
    guest.client.send({ type: 'send', kind: 'update', body: body('still in') });
    assert.equal((await host.client.next('relayed')).body, body('still in'));
  });

  it('rotate-invite from a guest is refused (not-host); viewer links give the viewer role; expired links get 4401', async function () {
    const viewerSecret = newSecret();
    const expiredSecret = newSecret();
    const host = track(await hostSession(relay.wsUrl));
    host.client.send({
      type: 'rotate-invite', inviteHash: host.secrets.inviteHash,
      invites: [{ hash: hashSecret(viewerSecret), role: 'viewer' }, { hash: hashSecret(expiredSecret), expiresAt: Date.now() - 1000 }],
    });
    assert.equal((await host.client.next('invites-updated')).count, 3);
    const viewer = track(await joinSession(relay.wsUrl, { ...host.secrets, inviteSecret: viewerSecret }, 'Viewer'));
    assert.equal(viewer.joined.you.role, 'viewer');
    viewer.client.send({ type: 'rotate-invite', inviteHash: hashSecret(newSecret()) });
    assert.equal((await viewer.client.next('error')).code, 'not-host');
    const expired = await connectHello(relay.wsUrl);
    clients.push(expired);
    expired.send({ type: 'join', session: host.secrets.session, inviteSecret: expiredSecret, name: 'Late' });
    const closed = await expired.waitClosed();
    assert.equal(closed.code, CloseCode.Unauthorized);
    assert.match(closed.reason, /expired/);
  });

  it('a stranger with the invite cannot take a reconnecting guest\'s place without its rejoin secret', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const rejoinSecret = newSecret();
    const alice = await connectHello(relay.wsUrl);
    alice.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Alice', rejoinHash: hashSecret(rejoinSecret) });
    const joined = await alice.next('joined');
    // Only the host learns the rejoin hash.
    const announced = await host.client.next('roster');
    assert.equal(announced.participant.rejoinHash, hashSecret(rejoinSecret));
    alice.close();
    await host.client.nextWhere((message) => message.type === 'roster' && message.participant.state === 'reconnecting', 'reconnecting');
    const mallory = await connectHello(relay.wsUrl);
    clients.push(mallory);
    mallory.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Alice', participant: joined.you.id });
    assert.equal((await mallory.waitClosed()).code, CloseCode.Forbidden);
    const back = await connectHello(relay.wsUrl);
    clients.push(back);
    back.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Alice', participant: joined.you.id, rejoinSecret });
    assert.equal((await back.next('joined')).you.id, joined.you.id);
  });

  it('ignores a forged sender: the relay stamps the real one, and decryption with the claimed one fails', async function () {
    const key = newPayloadKey();
    const host = track(await hostSession(relay.wsUrl));
    const honest = track(await joinSession(relay.wsUrl, host.secrets, 'Honest'));
    const forger = track(await joinSession(relay.wsUrl, host.secrets, 'Forger'));
    await host.client.next('roster');
    await host.client.next('roster');
    const codec = encryptedCodec(host.secrets.session, key);
    // Sealed as if the honest guest had sent it, with a `from` field the relay must not honour.
    forger.client.send({ type: 'send', kind: 'file-write', from: honest.joined.you.id, body: codec.seal('file-write', honest.joined.you.id, Buffer.from('rm -rf')) });
    const relayed = await host.client.next('relayed');
    assert.equal(relayed.from, forger.joined.you.id);
    const receiver = withReplayGuard(encryptedCodec(host.secrets.session, key), new ReplayGuard());
    assert.throws(() => receiver.open(relayed.kind, relayed.from, relayed.body), /failed authentication/);
    // A tampered body from the real sender fails the same way.
    const genuine = codec.seal('update', forger.joined.you.id, Buffer.from('ok'));
    const tampered = Buffer.from(genuine, 'base64');
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 0xff;
    forger.client.send({ type: 'send', kind: 'update', body: tampered.toString('base64') });
    const second = await host.client.next('relayed');
    assert.throws(() => receiver.open(second.kind, second.from, second.body), /failed authentication/);
    await assertBystanderWorks();
  });

  it('a replayed encrypted frame is refused by the receiver', async function () {
    const key = newPayloadKey();
    const host = track(await hostSession(relay.wsUrl));
    const guest = track(await joinSession(relay.wsUrl, host.secrets));
    await host.client.next('roster');
    const sender = encryptedCodec(host.secrets.session, key);
    const receiver = withReplayGuard(encryptedCodec(host.secrets.session, key), new ReplayGuard());
    const sealed = sender.seal('file-write', guest.joined.you.id, Buffer.from('write v1'));
    guest.client.send({ type: 'send', kind: 'file-write', body: sealed });
    const first = await host.client.next('relayed');
    assert.equal(Buffer.from(receiver.open(first.kind, first.from, first.body)).toString(), 'write v1');
    // What a malicious relay (or anyone re-sending a captured frame) would deliver again.
    guest.client.send({ type: 'send', kind: 'file-write', body: sealed });
    const replayed = await host.client.next('relayed');
    assert.equal(replayed.body, first.body);
    assert.throws(() => receiver.open(replayed.kind, replayed.from, replayed.body), /already received once/);
    await assertBystanderWorks();
  });

  it('refuses a foreign browser origin with HTTP 403 and allows the listed one and native clients', async function () {
    const refused = await refusedUpgradeWithOrigin(relay.wsUrl, 'https://evil.example.net');
    assert.equal(refused.status, 403);
    const allowed = await connect(relay.wsUrl, { headers: { Origin: 'https://pair.example.com' } });
    clients.push(allowed);
    await assertBystanderWorks();
  });
});

function refusedUpgradeWithOrigin(wsUrl: string, origin: string): Promise<{ status: number; body: string }> {
  return refusedUpgrade(wsUrl, { headers: { Origin: origin } });
}

describe('hostile connect storms', function () {
  let relay: RunningRelay;
  after(async function () {
    await relay?.stop();
  });

  it('answers more than connects-per-minute upgrades from one address with HTTP 429', async function () {
    relay = await startRelay({ args: ['--connects-per-minute', '20'] });
    const opened: RawClient[] = [];
    try {
      for (let index = 0; index < 20; index += 1) opened.push(await connect(relay.wsUrl));
      const refused = await refusedUpgrade(relay.wsUrl);
      assert.equal(refused.status, 429);
      assert.match(refused.body, /at most 20 per minute/);
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      assert.match(metrics, /pairline_upgrade_refusal_reasons_total\{reason="connect-rate"\} 1/);
    } finally {
      closeAll(...opened);
    }
  });

  it('counts by the last X-Forwarded-For entry only with --trust-proxy; otherwise a client cannot pick its address', async function () {
    await relay?.stop();
    relay = await startRelay({ args: ['--connects-per-minute', '2', '--trust-proxy'] });
    const opened: RawClient[] = [];
    try {
      const from = (address: string) => ({ headers: { 'X-Forwarded-For': `203.0.113.9, ${address}` } });
      opened.push(await connect(relay.wsUrl, from('198.51.100.1')), await connect(relay.wsUrl, from('198.51.100.1')));
      assert.equal((await refusedUpgrade(relay.wsUrl, from('198.51.100.1'))).status, 429);
      opened.push(await connect(relay.wsUrl, from('198.51.100.2')));
      await relay.stop();
      relay = await startRelay({ args: ['--connects-per-minute', '2'] });
      opened.push(await connect(relay.wsUrl, from('198.51.100.3')), await connect(relay.wsUrl, from('198.51.100.4')));
      assert.equal((await refusedUpgrade(relay.wsUrl, from('198.51.100.5'))).status, 429, 'without --trust-proxy the header is ignored');
    } finally {
      closeAll(...opened);
    }
  });
});
