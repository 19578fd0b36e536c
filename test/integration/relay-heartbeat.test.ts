/**
 * Heartbeat: the relay pings every connection and terminates one that stops answering; a peer
 * that answers stays. Short intervals so the test takes well under a second of reaping.
 */
import { strict as assert } from 'node:assert';
import { closeAll, hostSession, joinSession, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay heartbeat', function () {
  let relay: RunningRelay;
  const clients: RawClient[] = [];

  before(async function () {
    relay = await startRelay({ args: ['--heartbeat-ms', '100', '--dead-after-ms', '350'] });
  });
  after(async function () {
    await relay?.stop();
  });
  afterEach(function () {
    closeAll(...clients.splice(0));
  });

  it('announces its heartbeat interval in welcome', async function () {
    const host = await hostSession(relay.wsUrl);
    clients.push(host.client);
    const welcome = host.client.received.find((m) => m.type === 'welcome');
    assert.equal(welcome?.type === 'welcome' && welcome.heartbeatMs, 100);
  });

  it('reaps a peer that stops answering pings and shows it as reconnecting', async function () {
    const host = await hostSession(relay.wsUrl);
    clients.push(host.client);
    // A guest whose socket never answers the relay's pings (a half-open link, as seen by the relay).
    const guest = await joinSession(relay.wsUrl, host.secrets, 'Silent', undefined, { autoPong: false });
    clients.push(guest.client);
    await host.client.next('roster');
    const started = Date.now();
    const closed = await guest.client.waitClosed(8000);
    assert.equal(closed.code, 1006, 'terminated without a closing handshake');
    const elapsed = Date.now() - started;
    // Not before dead-after (350 ms); the upper bound leaves room for a loaded machine.
    assert.ok(elapsed >= 300 && elapsed < 6000, `reaped after ${elapsed} ms`);
    const change = await host.client.next('roster');
    assert.equal(change.participant.id, guest.joined.you.id);
    assert.equal(change.participant.state, 'reconnecting');
    // The host, which answers pings, is still connected well past the dead-after bound.
    await host.client.flush();
    assert.equal(host.client.socket.readyState, host.client.socket.OPEN);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /pairline_heartbeat_rtt_seconds_count [1-9]/);
  });
});
