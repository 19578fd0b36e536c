/**
 * Sessions: create, join (auto and with approval), approve, deny, approval timeout, leave, end,
 * capacity and colours.
 */
import { strict as assert } from 'node:assert';
import { CloseCode } from '../../protocol';
import { closeAll, connectHello, hostSession, joinSession, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay sessions', function () {
  let relay: RunningRelay;
  const clients: RawClient[] = [];
  const track = <T extends { client: RawClient }>(value: T): T => {
    clients.push(value.client);
    return value;
  };

  before(async function () {
    relay = await startRelay({ args: ['--approval-timeout-ms', '2000', '--max-participants', '3'] });
  });
  after(async function () {
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  it('creates a session and lets a guest join with the invite secret (auto approval)', async function () {
    const host = track(await hostSession(relay.wsUrl, { name: 'Hana' }));
    assert.equal(host.joined.session, host.secrets.session);
    assert.equal(host.joined.you.role, 'host');
    assert.equal(host.joined.you.color, 0);
    assert.equal(host.joined.resumed, false);
    assert.equal(host.joined.seq, 0);

    const guest = track(await joinSession(relay.wsUrl, host.secrets, 'Gil'));
    assert.equal(guest.joined.you.role, 'editor');
    assert.equal(guest.joined.you.name, 'Gil');
    assert.equal(guest.joined.you.color, 1);
    assert.deepEqual(guest.joined.roster.map((p) => p.name).sort(), ['Gil', 'Hana']);
    assert.equal(guest.joined.resumeWindowMs, 120_000);
    assert.equal(host.joined.resumeWindowMs, 600_000);

    const change = await host.client.next('roster');
    assert.equal(change.change, 'joined');
    assert.equal(change.participant.id, guest.joined.you.id);
  });

  it('asks the host when approval is "prompt"; approve admits with the chosen role', async function () {
    const host = track(await hostSession(relay.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } }));
    const guest = await connectHello(relay.wsUrl);
    clients.push(guest);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Vic' });
    const waiting = await guest.next('waiting');
    assert.equal(waiting.timeoutMs, 2000);
    const knock = await host.client.next('knock');
    assert.equal(knock.participant.name, 'Vic');

    host.client.send({ type: 'approve', participant: knock.participant.id, role: 'viewer' });
    const joined = await guest.next('joined');
    assert.equal(joined.you.id, knock.participant.id);
    assert.equal(joined.you.role, 'viewer');
    const withdrawn = await host.client.next('knock-withdrawn');
    assert.equal(withdrawn.reason, 'answered');
    const change = await host.client.next('roster');
    assert.equal(change.change, 'joined');
    assert.equal(change.participant.role, 'viewer');
  });

  it('closes a denied guest with 4403 "the host declined"', async function () {
    const host = track(await hostSession(relay.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } }));
    const guest = await connectHello(relay.wsUrl);
    clients.push(guest);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Dan' });
    const knock = await host.client.next('knock');
    host.client.send({ type: 'deny', participant: knock.participant.id });
    const closed = await guest.waitClosed();
    assert.equal(closed.code, CloseCode.Forbidden);
    assert.equal(closed.reason, 'the host declined');
  });

  it('gives up on an unanswered knock with 4408 and withdraws it from the host', async function () {
    const host = track(await hostSession(relay.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } }));
    const guest = await connectHello(relay.wsUrl);
    clients.push(guest);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Tim' });
    const knock = await host.client.next('knock');
    const closed = await guest.waitClosed(8000);
    assert.equal(closed.code, CloseCode.Timeout);
    const withdrawn = await host.client.next('knock-withdrawn');
    assert.equal(withdrawn.participant, knock.participant.id);
    assert.equal(withdrawn.reason, 'timeout');
  });

  it('withdraws the knock with reason "left" when the waiting guest goes away', async function () {
    const host = track(await hostSession(relay.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } }));
    const guest = await connectHello(relay.wsUrl);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Lea' });
    const knock = await host.client.next('knock');
    guest.close();
    const withdrawn = await host.client.next('knock-withdrawn');
    assert.equal(withdrawn.participant, knock.participant.id);
    assert.equal(withdrawn.reason, 'left');
  });

  it('resends pending knocks to a host that comes back', async function () {
    const host = track(await hostSession(relay.wsUrl, { settings: { approval: 'prompt', defaultRole: 'editor' } }));
    const guest = await connectHello(relay.wsUrl);
    clients.push(guest);
    guest.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Kim' });
    await host.client.next('knock');
    const again = track(await hostSession(relay.wsUrl, { secrets: host.secrets, settings: { approval: 'prompt', defaultRole: 'editor' } }));
    assert.equal(again.joined.you.id, host.joined.you.id, 'the host keeps its id');
    assert.equal((await host.client.waitClosed()).code, CloseCode.Replaced);
    const knock = await again.client.next('knock');
    assert.equal(knock.participant.name, 'Kim');
  });

  it('removes a guest that leaves at once and closes it with 1000', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const guest = track(await joinSession(relay.wsUrl, host.secrets));
    await host.client.next('roster');
    guest.client.send({ type: 'leave' });
    assert.equal((await guest.client.waitClosed()).code, CloseCode.Normal);
    const left = await host.client.next('roster');
    assert.equal(left.change, 'left');
    assert.equal(left.reason, 'left');
    assert.equal(left.participant.id, guest.joined.you.id);
  });

  it('ends the session for everyone with 4410 when the host ends it; late joins hear 4410 too', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const first = track(await joinSession(relay.wsUrl, host.secrets));
    const second = track(await joinSession(relay.wsUrl, host.secrets));
    host.client.send({ type: 'end' });
    for (const guest of [first, second]) {
      const closed = await guest.client.waitClosed();
      assert.equal(closed.code, CloseCode.SessionEnded);
      assert.equal(closed.reason, 'the host ended the session');
    }
    assert.equal((await host.client.waitClosed()).code, CloseCode.Normal);
    const late = await connectHello(relay.wsUrl);
    clients.push(late);
    late.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Late' });
    // The relay remembers recently ended sessions: a late guest hears "ended", not "not here yet".
    assert.equal((await late.waitClosed()).code, CloseCode.SessionEnded);
  });

  it('ends the session when the host sends leave', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const guest = track(await joinSession(relay.wsUrl, host.secrets));
    host.client.send({ type: 'leave' });
    assert.equal((await guest.client.waitClosed()).code, CloseCode.SessionEnded);
  });

  it('refuses a guest beyond max participants with 4409', async function () {
    const host = track(await hostSession(relay.wsUrl));
    track(await joinSession(relay.wsUrl, host.secrets));
    track(await joinSession(relay.wsUrl, host.secrets));
    const extra = await connectHello(relay.wsUrl);
    clients.push(extra);
    extra.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Extra' });
    assert.equal((await extra.waitClosed()).code, CloseCode.SessionFull);
  });

  it('gives each participant the lowest free colour', async function () {
    const host = track(await hostSession(relay.wsUrl));
    const first = track(await joinSession(relay.wsUrl, host.secrets));
    assert.equal(first.joined.you.color, 1);
    first.client.send({ type: 'leave' });
    await first.client.waitClosed();
    await host.client.nextWhere((m) => m.type === 'roster' && m.change === 'left', 'roster left');
    const second = track(await joinSession(relay.wsUrl, host.secrets));
    assert.equal(second.joined.you.color, 1);
  });

  it('answers application pings with pongs carrying the same id', async function () {
    const client = await connectHello(relay.wsUrl);
    clients.push(client);
    client.send({ type: 'ping', id: 42 });
    assert.equal((await client.next('pong')).id, 42);
  });
});
