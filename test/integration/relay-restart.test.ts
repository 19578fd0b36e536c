/**
 * Soft state: after a relay restart (kill -9, same port) the host re-registers its session with
 * the roster it knows, and guests rejoin with their previous ids and get their roles back.
 */
import { strict as assert } from 'node:assert';
import { CloseCode } from '../../protocol';
import { body, closeAll, connectHello, hostSession, joinSession, text, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay restart', function () {
  let relay: RunningRelay | undefined;
  const clients: RawClient[] = [];

  afterEach(async function () {
    closeAll(...clients.splice(0));
    await relay?.kill9();
  });

  it('brings host and guests back to the same session with the same ids, roles and colours', async function () {
    relay = await startRelay();
    const port = relay.port;
    const host = await hostSession(relay.wsUrl, { name: 'Hana' });
    const editor = await joinSession(relay.wsUrl, host.secrets, 'Eddie');
    const viewerFirst = await joinSession(relay.wsUrl, host.secrets, 'Vera');
    clients.push(host.client, editor.client, viewerFirst.client);
    host.client.send({ type: 'set-role', participant: viewerFirst.joined.you.id, role: 'viewer' });
    await viewerFirst.client.nextWhere((m) => m.type === 'roster' && m.participant.role === 'viewer', 'role change');

    await relay.kill9();
    for (const client of [host.client, editor.client, viewerFirst.client]) assert.equal((await client.waitClosed()).code, 1006);
    relay = await startRelay({ port });
    assert.equal(relay.port, port);

    // A guest that comes back before the host: the session is not here yet.
    const early = await connectHello(relay.wsUrl);
    clients.push(early);
    early.send({ type: 'join', session: host.secrets.session, inviteSecret: host.secrets.inviteSecret, name: 'Eddie', participant: editor.joined.you.id });
    assert.equal((await early.waitClosed()).code, CloseCode.NoSuchSession);

    const roster = [editor, viewerFirst].map(({ joined }) => ({
      id: joined.you.id, name: joined.you.name, color: joined.you.color,
      role: joined.you.id === viewerFirst.joined.you.id ? 'viewer' as const : 'editor' as const,
    }));
    const hostAgain = await hostSession(relay.wsUrl, { secrets: host.secrets, name: 'Hana', participant: host.joined.you.id, roster });
    clients.push(hostAgain.client);
    assert.equal(hostAgain.joined.you.id, host.joined.you.id);
    assert.deepEqual(hostAgain.joined.roster.filter((p) => p.role !== 'host').map((p) => p.state), ['reconnecting', 'reconnecting']);

    const editorAgain = await joinSession(relay.wsUrl, host.secrets, 'Eddie', editor.joined.you.id);
    const viewerAgain = await joinSession(relay.wsUrl, host.secrets, 'Vera', viewerFirst.joined.you.id);
    clients.push(editorAgain.client, viewerAgain.client);
    assert.equal(editorAgain.joined.you.id, editor.joined.you.id);
    assert.equal(editorAgain.joined.you.role, 'editor');
    assert.equal(editorAgain.joined.you.color, editor.joined.you.color);
    assert.equal(viewerAgain.joined.you.id, viewerFirst.joined.you.id);
    assert.equal(viewerAgain.joined.you.role, 'viewer');
    assert.equal(viewerAgain.joined.you.color, viewerFirst.joined.you.color);

    // The viewer is still a viewer at the relay, and presence flows again.
    viewerAgain.client.send({ type: 'send', kind: 'update', body: body('not allowed') });
    assert.equal((await viewerAgain.client.next('error')).code, 'forbidden');
    editorAgain.client.send({ type: 'send', kind: 'presence', body: body('cursor after restart') });
    const presence = await hostAgain.client.nextWhere((m) => m.type === 'relayed', 'presence');
    assert.equal(presence.type === 'relayed' && text(presence.body), 'cursor after restart');
    assert.equal(presence.type === 'relayed' && presence.from, editor.joined.you.id);
  });

  it('does not hand a restored place to a guest with a wrong invite secret', async function () {
    relay = await startRelay();
    const host = await hostSession(relay.wsUrl, { roster: [{ id: 'guest-placeholder', name: 'Old', role: 'editor', color: 3 }] });
    clients.push(host.client);
    const thief = await connectHello(relay.wsUrl);
    clients.push(thief);
    thief.send({ type: 'join', session: host.secrets.session, inviteSecret: 'W'.repeat(43), name: 'Thief', participant: 'guest-placeholder' });
    assert.equal((await thief.waitClosed()).code, CloseCode.Unauthorized);
  });
});
