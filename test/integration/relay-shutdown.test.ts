/**
 * Shutdown: SIGTERM closes every socket with 1001 and the process exits within its timeout.
 */
import { strict as assert } from 'node:assert';
import { CloseCode } from '../../protocol';
import { closeAll, connectHello, hostSession, joinSession, refusedUpgrade, type RawClient } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay shutdown', function () {
  let relay: RunningRelay | undefined;
  const clients: RawClient[] = [];

  afterEach(async function () {
    closeAll(...clients.splice(0));
    await relay?.kill9();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`closes every client with 1001 on ${signal} and exits 0`, async function () {
      relay = await startRelay({ args: ['--shutdown-timeout-ms', '5000'] });
      const host = await hostSession(relay.wsUrl);
      const guest = await joinSession(relay.wsUrl, host.secrets);
      const idle = await connectHello(relay.wsUrl);
      clients.push(host.client, guest.client, idle);
      const started = Date.now();
      const exited = relay.stop(signal);
      for (const client of [host.client, guest.client, idle]) {
        const closed = await client.waitClosed();
        assert.equal(closed.code, CloseCode.GoingAway);
        assert.equal(closed.reason, 'relay shutting down');
      }
      assert.equal(await exited, 0);
      assert.ok(!relay.logs.some((line) => line.msg === 'shutdown timeout: cutting the remaining connections'), 'every client closed cleanly, nobody was cut');
      assert.ok(Date.now() - started < 10_000);
    });
  }

  it('reports not ready and refuses upgrades while draining, cuts a client that never answers, exits in time', async function () {
    relay = await startRelay({ args: ['--shutdown-timeout-ms', '1500'] });
    const stubborn = await connectHello(relay.wsUrl);
    clients.push(stubborn);
    // Stop reading: the closing handshake can never complete from this side.
    (stubborn.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    const exited = relay.stop();
    await relay.waitForLog((line) => line.msg === 'shutting down');
    const ready = await fetch(`${relay.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await refusedUpgrade(relay.wsUrl)).status, 503);
    assert.equal(await exited, 0);
    const elapsed = Date.now() - started;
    assert.ok(relay.logs.some((line) => line.msg === 'shutdown timeout: cutting the remaining connections'));
    assert.ok(elapsed >= 1000 && elapsed < 8000, `exited after ${elapsed} ms`);
  });
});
