/**
 * The extension's one log sink is a LogOutputChannel; this adapts it to the client's Logger port.
 * Field values whose names suggest a secret are replaced, as a second line of defence behind the
 * rule that nobody passes secrets to a logger.
 */
import type * as vscode from 'vscode';
import type { Logger } from '../client/ports';

const SECRET_FIELD = /token|secret|key|password|invite|authorization/i;

export function clientLogger(channel: vscode.LogOutputChannel, scope = 'client'): Logger {
  const line = (message: string, fields?: Record<string, unknown>) => `[${scope}] ${message}${formatFields(fields)}`;
  return {
    debug: (message, fields) => channel.debug(line(message, fields)),
    info: (message, fields) => channel.info(line(message, fields)),
    warn: (message, fields) => channel.warn(line(message, fields)),
    error: (message, fields) => channel.error(line(message, fields)),
  };
}

export function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const safe: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    safe[name] = SECRET_FIELD.test(name) ? '[redacted]' : value instanceof Error ? value.message : value;
  }
  try {
    return ` ${JSON.stringify(safe)}`;
  } catch {
    return ' [unserialisable fields]';
  }
}

/** A message for the log from anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
