/** Heartbeat: pings, round-trip times, and dead-link detection of silent (half-open) links. */
import assert from 'node:assert/strict';
import { CloseCode } from '../../protocol';
import type { RoundTrip } from '../../client/api';
import { admit, joined, participant, rig } from '../support/fake-transport';

const host = participant('host1', 'Hana', 'host');

describe('client heartbeat', () => {
  it('pings every 5 s once welcomed and reports the round trip (last and mean of the last 10)', async () => {
    const r = rig();
    const trips: RoundTrip[] = [];
    r.client.onDidMeasureRoundTrip((trip) => trips.push(trip));
    void r.client.start();
    const connection = await admit(r, joined(host));
    await r.clock.advance(5_000);
    for (let i = 0; i < 12; i++) {
      const ping = connection.sentOf('ping').at(-1)!;
      assert.equal(connection.sentOf('ping').length, i + 1);
      const rtt = 10 * (i + 1);
      await r.clock.advance(rtt);
      await connection.receive({ type: 'pong', id: ping.id });
      await r.clock.advance(5_000 - rtt);
    }
    assert.equal(trips.length, 12);
    assert.equal(trips[0]?.lastMs, 10);
    assert.equal(trips.at(-1)?.lastMs, 120);
    // Mean of 30, 40, … 120.
    assert.equal(trips.at(-1)?.averageMs, 75);
    assert.deepEqual(r.client.roundTrip, trips.at(-1));
  });

  it('a link with no inbound frame for 20 s is dead: closed, then reconnecting', async () => {
    const r = rig();
    void r.client.start();
    const connection = await admit(r, joined(host));
    await r.clock.advance(19_999);
    assert.equal(r.client.state, 'connected');
    assert.ok(connection.sentOf('ping').length >= 3, 'pings went out into the void');
    await r.clock.advance(1);
    assert.equal(r.client.state, 'reconnecting');
    assert.equal(connection.closedWith?.by, 'client');
    assert.equal(connection.closedWith?.code, CloseCode.Timeout);
    assert.match(r.states.at(-1)!.reason, /no data from the relay for 20 s/);
  });

  it('any inbound frame keeps the link alive', async () => {
    const r = rig();
    void r.client.start();
    const connection = await admit(r, joined(host));
    for (let i = 0; i < 10; i++) {
      await r.clock.advance(15_000);
      const ping = connection.sentOf('ping').at(-1)!;
      await connection.receive({ type: 'pong', id: ping.id });
    }
    assert.equal(r.client.state, 'connected');
  });

  it('the bound is configurable (short timings for integration tests)', async () => {
    const r = rig({ options: { pingIntervalMs: 200, deadAfterMs: 1_000 } });
    void r.client.start();
    const connection = await admit(r, joined(host));
    await r.clock.advance(999);
    assert.equal(connection.sentOf('ping').length, 4);
    assert.equal(r.client.state, 'connected');
    await r.clock.advance(1);
    assert.equal(r.client.state, 'reconnecting');
  });

  it('a handshake that stalls after the socket opened is dead too', async () => {
    const r = rig();
    void r.client.start();
    await r.clock.advance(20_000);
    assert.equal(r.client.state, 'reconnecting');
    assert.equal(r.transport.last.sentOf('ping').length, 0, 'no pings before welcome');
  });
});
