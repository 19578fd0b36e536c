/**
 * Routing of relayed messages: fan-out and addressing, sender stamping, sequence numbers,
 * presence without sequence numbers, strict isolation between sessions.
 */
import { strict as assert } from 'node:assert';
import { body, closeAll, hostSession, joinSession, text, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay routing', function () {
  let relay: RunningRelay;
  const clients: RawClient[] = [];

  before(async function () {
    relay = await startRelay();
  });
  after(async function () {
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  async function trio() {
    const host = await hostSession(relay.wsUrl);
    const alice = await joinSession(relay.wsUrl, host.secrets, 'Alice');
    const bob = await joinSession(relay.wsUrl, host.secrets, 'Bob');
    clients.push(host.client, alice.client, bob.client);
    await alice.client.nextWhere((m) => m.type === 'roster' && m.participant.id === bob.joined.you.id, 'Bob joined');
    return { host, alice, bob };
  }

  it('fans a message out to everyone else, stamped with the real sender and a sequence number', async function () {
    const { host, alice, bob } = await trio();
    alice.client.send({ type: 'send', kind: 'update', body: body('hello'), from: host.joined.you.id });
    for (const receiver of [host.client, bob.client]) {
      const relayed = await receiver.next('relayed');
      assert.equal(relayed.from, alice.joined.you.id, 'the relay stamps the sender; a claimed "from" is ignored');
      assert.equal(relayed.seq, 1);
      assert.equal(text(relayed.body), 'hello');
      assert.equal(relayed.to, undefined);
    }
    await alice.client.flush();
    assert.ok(!alice.client.received.some((m) => m.type === 'relayed'), 'no echo to the sender');
  });

  it('delivers an addressed message to its target only', async function () {
    const { host, alice, bob } = await trio();
    host.client.send({ type: 'send', kind: 'file', to: bob.joined.you.id, body: body('for bob') });
    const relayed = await bob.client.next('relayed');
    assert.equal(relayed.to, bob.joined.you.id);
    assert.equal(relayed.from, host.joined.you.id);
    await alice.client.flush();
    assert.ok(!alice.client.received.some((m) => m.type === 'relayed'));
  });

  it('numbers non-volatile messages in order and leaves presence unnumbered', async function () {
    const { host, alice } = await trio();
    alice.client.send({ type: 'send', kind: 'update', body: body('1') });
    alice.client.send({ type: 'send', kind: 'presence', body: body('p') });
    alice.client.send({ type: 'send', kind: 'sync', body: body('2') });
    const received = [await host.client.next('relayed'), await host.client.next('relayed'), await host.client.next('relayed')];
    assert.deepEqual(received.map((m) => [m.kind, m.seq]), [['update', 1], ['presence', undefined], ['sync', 2]]);
  });

  it('isolates sessions: nothing crosses, and addressing a participant of another session fails', async function () {
    const first = await trio();
    const second = await trio();
    first.alice.client.send({ type: 'send', kind: 'update', body: body('first only') });
    await first.host.client.next('relayed');
    first.alice.client.send({ type: 'send', kind: 'update', to: second.host.joined.you.id, body: body('sneaky') });
    const error = await first.alice.client.next('error');
    assert.equal(error.code, 'unknown-participant');
    for (const client of [second.host.client, second.alice.client, second.bob.client]) {
      await client.flush();
      assert.ok(!client.received.some((m) => m.type === 'relayed'), 'no message crossed sessions');
    }
    second.bob.client.send({ type: 'send', kind: 'update', body: body('second') });
    const relayed = await second.host.client.next('relayed');
    assert.equal(relayed.seq, 1, 'sequence numbers are per session');
  });

  it('sends the presence snapshot (last presence of each other participant) on join', async function () {
    const { host, alice } = await trio();
    alice.client.send({ type: 'send', kind: 'presence', body: body('alice old') });
    alice.client.send({ type: 'send', kind: 'presence', body: body('alice new') });
    host.client.send({ type: 'send', kind: 'presence', body: body('host here') });
    await host.client.nextWhere((m) => m.type === 'relayed' && text(m.body) === 'alice new', 'latest presence');
    await alice.client.nextWhere((m) => m.type === 'relayed' && text(m.body) === 'host here', 'host presence');
    const carol = await joinSession(relay.wsUrl, host.secrets, 'Carol');
    clients.push(carol.client);
    await carol.client.flush();
    const snapshot = carol.client.received.filter((m) => m.type === 'relayed');
    assert.deepEqual(snapshot.map((m) => m.type === 'relayed' && [m.from, text(m.body), m.seq]).sort(), [
      [alice.joined.you.id, 'alice new', undefined],
      [host.joined.you.id, 'host here', undefined],
    ].sort());
  });
});
