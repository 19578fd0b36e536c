/** Resume: token rotation, lastSeq, duplicate suppression, fallback after resume-failed, saved state. */
import assert from 'node:assert/strict';
import { encodeMessage, hashSecret, plainCodec } from '../../protocol';
import type { JoinInfo, ResumeState } from '../../client/api';
import { flushMicrotasks } from '../support/fake-clock';
import { admit, joined, participant, rig, welcome, type Rig } from '../support/fake-transport';

const host = participant('host1', 'Hana', 'host');
const guest = participant('guest1', 'Gus', 'editor');
const invite = { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) };

function relayed(seq: number, from = 'guest1'): string {
  const body = plainCodec().seal('update', from, Buffer.from(`u${seq}`));
  return encodeMessage({ type: 'relayed', kind: 'update', from, seq, body });
}

async function dropAndWelcome(r: Rig): Promise<void> {
  await r.transport.last.closeFromRelay(1006);
  await r.clock.advanceToNext();
  await r.transport.last.receive(welcome());
}

describe('client resume', () => {
  it('the host creates with the invite hash; the resume uses the latest token and highest seq', async () => {
    const r = rig({ mode: { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' }, encrypt: false } });
    const received: string[] = [];
    r.client.onDidReceive((message) => received.push(Buffer.from(message.payload).toString()));
    void r.client.start();
    const firstJoined = joined(host, [guest], { seq: 4 });
    const connection = await admit(r, firstJoined);
    const create = connection.sentOf('create')[0]!;
    assert.equal(create.session, r.client.session);
    assert.equal(create.participant, undefined);
    const state = r.client.resumeState!;
    assert.equal(create.inviteHash, hashSecret(state.inviteSecret));
    for (const seq of [5, 6, 7]) await connection.receive(relayed(seq));
    assert.deepEqual(received, ['u5', 'u6', 'u7']);

    await dropAndWelcome(r);
    const resume = r.transport.last.sentOf('resume')[0]!;
    assert.equal(resume.resumeToken, firstJoined.resumeToken);
    assert.equal(resume.lastSeq, 7);

    const secondJoined = joined(host, [guest], { resumed: true, seq: 9 });
    await r.transport.last.receive({ ...secondJoined, session: r.client.session });
    // The replay after `joined`: 6 and 7 again (overlap) are dropped, 8 and 9 delivered once.
    for (const seq of [6, 7, 8, 9]) await r.transport.last.receive(relayed(seq));
    assert.deepEqual(received, ['u5', 'u6', 'u7', 'u8', 'u9']);

    await dropAndWelcome(r);
    const again = r.transport.last.sentOf('resume')[0]!;
    assert.equal(again.resumeToken, secondJoined.resumeToken, 'the token rotates on each join');
    assert.notEqual(again.resumeToken, firstJoined.resumeToken);
    assert.equal(again.lastSeq, 9);
  });

  it('onDidJoin says resumed / needsResync honestly', async () => {
    const r = rig();
    const joins: JoinInfo[] = [];
    r.client.onDidJoin((info) => joins.push(info));
    void r.client.start();
    await admit(r, joined(host));
    await dropAndWelcome(r);
    await r.transport.last.receive({ ...joined(host, [], { resumed: true }), session: r.client.session });
    await dropAndWelcome(r);
    await r.transport.last.receive({ ...joined(host, [], { resumed: true, gap: true }), session: r.client.session });
    await dropAndWelcome(r);
    await r.transport.last.receive({ ...joined(host, [], { resumed: false }), session: r.client.session });
    assert.deepEqual(joins.map((j) => [j.resumed, j.needsResync]), [[false, false], [true, false], [true, true], [false, true]]);
  });

  it('after resume-failed the host re-registers with its id and the guests it knew', async () => {
    const r = rig();
    void r.client.start();
    await admit(r, joined(host, [guest, participant('view1', 'Vera', 'viewer', 'reconnecting')]));
    await dropAndWelcome(r);
    assert.equal(r.transport.last.lastControl?.type, 'resume');
    await r.transport.last.receive({ type: 'error', code: 'resume-failed', message: 'unknown token', ref: 'resume' });
    const create = r.transport.last.sentOf('create')[0]!;
    assert.equal(create.participant, 'host1');
    assert.deepEqual(create.roster, [
      { id: 'guest1', name: 'Gus', role: 'editor', color: guest.color },
      { id: 'view1', name: 'Vera', role: 'viewer', color: 5 },
    ]);
    assert.equal(r.errors.length, 0, 'a refused resume is routine, not an error for the person');
  });

  it('after resume-failed a guest joins with its invite secret, previous id and rejoin proof', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    void r.client.start();
    const firstJoin = r.transport.last.sentOf('join')[0];
    await admit(r, joined(guest, [host]));
    await dropAndWelcome(r);
    await r.transport.last.receive({ type: 'error', code: 'resume-failed', message: 'token spent', ref: 'resume' });
    const join = r.transport.last.sentOf('join')[0]!;
    const { rejoinSecret, rejoinHash, ...rest } = join as typeof join & { rejoinSecret?: string; rejoinHash?: string };
    assert.deepEqual(rest, { type: 'join', session: invite.session, inviteSecret: invite.inviteSecret, name: 'Hana', participant: 'guest1' });
    // The claim carries the secret whose hash the first join announced, so only we can take the id back.
    assert.ok(rejoinSecret, 'a join claiming an id carries the rejoin secret');
    assert.equal(rejoinHash, hashSecret(rejoinSecret));
    if (firstJoin) assert.equal((firstJoin as { rejoinHash?: string }).rejoinHash, rejoinHash);
  });

  it('a fresh join after a relay restart starts counting from the relay\'s seq', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const received: string[] = [];
    r.client.onDidReceive((message) => received.push(Buffer.from(message.payload).toString()));
    void r.client.start();
    const connection = await admit(r, joined(guest, [host], { seq: 40 }));
    await connection.receive(relayed(41, 'host1'));
    await dropAndWelcome(r);
    await r.transport.last.receive({ type: 'error', code: 'resume-failed', message: 'unknown token' });
    await r.transport.last.receive({ ...joined(guest, [host], { seq: 0 }), session: r.client.session });
    await r.transport.last.receive(relayed(1, 'host1'));
    assert.deepEqual(received, ['u41', 'u1']);
  });

  it('exposes a serialisable resume state and resumes from it in a new client', async () => {
    const r = rig({ mode: { type: 'guest', invite } });
    const saved: (ResumeState | undefined)[] = [];
    r.client.onDidChangeResumeState((state) => saved.push(state));
    void r.client.start();
    const first = joined(guest, [host], { seq: 3 });
    await admit(r, first);
    assert.equal(saved.length, 1);
    const { rejoinSecret, ...state } = JSON.parse(JSON.stringify(saved[0])) as ResumeState;
    assert.match(String(rejoinSecret), /^[A-Za-z0-9_-]{43}$/, 'a guest persists its rejoin secret');
    assert.deepEqual(state, {
      version: 1, relay: 'http://relay.test', session: invite.session, name: 'Hana', side: 'guest',
      inviteSecret: invite.inviteSecret, lastSeq: 3, participant: 'guest1', resumeToken: first.resumeToken,
    });
    r.client.dispose();
    assert.equal(r.transport.last.closedWith?.code, 1001, 'dispose is not a leave: the relay keeps our place');

    const again = rig({ mode: { type: 'guest', invite }, resumeState: { ...state, ...(rejoinSecret ? { rejoinSecret } : {}) } });
    void again.client.start();
    await flushMicrotasks();
    await again.transport.last.receive(welcome());
    assert.deepEqual(again.transport.last.lastControl, { type: 'resume', session: invite.session, resumeToken: first.resumeToken, lastSeq: 3 });
  });

  it('a host resume state keeps the host secret, so the same session comes back', async () => {
    const r = rig();
    void r.client.start();
    await admit(r, joined(host, [guest]));
    const state = r.client.resumeState!;
    assert.ok(state.hostSecret && state.settings);
    assert.deepEqual(state.roster?.map((entry) => entry.id), ['guest1']);
    const again = rig({ resumeState: state });
    assert.equal(again.client.session, r.client.session);
    assert.equal(again.client.inviteLink, r.client.inviteLink);
  });
});
