/**
 * Close codes shared by relay and clients. Every refusal the relay makes closes with one of these,
 * and a client reacts to each differently (see {@link closePolicy}).
 */
export const CloseCode = {
  /** The participant left or the client shut down on purpose. */
  Normal: 1000,
  /** The relay is shutting down (deploy, restart); reconnect to its successor at once. */
  GoingAway: 1001,
  /**
   * The WebSocket layer refused abusive framing: a message split into more fragments than the
   * relay allows (set by `ws`).
   */
  PolicyViolation: 1008,
  /** A frame exceeded the relay's hard WebSocket payload limit (twice max-payload; set by `ws`). */
  MessageTooBig: 1009,
  /** The relay hit an unexpected error; reconnecting usually helps. */
  InternalError: 1011,
  /** A frame was not valid JSON, not in the catalogue, failed its schema or came out of order. */
  BadMessage: 4400,
  /** Missing or invalid credentials: host token, invite secret. */
  Unauthorized: 4401,
  /** Authenticated but not allowed: denied by the host, removed, wrong host secret. */
  Forbidden: 4403,
  /** The session is not on this relay (yet): after a relay restart the host has not re-registered. */
  NoSuchSession: 4404,
  /** A deadline passed: no hello before the pre-auth deadline, or the host never answered a knock. */
  Timeout: 4408,
  /** The session already has its maximum number of participants. */
  SessionFull: 4409,
  /** The host ended the session. */
  SessionEnded: 4410,
  /** A message exceeded the size cap for its kind. */
  TooBig: 4413,
  /** The client speaks a protocol version this relay does not. */
  UpgradeRequired: 4426,
  /** The connection sent more than its rate limit allows. */
  RateLimited: 4429,
  /** Another connection resumed this participant (for example a second window); this one is stale. */
  Replaced: 4440,
  /** The connection fell too far behind on messages it had to receive; reconnect and resync. */
  TooSlow: 4508,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

/** What a client does after a close. */
export type CloseAction =
  /** Reconnect with backoff (and resume). */
  | 'retry'
  /** Reconnect at once, without waiting for backoff. */
  | 'retry-now'
  /** The session is not on the relay: keep retrying with backoff and show "Waiting for the host…". */
  | 'wait-for-host'
  /** Stop; retrying cannot help. Tell the person why. */
  | 'stop';

export interface ClosePolicy {
  readonly action: CloseAction;
  /** A sentence a person can act on. */
  readonly explanation: string;
}

const codeNames = new Map<number, CloseCodeName>(
  Object.entries(CloseCode).map(([name, code]) => [code, name as CloseCodeName]),
);

/** The constant's name for a code, e.g. `Unauthorized` for 4401, or undefined when unknown. */
export function closeCodeName(code: number): CloseCodeName | undefined {
  return codeNames.get(code);
}

/**
 * How a client should react to a close, and the sentence to show. `reason` is the relay's close
 * reason; it refines the sentence but never decides the action, so a client stays predictable.
 */
export function closePolicy(code: number, reason = ''): ClosePolicy {
  const detail = reason ? ` (${reason})` : '';
  switch (code) {
    case CloseCode.Normal:
      return { action: 'stop', explanation: 'You left the session.' };
    case CloseCode.GoingAway:
      return { action: 'retry-now', explanation: 'The relay is restarting; reconnecting.' };
    case CloseCode.PolicyViolation:
      return { action: 'retry', explanation: `The relay refused how a message was framed${detail}; reconnecting.` };
    case CloseCode.MessageTooBig:
    case CloseCode.TooBig:
      return { action: 'retry', explanation: `A message was too large for the relay${detail}; reconnecting and resyncing.` };
    case CloseCode.InternalError:
      return { action: 'retry', explanation: `The relay hit an internal error${detail}; reconnecting.` };
    case CloseCode.BadMessage:
      return { action: 'retry', explanation: `The relay rejected a malformed message${detail}; reconnecting. If this repeats, update Pairline and report it.` };
    case CloseCode.Unauthorized:
      return { action: 'stop', explanation: `The relay refused the credentials${detail}. Check your relay access token, or ask the host for a new invite link.` };
    case CloseCode.Forbidden:
      return { action: 'stop', explanation: `The relay did not let you in${detail}. Ask the host for a new invite if you should be in this session.` };
    case CloseCode.NoSuchSession:
      return { action: 'wait-for-host', explanation: 'The session is not on the relay yet. Waiting for the host…' };
    case CloseCode.Timeout:
      return { action: 'retry', explanation: `The relay timed out waiting${detail}; reconnecting.` };
    case CloseCode.SessionFull:
      return { action: 'stop', explanation: `The session is full${detail}. Ask the host to remove someone or raise the relay's participant limit.` };
    case CloseCode.SessionEnded:
      // The relay's usual reason repeats the sentence; other reasons (the host never came back) add to it.
      return { action: 'stop', explanation: reason && !/^the host ended/i.test(reason) ? `The session ended: ${reason}.` : 'The host ended the session.' };
    case CloseCode.UpgradeRequired:
      return { action: 'stop', explanation: `This relay speaks a different Pairline protocol${detail}. Update the Pairline extension (or ask the relay's operator to update the relay).` };
    case CloseCode.RateLimited:
      return { action: 'retry', explanation: `Too many messages too fast${detail}; the relay paused this connection. Reconnecting.` };
    case CloseCode.Replaced:
      return { action: 'stop', explanation: 'This session was resumed from another window; this one has stopped. Use the other window, or rejoin here.' };
    case CloseCode.TooSlow:
      return { action: 'retry', explanation: 'The connection fell too far behind; reconnecting and resyncing.' };
    default:
      return { action: 'retry', explanation: `The connection to the relay was lost${detail}; reconnecting.` };
  }
}
