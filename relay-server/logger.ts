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

export interface LoggerOptions {
  /**
   * Called once when stdout can no longer be written (for example a pipe whose reader exited):
   * from then on log lines are dropped, and the relay carries on (and still shuts down cleanly).
   */
  readonly onOutputLost?: (error: Error) => void;
}

export function createLogger(level: LogLevel, version: string, options: LoggerOptions = {}): RelayLogger {
  // Synchronous writes, so no log line waits in memory to be flushed at exit. With pino's default
  // asynchronous destination, a stdout pipe whose reader had gone made the relay hang on SIGTERM:
  // the exit handler flushed synchronously, and that flush retries EPIPE for ever, because the
  // asynchronous write had not yet reported the broken pipe. The relay logs per connection and
  // session event, never per relayed message, so a blocking write per line costs little.
  const destination = pino.destination({ dest: 1, sync: true });
  let lost = false;
  // pino's own listener already drops writes after EPIPE; without a listener of ours, any other
  // write error would be thrown from the `error` event and end the relay over its log output.
  destination.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    destination.write = () => true;
    options.onOutputLost?.(error);
  });
  return pino({
    level,
    base: { service: 'pairline-relay', version },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }, destination);
}
