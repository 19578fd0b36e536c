/** The wire protocol version this build speaks. Bumped only for incompatible changes. */
export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocol a client offers; the relay echoes it back when it accepts. */
export const SUBPROTOCOL = `pairline.v${PROTOCOL_VERSION}`;

/** Prefix of the subprotocol entry that carries a bearer token (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** Path of the WebSocket endpoint, relative to the relay's base URL. */
export const WEBSOCKET_PATH = '/ws';

/** Path prefix of the invite landing page served by the relay. */
export const JOIN_PATH = '/join/';
