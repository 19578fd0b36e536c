/** Presence, follow, relayed messages and knocks; subscriptions restored after a reconnect. */
import assert from 'node:assert/strict';
import { encodeMessage, encodePayload, encryptedCodec, newPayloadKey, parsePayload, PresencePayloadSchema, plainCodec } from '../../protocol';
import type { Inbound, Knock, RemotePresence } from '../../client/api';
import { admit, joined, participant, rig, welcome, type Rig } from '../support/fake-transport';

const host = participant('host1', 'Hana', 'host');
const guest = participant('guest1', 'Gus', 'editor');
const selection = { anchor: { line: 1, character: 2 }, head: { line: 1, character: 7 } };
const key = newPayloadKey();
const session = 'BBBBBBBBBBBBBBBBBBBBBB';
const invite = { relay: 'http://relay.test', session, inviteSecret: 'i'.repeat(43), key };

function presenceFrom(from: string, payload: unknown, codecKey = key): string {
  const body = encryptedCodec(session, codecKey).seal('presence', from, encodePayload(payload));
  return encodeMessage({ type: 'relayed', kind: 'presence', from, body });
}

async function reconnect(r: Rig, resumed = true): Promise<void> {
  await r.transport.last.closeFromRelay(1006);
  await r.clock.advanceToNext();
  await admit(r, joined(guest, [host], { resumed }));
}

