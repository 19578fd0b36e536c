/**
 * The `pairline` command table. Each command lives in its own file and is listed here; a feature
 * that adds a command (say `pairline files`) adds one entry.
 */
import type { CliIo } from './io';
import { hostCommand } from './host';
import { joinCommand } from './join';

export interface CliCommand {
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** Full help text for `pairline NAME --help`. */
  readonly help: string;
  /** Runs the command; resolves with the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

export const COMMANDS: readonly CliCommand[] = [hostCommand, joinCommand];

export function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'pairline: a headless Pairline participant speaking JSON lines (commands on stdin, events on stdout).',
    '',
    'Usage: pairline COMMAND [options]',
    '',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `pairline COMMAND --help` for its options. Documentation: docs/CLI.md.',
  ].join('\n');
}
