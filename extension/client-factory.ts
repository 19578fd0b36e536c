/** The real session client: `ws` transport, the system clock and crypto-quality randomness. */
import { randomInt } from 'node:crypto';
import { systemClock } from '../client/ports';
import { SessionClient } from '../client/session-client';
import { WebSocketTransport } from '../client/ws-transport';
import type { ClientFactory } from './session-manager';

/** Identifies the extension in relay logs. */
export function createClientFactory(version: string): ClientFactory {
  const transport = new WebSocketTransport();
  return (request) => new SessionClient({
    ...request,
    transport,
    clock: systemClock,
    // Jitter only; uniform in [0, 1).
    random: () => randomInt(0, 2 ** 32) / 2 ** 32,
    clientName: `pairline-vscode/${version}`,
  });
}
