/**
 * A failure to open a connection, expressed as the close code the client should react to. A relay
 * that answers the upgrade with HTTP 401 is as final as a 4401 close; a refused TCP connect is an
 * ordinary lost link (1006) and worth retrying.
 */
import { CloseCode } from '../protocol';

/** The WebSocket code for "closed without a close frame" (never sent on the wire). */
export const ABNORMAL_CLOSURE = 1006;

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    /** The close code this failure is equivalent to. */
    readonly closeCode: number = ABNORMAL_CLOSURE,
  ) {
    super(message);
  }
}

/** The close code and sentence an HTTP refusal of the upgrade stands for. */
export function httpRefusal(status: number): TransportError {
  switch (status) {
    case 401:
      return new TransportError('the relay refused the access token', CloseCode.Unauthorized);
    case 403:
      return new TransportError('the relay refused this client (HTTP 403)', CloseCode.Forbidden);
    case 426:
      return new TransportError('the relay wants a different protocol version (HTTP 426)', CloseCode.UpgradeRequired);
    case 429:
      return new TransportError('the relay is limiting new connections (HTTP 429)', CloseCode.RateLimited);
    default:
      return new TransportError(`the relay answered HTTP ${status} instead of opening a WebSocket; check the relay URL`);
  }
}