describe('client presence and follow', () => {
  it('sends presence sealed with the session key, and again after every reconnect', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    void r.client.start();
    let connection = await admit(r, joined(guest, [host]));
    r.client.setPresence({ file: 'src/./a.ts', selections: [selection] });
    const sent = connection.sentOf('send');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.kind, 'presence');
    const opened = encryptedCodec(session, key).open('presence', 'guest1', sent[0]!.body);
    const parsed = parsePayload(PresencePayloadSchema, opened);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.payload, { type: 'presence', file: 'src/a.ts', selections: [selection] });

    await reconnect(r);
    connection = r.transport.last;
    assert.equal(connection.sentOf('send').length, 1, 'presence restored without the caller doing anything');
    assert.equal(connection.sentOf('send')[0]?.kind, 'presence');
  });

  it('presence set while disconnected goes out on the next join', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    void r.client.start();
    await admit(r, joined(guest, [host]));
    await r.transport.last.closeFromRelay(1006);
    r.client.setPresence({ file: 'b.ts', selections: [] });
    await r.clock.advanceToNext();
    await r.transport.last.receive(welcome());
    assert.equal(r.transport.last.sentOf('send').length, 0);
    await r.transport.last.receive({ ...joined(guest, [host], { resumed: true }), session });
    assert.equal(r.transport.last.sentOf('send').length, 1);
  });

  it('invalid presence from the caller is refused with an error, not sent', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    void r.client.start();
    const connection = await admit(r, joined(guest, [host]));
    r.client.setPresence({ file: '../etc/passwd', selections: [] });
    assert.equal(connection.sentOf('send').length, 0);
    assert.equal(r.errors[0]?.code, 'bad-presence');
  });

  it('emits inbound presence with the sender\'s roster entry', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const seen: RemotePresence[] = [];
    r.client.onDidReceivePresence((presence) => seen.push(presence));
    void r.client.start();
    const connection = await admit(r, joined(guest, [host]));
    await connection.receive(presenceFrom('host1', { type: 'presence', file: 'a.ts', selections: [selection] }));
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]?.from, host);
    assert.equal(seen[0]?.presence.file, 'a.ts');
  });

  it('drops bodies that fail to open or validate with an error event, and keeps going', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const seen: RemotePresence[] = [];
    r.client.onDidReceivePresence((presence) => seen.push(presence));
    void r.client.start();
    const connection = await admit(r, joined(guest, [host]));
    await connection.receive(presenceFrom('host1', { type: 'presence', selections: [] }, newPayloadKey()));
    await connection.receive(encodeMessage({ type: 'relayed', kind: 'presence', from: 'host1', body: plainCodec().seal('presence', 'host1', encodePayload({})) }));
    await connection.receive(presenceFrom('host1', { type: 'presence', file: '/abs', selections: [] }));
    await connection.receive(presenceFrom('host1', { type: 'presence', selections: 'no' }));
    assert.deepEqual(r.errors.map((e) => e.code), ['bad-body', 'bad-body', 'bad-presence', 'bad-presence']);
    assert.match(r.errors[0]!.message, /Hana/);
    assert.equal(seen.length, 0);
    assert.equal(r.client.state, 'connected');
    await connection.receive(presenceFrom('host1', { type: 'presence', selections: [] }));
    assert.equal(seen.length, 1);
  });

  it('an encrypted body replayed under a new sequence number is refused (replay guard)', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const inbound: Inbound[] = [];
    r.client.onDidReceive((message) => inbound.push(message));
    void r.client.start();
    const connection = await admit(r, joined(guest, [host]));
    const body = encryptedCodec(session, key).seal('file-write', 'host1', Buffer.from('old content'));
    await connection.receive(encodeMessage({ type: 'relayed', kind: 'file-write', from: 'host1', seq: 1, body }));
    await connection.receive(encodeMessage({ type: 'relayed', kind: 'file-write', from: 'host1', seq: 2, body }));
    assert.equal(inbound.length, 1);
    assert.equal(r.errors.at(-1)?.code, 'bad-body');
    assert.match(r.errors.at(-1)!.message, /replayed/);
    assert.equal(r.client.state, 'connected');
  });

  it('follow is kept across reconnects and cleared with a reason when the target leaves', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const changes: { participant: string | undefined; reason: string }[] = [];
    r.client.onDidChangeFollowing((change) => changes.push(change));
    void r.client.start();
    await admit(r, joined(guest, [host]));
    r.client.follow('host1');
    assert.equal(r.client.following, 'host1');
    assert.match(changes[0]!.reason, /Following Hana/);
    await reconnect(r);
    await reconnect(r, false);
    assert.equal(r.client.following, 'host1');
    await r.transport.last.receive({ type: 'roster', change: 'left', participant: host, reason: 'left' });
    assert.equal(r.client.following, undefined);
    assert.deepEqual(changes.at(-1), { participant: undefined, reason: 'Hana left the session.' });
  });

  it('a resume that no longer lists the followed participant clears the follow', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    void r.client.start();
    await admit(r, joined(guest, [host]));
    r.client.follow('host1');
    await r.transport.last.closeFromRelay(1006);
    await r.clock.advanceToNext();
    await admit(r, joined(guest, [], { resumed: true }));
    assert.equal(r.client.following, undefined);
  });

  it('keeps the roster current from roster messages', async () => {
    const r = rig();
    void r.client.start();
    await admit(r, joined(host));
    await r.transport.last.receive({ type: 'roster', change: 'joined', participant: guest });
    assert.deepEqual(r.client.roster.map((p) => p.id).sort(), ['guest1', 'host1']);
    await r.transport.last.receive({ type: 'roster', change: 'updated', participant: { ...guest, state: 'reconnecting' } });
    assert.equal(r.client.roster.find((p) => p.id === 'guest1')?.state, 'reconnecting');
    assert.deepEqual(r.client.resumeState?.roster?.map((p) => p.id), ['guest1']);
    await r.transport.last.receive({ type: 'roster', change: 'left', participant: guest, reason: 'timeout' });
    assert.deepEqual(r.client.roster.map((p) => p.id), ['host1']);
  });

  it('send() returns false unless connected; inbound non-presence goes to onDidReceive', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const inbound: Inbound[] = [];
    r.client.onDidReceive((message) => inbound.push(message));
    assert.equal(r.client.send('update', encodePayload({ a: 1 })), false);
    void r.client.start();
    const connection = await admit(r, joined(guest, [host]));
    assert.equal(r.client.send('update', encodePayload({ a: 1 }), 'host1'), true);
    assert.equal(connection.sentOf('send')[0]?.to, 'host1');
    const body = encryptedCodec(session, key).seal('sync', 'host1', Buffer.from('state'));
    await connection.receive(encodeMessage({ type: 'relayed', kind: 'sync', from: 'host1', seq: 1, to: 'guest1', body }));
    assert.equal(inbound.length, 1);
    assert.equal(Buffer.from(inbound[0]!.payload).toString(), 'state');
    assert.equal(inbound[0]?.direct, true);
    await connection.closeFromRelay(1006);
    assert.equal(r.client.send('update', encodePayload({ a: 2 })), false);
  });

  it('knocks and their withdrawal are events; approve/deny/role/remove send control messages', async () => {
    const r = rig();
    const knocks: Knock[] = [];
    const withdrawn: string[] = [];
    r.client.onDidKnock((knock) => knocks.push(knock));
    r.client.onDidWithdrawKnock((w) => withdrawn.push(`${w.participant}:${w.reason}`));
    void r.client.start();
    const connection = await admit(r, joined(host));
    await connection.receive({ type: 'knock', participant: { id: 'guest2', name: 'Gia' } });
    await connection.receive({ type: 'knock-withdrawn', participant: 'guest2', reason: 'timeout' });
    assert.deepEqual(knocks, [{ participant: { id: 'guest2', name: 'Gia' } }]);
    assert.deepEqual(withdrawn, ['guest2:timeout']);
    r.client.approve('guest2', 'viewer');
    r.client.deny('guest3');
    r.client.setRole('guest2', 'editor');
    r.client.remove('guest2');
    assert.deepEqual(connection.sent.slice(-4), [
      { type: 'approve', participant: 'guest2', role: 'viewer' },
      { type: 'deny', participant: 'guest3' },
      { type: 'set-role', participant: 'guest2', role: 'editor' },
      { type: 'remove', participant: 'guest2' },
    ]);
    await connection.receive({ type: 'error', code: 'not-host', message: 'Only the host can do that.' });
    assert.deepEqual(r.errors.at(-1), { code: 'not-host', message: 'Only the host can do that.' });
  });
});
