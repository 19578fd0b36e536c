/**
 * The CLI's invite commands as real processes against the real relay: `invite` makes a viewer
 * link, `rotate-invite` replaces the main link (the old one ends a joining process with 4401 and
 * exit 1, the guest already in stays), and `join` refuses a link whose expiry hint has passed
 * without connecting.
 */
import assert from 'node:assert/strict';
import { CloseCode, parseInviteLink } from '../../protocol';
import { CliProcess, CliProcesses, isEvent } from '../support/cli-process';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('pairline CLI invite commands against the real relay', function () {
  this.timeout(40_000);
  let relay: RunningRelay | undefined;
  const processes = new CliProcesses();

  async function joined(link: string, name: string): Promise<{ guest: CliProcess; role: unknown }> {
    const guest = processes.start(['join', link, '--name', name]);
    const event = await guest.waitFor(isEvent('joined'), `${name} joined`);
    return { guest, role: event.role };
  }

  afterEach(async () => {
    await processes.stopAll();
    await relay?.stop();
    relay = undefined;
  });

  it('makes a viewer link, rotates the main link, refuses the old one and keeps the guest already in', async () => {
    relay = await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana']);
    const oldLink = String((await host.waitFor(isEvent('invite'), 'the invite link')).link);
    const early = await joined(oldLink, 'Gus');
    assert.equal(early.role, 'editor');

    const viewerAnswer = await host.command({ cmd: 'invite', role: 'viewer', expiresInMinutes: 30 });
    const viewerLink = String(viewerAnswer.link);
    assert.equal(viewerAnswer.role, 'viewer');
    assert.ok(typeof viewerAnswer.expiresAt === 'number' && viewerAnswer.expiresAt > Date.now() + 29 * 60_000);
    const parsed = parseInviteLink(viewerLink);
    assert.ok(parsed.ok && parsed.invite.role === 'viewer' && parsed.invite.expiresAt === viewerAnswer.expiresAt);
    assert.equal((await joined(viewerLink, 'Vera')).role, 'viewer');

    const rotated = await host.command({ cmd: 'rotate-invite' });
    const newLink = String(rotated.link);
    assert.notEqual(newLink, oldLink);
    const status = await host.command({ cmd: 'status' });
    assert.equal(status.inviteLink, newLink);

    const late = processes.start(['join', oldLink, '--name', 'Olga']);
    const ended = await late.waitFor(isEvent('error', { code: 'ended' }), 'the old link to be refused');
    assert.equal(ended.closeCode, CloseCode.Unauthorized);
    assert.match(String(ended.message), /host has replaced it/);
    assert.equal(await late.exited, 1);
    const viewerAgain = processes.start(['join', viewerLink, '--name', 'Vic']);
    await viewerAgain.waitFor(isEvent('error', { code: 'ended', closeCode: CloseCode.Unauthorized }), 'the viewer link to be refused after the rotation');

    assert.equal((await joined(newLink, 'Nina')).role, 'editor');
    const stillIn = await early.guest.command({ cmd: 'status' });
    assert.equal(stillIn.state, 'connected');
  });

  it('answers a guest\'s invite commands with not-host and a bad expiry with bad-command', async () => {
    relay = await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana']);
    const link = String((await host.waitFor(isEvent('invite'), 'the invite link')).link);
    await assert.rejects(host.command({ cmd: 'invite', expiresInMinutes: 0 }), /bad-command/);
    await assert.rejects(host.command({ cmd: 'invite', role: 'host' }), /bad-command/);
    const { guest } = await joined(link, 'Gus');
    await assert.rejects(guest.command({ cmd: 'rotate-invite' }), /not-host/);
    await assert.rejects(guest.command({ cmd: 'invite', role: 'viewer' }), /not-host/);
  });

  it('join refuses a link whose expiry hint has passed, before connecting', async () => {
    relay = await startRelay();
    const host = processes.start(['host', '--relay', relay.url, '--name', 'Hana']);
    const link = String((await host.waitFor(isEvent('invite'), 'the invite link')).link);
    const expired = processes.start(['join', `${link}&e=1700000000000`, '--name', 'Late']);
    const error = await expired.waitFor(isEvent('error', { code: 'invite-expired' }), 'the expired-link error');
    assert.match(String(error.message), /expired at 2023-11-14T22:13:20\.000Z\. Ask the host for a new one/);
    assert.equal(await expired.exited, 1);
    assert.ok(!expired.events.some((event) => event.event === 'state'), 'it never tried to connect');
  });
});
