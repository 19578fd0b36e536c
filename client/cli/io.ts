/**
 * The CLI's edges: one JSON object per line out (events), a levelled JSON logger on stderr, and
 * the process handles a command needs, passed in so tests can run commands in-process.
 */
import type { Logger } from '../ports';

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  /** Writes one line; the CLI never writes anything else to stdout. */
  writeLine(line: string): void;
  writeError(text: string): void;
  readonly env: NodeJS.ProcessEnv;
}

/** Writes events: `{"event": NAME, ...fields}` with undefined fields left out. */
export class EventWriter {
  constructor(private readonly io: CliIo) {}

  emit(event: string, fields: Record<string, unknown> = {}): void {
    this.io.writeLine(JSON.stringify({ event, ...fields }));
  }
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/** JSON lines on stderr at `level` and above; stdout stays for events only. */
export function stderrLogger(io: CliIo, level: LogLevel): Logger {
  const threshold = LEVELS.indexOf(level);
  const at = (name: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(name) < threshold) return;
    io.writeError(JSON.stringify({ time: new Date().toISOString(), level: name, msg: message, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
