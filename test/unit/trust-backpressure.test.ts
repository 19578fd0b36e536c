import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { Connection } from '../../relay-server/connection';
import { parseCommandLine, type RelayConfig } from '../../relay-server/config';
import { createLogger } from '../../relay-server/logger';
import { RelayMetrics } from '../../relay-server/metrics';
import type { Sessions } from '../../relay-server/sessions';
import { RejoinSecret, rejoinFields, rotatedInvite } from '../../client/rejoin';
import { hashSecret } from '../../protocol';

/** Just enough of a ws WebSocket: a settable backlog and a record of what was sent. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  onSend: (() => void) | undefined;
  send(frame: string): void {
    this.sent.push(frame);
    this.onSend?.();
  }
  close(): void {
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
  }
}

function config(): RelayConfig {
  const parsed = parseCommandLine(['--max-payload', '1024', '--preauth-timeout-ms', '60000'], {});
  if (parsed.kind !== 'run') throw new Error('unexpected');
  return parsed.config;
}

describe('trust: backpressure coalesces presence per sender', function () {
  it('keeps only the latest presence of each sender for a slow reader and sends it once it catches up', async function () {
    const socket = new FakeSocket();
    const metrics = new RelayMetrics({ sessions: () => 0, participants: () => 0 });
    const connection = new Connection({
      socket: socket as unknown as WebSocket, sessions: {} as Sessions, config: config(), logger: createLogger('silent', 'test'),
      metrics, relayVersion: 'test', tokenHash: undefined,
    });
    try {
      socket.bufferedAmount = 4096;
      for (const position of [1, 2, 3]) connection.sendFrame(`alice@${position}`, 'relayed:presence', 'alice');
      connection.sendFrame('bob@1', 'relayed:presence', 'bob');
      assert.deepEqual(socket.sent, []);
      const flushed = new Promise<void>((resolve) => {
        socket.onSend = () => {
          if (socket.sent.length === 2) resolve();
        };
      });
      socket.bufferedAmount = 0;
      await flushed;
      assert.deepEqual(socket.sent.sort(), ['alice@3', 'bob@1']);
      assert.equal((await metrics.presenceCoalesced.get()).values[0]?.value, 2);
      // Document frames are never skipped, whatever the backlog.
      socket.bufferedAmount = 4096;
      connection.sendFrame('update', 'relayed:update', 'alice');
      assert.equal(socket.sent.at(-1), 'update');
    } finally {
      connection.terminate();
      socket.emit('close', 1000);
    }
  });
});

describe('trust: client rejoin helpers', function () {
  it('sends the hash on a first join and the secret when claiming an id', function () {
    const rejoin = new RejoinSecret();
    assert.deepEqual(rejoinFields(rejoin, undefined), { rejoinHash: hashSecret(rejoin.secret) });
    assert.equal(rejoinFields(rejoin, 'guest123').rejoinSecret, rejoin.secret);
    const rotated = rotatedInvite([{ hash: hashSecret('x'.repeat(22)), role: 'viewer' }]);
    assert.equal(rotated.message.inviteHash, hashSecret(rotated.secret));
    assert.equal(rotated.message.invites?.[0]?.role, 'viewer');
  });
});
