/**
 * Host invite links in the client: rotate and extra links wait for the relay's confirmation, are
 * kept in the resume state, re-registered by a later `create`, re-sent after a dropped link, and
 * refused with a sentence when they cannot happen. A guest refused for a stale link is told why.
 */
import assert from 'node:assert/strict';
import { CloseCode, hashSecret, parseInviteLink } from '../../protocol';
import type { ResumeState } from '../../client/api';
import { FakeClock, flushMicrotasks } from '../support/fake-clock';
import { admit, joined, participant, rig, welcome, type Rig } from '../support/fake-transport';

const host = participant('host1', 'Hana', 'host');
const guest = participant('guest1', 'Gus', 'editor');

function secretOf(link: string): string {
  const parsed = parseInviteLink(link);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.invite.inviteSecret;
}

async function hosted(overrides: Parameters<typeof rig>[0] = {}): Promise<Rig> {
  const r = rig(overrides);
  void r.client.start();
  await admit(r, joined(host, [guest]));
  return r;
}

describe('client host invites', () => {
  it('rotates only once the relay confirms; the new link and the saved state carry the new secret', async () => {
    const r = await hosted();
    const saved: (ResumeState | undefined)[] = [];
    r.client.onDidChangeResumeState((state) => saved.push(state));
    const oldLink = r.client.inviteLink!;
    const rotating = r.client.rotateInvite();
    await flushMicrotasks();
    const message = r.transport.last.sentOf('rotate-invite')[0]!;
    assert.equal(message.invites, undefined);
    assert.equal(r.client.inviteLink, oldLink, 'nothing changes before the relay confirms');
    await r.transport.last.receive({ type: 'invites-updated', count: 1 });
    const rotated = await rotating;
    assert.notEqual(rotated.link, oldLink);
    assert.equal(r.client.inviteLink, rotated.link);
    assert.equal(hashSecret(secretOf(rotated.link)), message.inviteHash);
    assert.equal(saved.at(-1)?.inviteSecret, secretOf(rotated.link));
    assert.equal(r.client.resumeState?.inviteSecret, secretOf(rotated.link));
  });

  it('adds a viewer link with an expiry next to the main one, with r= and e= hints', async () => {
    // Link expiry hints are real epoch milliseconds (13 digits).
    const clock = new FakeClock(Date.UTC(2026, 10, 28, 9, 0, 0));
    const r = await hosted({ clock });
    const expiresAt = clock.now() + 3_600_000;
    const creating = r.client.createInvite({ role: 'viewer', expiresAt });
    await flushMicrotasks();
    const message = r.transport.last.sentOf('rotate-invite')[0]!;
    assert.equal(message.inviteHash, hashSecret(r.client.resumeState!.inviteSecret), 'the main link stays');
    assert.equal(message.invites?.length, 1);
    assert.equal(message.invites?.[0]?.role, 'viewer');
    assert.equal(message.invites?.[0]?.expiresAt, expiresAt);
    await r.transport.last.receive({ type: 'invites-updated', count: 2 });
    const created = await creating;
    const parsed = parseInviteLink(created.link);
    assert.ok(parsed.ok);
    assert.equal(parsed.invite.role, 'viewer');
    assert.equal(parsed.invite.expiresAt, expiresAt);
    assert.equal(hashSecret(parsed.invite.inviteSecret), message.invites?.[0]?.hash);
    assert.deepEqual(r.client.resumeState?.invites, [{ secret: parsed.invite.inviteSecret, role: 'viewer', expiresAt }]);

    // A second one keeps the first; a rotation then drops both.
    const second = r.client.createInvite({ role: 'editor' });
    await flushMicrotasks();
    assert.equal(r.transport.last.sentOf('rotate-invite')[1]?.invites?.length, 2);
    await r.transport.last.receive({ type: 'invites-updated', count: 3 });
    await second;
    const rotation = r.client.rotateInvite();
    await flushMicrotasks();
    assert.equal(r.transport.last.sentOf('rotate-invite')[2]?.invites, undefined);
    await r.transport.last.receive({ type: 'invites-updated', count: 1 });
    await rotation;
    assert.equal(r.client.resumeState?.invites, undefined);
  });

  it('re-registers the current links when it creates the session again (relay restart)', async () => {
    const r = await hosted();
    const creating = r.client.createInvite({ role: 'viewer' });
    await flushMicrotasks();
    await r.transport.last.receive({ type: 'invites-updated', count: 2 });
    const viewerLink = (await creating).link;
    const rotating = r.client.rotateInvite();
    await flushMicrotasks();
    await r.transport.last.receive({ type: 'invites-updated', count: 1 });
    const rotated = await rotating;
    const viewerAgain = r.client.createInvite({ role: 'viewer' });
    await flushMicrotasks();
    await r.transport.last.receive({ type: 'invites-updated', count: 2 });
    const viewer = await viewerAgain;
    assert.notEqual(viewer.link, viewerLink);

    await r.transport.last.closeFromRelay(CloseCode.NoSuchSession, 'no such session');
    await r.clock.advanceToNext();
    await r.transport.last.receive(welcome());
    const create = r.transport.last.sentOf('create')[0]!;
    assert.equal(create.inviteHash, hashSecret(secretOf(rotated.link)));
    assert.deepEqual(create.invites, [{ hash: hashSecret(secretOf(viewer.link)), role: 'viewer' }]);
  });

  it('a restarted host from its saved state keeps the rotated and extra links', async () => {
    const first = await hosted();
    const creating = first.client.createInvite({ role: 'viewer' });
    await flushMicrotasks();
    await first.transport.last.receive({ type: 'invites-updated', count: 2 });
    const viewer = await creating;
    const saved = first.client.resumeState!;
    const mainLink = first.client.inviteLink;
    first.client.dispose();

    const second = rig({ resumeState: { ...saved, resumeToken: undefined } as ResumeState });
    assert.equal(second.client.inviteLink, mainLink);
    void second.client.start();
    await flushMicrotasks();
    await second.transport.last.receive(welcome());
    const create = second.transport.last.sentOf('create')[0]!;
    assert.deepEqual(create.invites, [{ hash: hashSecret(secretOf(viewer.link)), role: 'viewer' }]);
    second.client.dispose();
  });

  it('sends an unconfirmed change again after the link drops, and resolves on that answer', async () => {
    const r = await hosted();
    const rotating = r.client.rotateInvite();
    await flushMicrotasks();
    const message = r.transport.last.sentOf('rotate-invite')[0]!;
    await r.transport.last.closeFromRelay(1006);
    await r.clock.advanceToNext();
    await r.transport.last.receive(welcome());
    await r.transport.last.receive({ ...joined(host, [guest], { resumed: true }), session: r.client.session });
    assert.deepEqual(r.transport.last.sentOf('rotate-invite'), [message]);
    await r.transport.last.receive({ type: 'invites-updated', count: 1 });
    assert.equal(hashSecret(secretOf((await rotating).link)), message.inviteHash);
  });

  it('refuses with a sentence: not connected, relay error, no answer, past expiry, guest', async () => {
    const r = await hosted();
    const oldLink = r.client.inviteLink;
    await assert.rejects(r.client.createInvite({ expiresAt: r.clock.now() - 1 }), /already be expired/);

    const refused = r.client.rotateInvite();
    await flushMicrotasks();
    await r.transport.last.receive({ type: 'error', code: 'not-host', message: 'Only the host can replace the invite.', ref: 'rotate-invite' });
    await assert.rejects(refused, /Only the host can replace the invite/);

    const unanswered = r.client.rotateInvite();
    await flushMicrotasks();
    const check = assert.rejects(unanswered, /did not confirm the invite change in time/);
    await r.clock.advance(15_000);
    await check;
    assert.equal(r.client.inviteLink, oldLink);

    await r.transport.last.closeFromRelay(1006);
    await assert.rejects(r.client.rotateInvite(), /while not connected/);

    const invite = { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) };
    const g = rig({ mode: { type: 'guest', invite } });
    await assert.rejects(g.client.rotateInvite(), /Only the host/);
    g.client.dispose();
  });

  it('a guest refused for a replaced or expired link is told to ask the host for a new one', async () => {
    const invite = { relay: 'http://relay.test', session: 'BBBBBBBBBBBBBBBBBBBBBB', inviteSecret: 'i'.repeat(43) };
    for (const [reason, expected] of [
      ['the invite secret is wrong or no longer valid (the host may have replaced the link)', /replaced it with a new one.*Ask the host for the current invite link/],
      ['this invite link expired on 2026-11-28T12:00:00.000Z; ask the host for a new one', /it has expired\. Ask the host for a new invite link/],
    ] as const) {
      const g = rig({ mode: { type: 'guest', invite } });
      const started = g.client.start();
      await flushMicrotasks();
      await g.transport.last.receive(welcome());
      await g.transport.last.closeFromRelay(CloseCode.Unauthorized, reason);
      await assert.rejects(started, expected);
      assert.equal(g.client.state, 'ended');
      assert.equal(g.states.at(-1)?.closeCode, CloseCode.Unauthorized);
    }
  });
});
