/**
 * Hostile and malformed input: each gets its named close code or error, and a legitimate session
 * on the same relay keeps working afterwards.
 */
import { strict as assert } from 'node:assert';
import { CloseCode } from '../../protocol';
import { body, closeAll, connect, connectHello, hostSession, joinSession, newSessionSecrets, type Hosted, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay bad input', function () {
  let relay: RunningRelay;
  let bystander: Hosted;
  let bystanderGuest: RawClient;
  const clients: RawClient[] = [];

  /** The session that every hostile case must leave untouched. */
  async function assertBystanderWorks(): Promise<void> {
    bystanderGuest.send({ type: 'send', kind: 'update', body: body('still here') });
    const relayed = await bystander.client.next('relayed');
    assert.equal(relayed.body, body('still here'));
  }

  async function expectClose(frame: unknown, code: number, options: { hello?: boolean } = {}): Promise<string> {
    const client = options.hello === false ? await connect(relay.wsUrl) : await connectHello(relay.wsUrl);
    clients.push(client);
    client.send(frame);
    const closed = await client.waitClosed();
    assert.equal(closed.code, code, `expected ${code}, got ${closed.code} (${closed.reason})`);
    assert.ok(Buffer.byteLength(closed.reason) <= 123);
    await assertBystanderWorks();
    return closed.reason;
  }

  before(async function () {
    relay = await startRelay({ args: ['--max-payload', '65536', '--kind-limits', 'presence=1024', '--rate-limit', '20', '--rate-burst', '40', '--preauth-timeout-ms', '1500'] });
    bystander = await hostSession(relay.wsUrl);
    bystanderGuest = (await joinSession(relay.wsUrl, bystander.secrets)).client;
    await bystander.client.next('roster');
  });
  after(async function () {
    closeAll(bystander?.client, bystanderGuest);
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  it('closes 4400 on a frame that is not JSON', async function () {
    assert.match(await expectClose('{not json', CloseCode.BadMessage), /not valid JSON/);
  });

  it('closes 4400 on a message type outside the catalogue', async function () {
    assert.match(await expectClose({ type: 'teleport' }, CloseCode.BadMessage), /type/);
  });

  it('closes 4400 on a message that fails its schema', async function () {
    assert.match(await expectClose({ type: 'join', session: 'short', inviteSecret: 'x', name: '' }, CloseCode.BadMessage), /invalid "join" message at session/);
  });

  it('closes 4400 when the first message is not hello', async function () {
    assert.match(await expectClose({ type: 'ping', id: 1 }, CloseCode.BadMessage, { hello: false }), /first message must be "hello"/);
  });

  it('closes 4426 with an upgrade sentence on a different protocol version', async function () {
    const reason = await expectClose({ type: 'hello', protocol: 99, client: 'future/9' }, CloseCode.UpgradeRequired, { hello: false });
    assert.match(reason, /update Pairline/);
  });

  it('closes 4413 on a frame over max payload, 1009 beyond twice that', async function () {
    assert.match(await expectClose('x'.repeat(70_000), CloseCode.TooBig), /70000 bytes is over this relay's 65536-byte limit/);
    await expectClose('x'.repeat(140_000), CloseCode.MessageTooBig);
  });

  it('closes 4413 on a body over its kind cap', async function () {
    const client = (await joinSession(relay.wsUrl, bystander.secrets)).client;
    clients.push(client);
    await bystander.client.next('roster');
    client.send({ type: 'send', kind: 'presence', body: 'A'.repeat(2048) });
    const closed = await client.waitClosed();
    assert.equal(closed.code, CloseCode.TooBig);
    assert.match(closed.reason, /presence body of 2048 bytes/);
    await assertBystanderWorks();
  });

  it('closes 4404 on a join to an unknown session', async function () {
    const secrets = newSessionSecrets();
    await expectClose({ type: 'join', session: secrets.session, inviteSecret: secrets.inviteSecret, name: 'Lost' }, CloseCode.NoSuchSession);
  });

  it('closes 4401 on a wrong invite secret', async function () {
    const wrong = newSessionSecrets().inviteSecret;
    await expectClose({ type: 'join', session: bystander.secrets.session, inviteSecret: wrong, name: 'Mallory' }, CloseCode.Unauthorized);
  });

  it('closes 4403 when a second "host" claims an existing session id with another secret', async function () {
    const other = newSessionSecrets();
    const reason = await expectClose({
      type: 'create', session: bystander.secrets.session, hostSecret: other.hostSecret, inviteHash: other.inviteHash,
      name: 'Mallory', settings: { approval: 'auto', defaultRole: 'editor' },
    }, CloseCode.Forbidden);
    assert.match(reason, /host secret does not match/);
    // The real host is still connected and in charge.
    assert.equal(bystander.client.socket.readyState, bystander.client.socket.OPEN);
  });

  it('closes 4408 on a connection that never joins within the pre-auth deadline', async function () {
    const client = await connectHello(relay.wsUrl);
    clients.push(client);
    const closed = await client.waitClosed(8000);
    assert.equal(closed.code, CloseCode.Timeout);
    assert.match(closed.reason, /no session joined within 1.5 s/);
    await assertBystanderWorks();
  });

  it('closes 4429 on a connection over its rate limit', async function () {
    const client = await connectHello(relay.wsUrl);
    clients.push(client);
    for (let index = 0; index < 100; index += 1) client.send({ type: 'ping', id: index });
    const closed = await client.waitClosed();
    assert.equal(closed.code, CloseCode.RateLimited);
    await assertBystanderWorks();
  });

  it('refuses sends before joining with a not-joined error and keeps the connection', async function () {
    const client = await connectHello(relay.wsUrl);
    clients.push(client);
    client.send({ type: 'send', kind: 'update', body: body('x') });
    assert.equal((await client.next('error')).code, 'not-joined');
    await client.flush();
  });

  it('answers a second create/join on a joined connection with already-joined', async function () {
    const guest = (await joinSession(relay.wsUrl, bystander.secrets)).client;
    clients.push(guest);
    await bystander.client.next('roster');
    guest.send({ type: 'join', session: bystander.secrets.session, inviteSecret: bystander.secrets.inviteSecret, name: 'Twice' });
    assert.equal((await guest.next('error')).code, 'already-joined');
  });
});
