/**
 * The relay's single log sink: pino JSON lines on stdout. Call sites log ids, codes and sizes,
 * never tokens, secrets or bodies; the redaction list is a second line of defence in case a
 * whole message object is ever logged by mistake.
 */
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type RelayLogger = Logger;

const REDACTED_PATHS = [
  'token', 'hostSecret', 'inviteSecret', 'inviteHash', 'resumeToken', 'body', 'authorization',
  '*.token', '*.hostSecret', '*.inviteSecret', '*.inviteHash', '*.resumeToken', '*.body', '*.authorization',
  'headers.authorization', 'headers["sec-websocket-protocol"]',
];

export function createLogger(level: LogLevel, version: string): RelayLogger {
  return pino({
    level,
    base: { service: 'pairline-relay', version },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
