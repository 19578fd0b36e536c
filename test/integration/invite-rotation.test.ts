/**
 * Invite rotation, viewer links and expiring links with the client library against the real relay:
 * a rotated-out link is refused with 4401 and a sentence, the new one works, guests already in
 * stay and keep resuming, and a host that resumes or re-registers after the rotation keeps the
 * new links (not the ones the session began with).
 */
import assert from 'node:assert/strict';
import type { StateChange } from '../../client/api';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient, type SessionClientOptions } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import { CloseCode, parseInviteLink, type Invite } from '../../protocol';
import { startChaosProxy, type ChaosProxy } from '../support/chaos-proxy';
import { FAST, waitFor, waitUntil } from '../support/client-events';
import { startRelay, type RunningRelay } from '../support/relay-process';

function inviteOf(link: string, relay?: string): Invite {
  const parsed = parseInviteLink(link);
  if (!parsed.ok) throw new Error(parsed.error);
  return relay ? { ...parsed.invite, relay } : parsed.invite;
}

describe('invite rotation and extra links against the real relay', function () {
  this.timeout(30_000);
  let relay: RunningRelay | undefined;
  let proxy: ChaosProxy | undefined;
  const clients: SessionClient[] = [];

  function makeClient(options: Pick<SessionClientOptions, 'relay' | 'mode' | 'resumeState'> & { name: string }): SessionClient {
    const client = new SessionClient({
      ...options, transport: new WebSocketTransport({ handshakeTimeoutMs: 1_000, closeTimeoutMs: 200 }),
      clock: systemClock, random: Math.random, logger: silentLogger, options: FAST,
    });
    clients.push(client);
    return client;
  }

  async function hostSession(): Promise<SessionClient> {
    relay ??= await startRelay();
    const host = makeClient({ relay: relay.url, name: 'Hana', mode: { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' } } });
    await host.start();
    return host;
  }

  async function guestJoins(host: SessionClient, link: string, name: string, via?: string): Promise<SessionClient> {
    const guest = makeClient({ relay: via ?? relay!.url, name, mode: { type: 'guest', invite: inviteOf(link, via) } });
    const seen = waitFor(host.onDidChangeRoster, (change) => change.change === 'joined' && change.participant.name === name, `${name} on the host roster`);
    await guest.start();
    await seen;
    return guest;
  }

  /** A guest that must be refused: resolves with its final state change. */
  async function refusedJoin(link: string, name: string): Promise<StateChange> {
    const guest = makeClient({ relay: relay!.url, name, mode: { type: 'guest', invite: inviteOf(link) } });
    const ended = waitFor(guest.onDidChangeState, (change) => change.state === 'ended', `${name} to be refused`);
    await assert.rejects(guest.start());
    return ended;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.dispose();
    await proxy?.close();
    proxy = undefined;
    await relay?.stop();
    relay = undefined;
  });

  it('rotation: the old link is refused with 4401, the new one works, the guest already in stays and resumes', async () => {
    const host = await hostSession();
    proxy = await startChaosProxy(relay!.port);
    const oldLink = host.inviteLink!;
    const early = await guestJoins(host, oldLink, 'Gus', proxy.url);
    const earlyId = early.me!.id;

    const rotated = await host.rotateInvite();
    assert.notEqual(rotated.link, oldLink);
    assert.equal(host.inviteLink, rotated.link);
    assert.equal(host.resumeState?.inviteSecret, inviteOf(rotated.link).inviteSecret);

    const refused = await refusedJoin(oldLink, 'Olga');
    assert.equal(refused.closeCode, CloseCode.Unauthorized);
    assert.match(refused.reason, /refused this invite link: the host has replaced it.*Ask the host for the current invite link/);

    const late = await guestJoins(host, rotated.link, 'Nina');
    assert.equal(late.role, 'editor');

    // The guest that joined with the old link is still in, and a cut link resumes its place.
    assert.equal(early.state, 'connected');
    assert.ok(host.roster.some((participant) => participant.id === earlyId));
    const resumed = waitFor(early.onDidJoin, (info) => info.resumed, 'the early guest to resume');
    proxy.cut();
    const info = await resumed;
    assert.equal(info.you.id, earlyId);
    early.setPresence({ file: 'after-rotation.ts', selections: [] });
    await waitFor(host.onDidReceivePresence, (value) => value.from.id === earlyId && value.presence.file === 'after-rotation.ts', 'presence from the resumed guest');
  });

  it('a viewer link makes its guest a viewer while the main link still makes editors', async () => {
    const host = await hostSession();
    const viewerLink = await host.createInvite({ role: 'viewer' });
    assert.equal(inviteOf(viewerLink.link).role, 'viewer', 'the link carries the r= hint');
    const viewer = await guestJoins(host, viewerLink.link, 'Vera');
    assert.equal(viewer.role, 'viewer');
    const editor = await guestJoins(host, host.inviteLink!, 'Eddie');
    assert.equal(editor.role, 'editor');
  });

  it('an expiring link works until its time, then is refused with 4401 as expired', async () => {
    const host = await hostSession();
    const expiresAt = Date.now() + 1_500;
    const expiring = await host.createInvite({ expiresAt });
    assert.equal(inviteOf(expiring.link).expiresAt, expiresAt, 'the link carries the e= hint');
    await guestJoins(host, expiring.link, 'Early');
    // The relay's clock decides: wait out the expiry itself (a deadline, not a guess at timing).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
    const refused = await refusedJoin(expiring.link, 'Late');
    assert.equal(refused.closeCode, CloseCode.Unauthorized);
    assert.match(refused.reason, /it has expired\. Ask the host for a new invite link/);
    await guestJoins(host, host.inviteLink!, 'Main');
  });

  it('a host that resumes, and one that re-registers after a relay restart, keeps the rotated links', async () => {
    const host = await hostSession();
    const oldLink = host.inviteLink!;
    const rotated = await host.rotateInvite();
    const viewerLink = await host.createInvite({ role: 'viewer' });

    // Restart the host process from its saved state (resume within the window).
    const saved = host.resumeState!;
    host.dispose();
    const restored = makeClient({ relay: relay!.url, name: 'Hana', mode: { type: 'host', settings: saved.settings! }, resumeState: saved });
    const info = await restored.start();
    assert.equal(info.resumed, true);
    assert.equal(restored.inviteLink, rotated.link);

    // The relay loses everything; the host registers the session again with the rotated links.
    const port = relay!.port;
    const down = waitFor(restored.onDidChangeState, (change) => change.state === 'reconnecting', 'the host to notice the crash');
    await relay!.kill9();
    relay = undefined;
    await down;
    const back = waitFor(restored.onDidJoin, () => true, 'the host to re-register', 15_000);
    relay = await startRelay({ port });
    await back;
    const viewer = await guestJoins(restored, viewerLink.link, 'Vera');
    assert.equal(viewer.role, 'viewer');
    await guestJoins(restored, rotated.link, 'Nina');
    const refused = await refusedJoin(oldLink, 'Olga');
    assert.equal(refused.closeCode, CloseCode.Unauthorized);
  });

  it('a guest who joined with a link rotated since gets its place back after a relay restart (rejoin proof, not the link)', async () => {
    const host = await hostSession();
    const oldLink = host.inviteLink!;
    const guest = await guestJoins(host, oldLink, 'Gus');
    const guestId = guest.me!.id;
    await host.rotateInvite();

    const port = relay!.port;
    const bothDown = Promise.all([host, guest].map((client) => waitFor(client.onDidChangeState, (change) => change.state !== 'connected', 'the crash to be noticed')));
    await relay!.kill9();
    relay = undefined;
    await bothDown;
    const guestBack = waitFor(guest.onDidJoin, () => true, 'the guest to rejoin after the restart', 20_000);
    relay = await startRelay({ port });
    const info = await guestBack;
    assert.equal(info.you.id, guestId, 'the guest has its own place again');
    await waitUntil(host.onDidChangeRoster, () => host.roster.some((participant) => participant.id === guestId && participant.state === 'online'), 'the host to see the guest online', 20_000);

    // The rotated-out link itself still lets nobody new in.
    const refused = await refusedJoin(oldLink, 'Olga');
    assert.equal(refused.closeCode, CloseCode.Unauthorized);
  });
});
