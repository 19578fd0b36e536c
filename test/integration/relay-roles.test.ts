/**
 * Roles enforced at the relay: viewers cannot send writes, only the host approves, changes roles
 * and removes; removal kills the participant's resume token.
 */
import { strict as assert } from 'node:assert';
import { CloseCode } from '../../protocol';
import { body, closeAll, connectHello, hostSession, joinSession, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay roles', function () {
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

  async function viewerSession() {
    const host = await hostSession(relay.wsUrl, { settings: { approval: 'auto', defaultRole: 'viewer' } });
    const viewer = await joinSession(relay.wsUrl, host.secrets, 'Vera');
    const editorHost = host;
    clients.push(host.client, viewer.client);
    await host.client.next('roster');
    assert.equal(viewer.joined.you.role, 'viewer');
    return { host: editorHost, viewer };
  }

  it('refuses a viewer\'s edits with a forbidden error while the session keeps working', async function () {
    const { host, viewer } = await viewerSession();
    for (const kind of ['update', 'file-write'] as const) {
      viewer.client.send({ type: 'send', kind, body: body('evil edit') });
      const error = await viewer.client.next('error');
      assert.equal(error.code, 'forbidden');
      assert.match(error.message, /Viewers cannot edit/);
      assert.equal(error.ref, 'send');
    }
    // Non-write kinds still flow, and nothing of the refused edits reached the host.
    viewer.client.send({ type: 'send', kind: 'presence', body: body('cursor') });
    viewer.client.send({ type: 'send', kind: 'sync', body: body('state vector') });
    const first = await host.client.next('relayed');
    const second = await host.client.next('relayed');
    assert.deepEqual([first.kind, second.kind], ['presence', 'sync']);
    await host.client.flush();
    assert.ok(!host.client.received.some((m) => m.type === 'relayed' && (m.kind === 'update' || m.kind === 'file-write')));
  });

  it('lets the host promote a viewer; everyone sees the role change', async function () {
    const { host, viewer } = await viewerSession();
    host.client.send({ type: 'set-role', participant: viewer.joined.you.id, role: 'editor' });
    const own = await viewer.client.next('roster');
    assert.equal(own.change, 'updated');
    assert.equal(own.participant.role, 'editor');
    assert.equal((await host.client.next('roster')).participant.role, 'editor');
    viewer.client.send({ type: 'send', kind: 'update', body: body('allowed now') });
    assert.equal((await host.client.next('relayed')).kind, 'update');
  });

  it('answers host-only commands from a guest with not-host', async function () {
    const { host, viewer } = await viewerSession();
    for (const command of [
      { type: 'set-role', participant: viewer.joined.you.id, role: 'editor' },
      { type: 'remove', participant: host.joined.you.id },
      { type: 'approve', participant: viewer.joined.you.id, role: 'editor' },
      { type: 'deny', participant: viewer.joined.you.id },
      { type: 'end' },
    ]) {
      viewer.client.send(command);
      assert.equal((await viewer.client.next('error')).code, 'not-host', command.type);
    }
    await host.client.flush();
    assert.equal(viewer.client.socket.readyState, viewer.client.socket.OPEN);
  });

  it('answers unknown ids with unknown-participant', async function () {
    const { host } = await viewerSession();
    host.client.send({ type: 'set-role', participant: 'nobody-here', role: 'editor' });
    assert.equal((await host.client.next('error')).code, 'unknown-participant');
    host.client.send({ type: 'remove', participant: 'nobody-here' });
    assert.equal((await host.client.next('error')).code, 'unknown-participant');
    host.client.send({ type: 'approve', participant: 'nobody-here', role: 'editor' });
    assert.equal((await host.client.next('error')).code, 'unknown-participant');
  });

  it('removes a participant: closed 4403, roster left "removed", its resume token dead', async function () {
    const { host, viewer } = await viewerSession();
    host.client.send({ type: 'remove', participant: viewer.joined.you.id });
    const closed = await viewer.client.waitClosed();
    assert.equal(closed.code, CloseCode.Forbidden);
    assert.equal(closed.reason, 'removed by the host');
    const left = await host.client.next('roster');
    assert.equal(left.change, 'left');
    assert.equal(left.reason, 'removed');

    const comeback = await connectHello(relay.wsUrl);
    clients.push(comeback);
    comeback.send({ type: 'resume', session: host.secrets.session, resumeToken: viewer.joined.resumeToken, lastSeq: 0 });
    const refused = await comeback.waitClosed();
    assert.equal(refused.code, CloseCode.Forbidden);
    assert.match(refused.reason, /removed you/);
  });
});
