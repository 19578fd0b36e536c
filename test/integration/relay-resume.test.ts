/**
 * Resume: a dropped participant keeps its id and role for its window, gets every missed
 * non-volatile message exactly once and in order, then a presence snapshot; tokens are single
 * use; a buffer that no longer reaches back says so (gap); the window's expiry removes it.
 */
import { strict as assert } from 'node:assert';
import { CloseCode, type RelayMessage } from '../../protocol';
import { body, closeAll, connectHello, hostSession, joinSession, text, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

function relayedTexts(messages: readonly RelayMessage[]): Array<[string, number | undefined]> {
  return messages.flatMap((m) => (m.type === 'relayed' ? [[text(m.body), m.seq] as [string, number | undefined]] : []));
}

describe('relay resume', function () {
  let relay: RunningRelay;
  const clients: RawClient[] = [];

  before(async function () {
    relay = await startRelay({ args: ['--resume-buffer-messages', '5', '--guest-resume-ms', '2500', '--host-resume-ms', '3000'] });
  });
  after(async function () {
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  async function pair() {
    const host = await hostSession(relay.wsUrl);
    const guest = await joinSession(relay.wsUrl, host.secrets, 'Gus');
    clients.push(host.client, guest.client);
    await host.client.next('roster');
    return { host, guest };
  }

  async function resume(session: string, resumeToken: string, lastSeq: number): Promise<RawClient> {
    const client = await connectHello(relay.wsUrl);
    clients.push(client);
    client.send({ type: 'resume', session, resumeToken, lastSeq });
    return client;
  }

  it('resumes with the same id and role and replays what was missed, once, in order, then presence', async function () {
    const { host, guest } = await pair();
    host.client.send({ type: 'send', kind: 'update', body: body('seen') });
    const seen = await guest.client.next('relayed');
    guest.client.close();
    const reconnecting = await host.client.next('roster');
    assert.equal(reconnecting.change, 'updated');
    assert.equal(reconnecting.participant.state, 'reconnecting');

    host.client.send({ type: 'send', kind: 'update', body: body('missed 1') });
    host.client.send({ type: 'send', kind: 'presence', body: body('host cursor 1') });
    host.client.send({ type: 'send', kind: 'file', to: guest.joined.you.id, body: body('missed 2 (to you)') });
    host.client.send({ type: 'send', kind: 'presence', body: body('host cursor 2') });
    host.client.send({ type: 'send', kind: 'sync', body: body('missed 3') });
    await host.client.flush();

    const back = await resume(host.secrets.session, guest.joined.resumeToken, seen.seq ?? 0);
    const joined = await back.next('joined');
    assert.equal(joined.resumed, true);
    assert.equal(joined.gap, false);
    assert.equal(joined.you.id, guest.joined.you.id);
    assert.equal(joined.you.role, 'editor');
    assert.equal(joined.you.state, 'online');
    assert.equal(joined.seq, 4);
    assert.notEqual(joined.resumeToken, guest.joined.resumeToken, 'the token rotates');
    await back.flush();
    assert.deepEqual(relayedTexts(back.received), [
      ['missed 1', 2], ['missed 2 (to you)', 3], ['missed 3', 4], ['host cursor 2', undefined],
    ]);
    const online = await host.client.next('roster');
    assert.equal(online.participant.state, 'online');

    // Live traffic continues with the next number, no duplicates.
    host.client.send({ type: 'send', kind: 'update', body: body('live') });
    const live = await back.nextWhere((m) => m.type === 'relayed' && text(m.body) === 'live', 'the live message');
    assert.equal(live.type === 'relayed' && live.seq, 5);
    await back.flush();
    assert.equal(relayedTexts(back.received).length, 5, 'nothing was delivered twice');
  });

  it('does not replay a message to its own sender', async function () {
    const { host, guest } = await pair();
    guest.client.send({ type: 'send', kind: 'update', body: body('mine') });
    await host.client.next('relayed');
    guest.client.close();
    await host.client.next('roster');
    const back = await resume(host.secrets.session, guest.joined.resumeToken, 0);
    await back.next('joined');
    await back.flush();
    assert.deepEqual(relayedTexts(back.received), []);
  });

  it('makes resume tokens single use: a reused token gets resume-failed and the socket stays open', async function () {
    const { host, guest } = await pair();
    guest.client.close();
    await host.client.next('roster');
    const first = await resume(host.secrets.session, guest.joined.resumeToken, 0);
    await first.next('joined');
    const second = await resume(host.secrets.session, guest.joined.resumeToken, 0);
    const error = await second.next('error');
    assert.equal(error.code, 'resume-failed');
    // Still open: the client may join afresh on the same socket.
    second.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Again' });
    const joined = await second.next('joined');
    assert.notEqual(joined.you.id, guest.joined.you.id);
  });

  it('refuses a token from another session with resume-failed, and an unknown session with 4404', async function () {
    const one = await pair();
    const two = await pair();
    const cross = await resume(two.host.secrets.session, one.guest.joined.resumeToken, 0);
    assert.equal((await cross.next('error')).code, 'resume-failed');
    const unknown = await resume('AAAAAAAAAAAAAAAAAAAAAA', one.guest.joined.resumeToken, 0);
    assert.equal((await unknown.waitClosed()).code, CloseCode.NoSuchSession);
  });

  it('closes a still-open older connection of the resumed participant with 4440', async function () {
    const { host, guest } = await pair();
    const back = await resume(host.secrets.session, guest.joined.resumeToken, 0);
    await back.next('joined');
    assert.equal((await guest.client.waitClosed()).code, CloseCode.Replaced);
    host.client.send({ type: 'send', kind: 'update', body: body('to the new one') });
    assert.equal(text((await back.next('relayed')).body), 'to the new one');
  });

  it('flags a gap when the buffer no longer reaches back', async function () {
    const { host, guest } = await pair();
    guest.client.close();
    await host.client.next('roster');
    for (let index = 1; index <= 8; index += 1) host.client.send({ type: 'send', kind: 'update', body: body(`m${index}`) });
    await host.client.flush();
    const back = await resume(host.secrets.session, guest.joined.resumeToken, 0);
    const joined = await back.next('joined');
    assert.equal(joined.gap, true);
    await back.flush();
    assert.deepEqual(relayedTexts(back.received).map(([, seq]) => seq), [4, 5, 6, 7, 8], 'what is left is still replayed');
  });

  it('removes a guest that does not come back within its window (roster left "timeout")', async function () {
    const { host, guest } = await pair();
    guest.client.close();
    assert.equal((await host.client.next('roster')).participant.state, 'reconnecting');
    const left = await host.client.next('roster', 10_000);
    assert.equal(left.change, 'left');
    assert.equal(left.reason, 'timeout');
    const late = await resume(host.secrets.session, guest.joined.resumeToken, 0);
    assert.equal((await late.next('error')).code, 'resume-failed');
  });

  it('ends the session (4410) when the host does not come back within its window', async function () {
    const { host, guest } = await pair();
    host.client.close();
    assert.equal((await guest.client.next('roster')).participant.state, 'reconnecting');
    const closed = await guest.client.waitClosed(10_000);
    assert.equal(closed.code, CloseCode.SessionEnded);
  });

  it('lets the host resume and keeps the session', async function () {
    const { host, guest } = await pair();
    host.client.close();
    await guest.client.next('roster');
    const back = await resume(host.secrets.session, host.joined.resumeToken, 0);
    const joined = await back.next('joined');
    assert.equal(joined.you.role, 'host');
    assert.equal(joined.resumed, true);
    back.send({ type: 'send', kind: 'update', body: body('host is back') });
    assert.equal(text((await guest.client.next('relayed')).body), 'host is back');
  });
});
