/**
 * `pairline`: a headless participant. Entry point only: picks the command from the table in
 * client/cli/commands.ts, turns usage mistakes into a message and exit code 2.
 */
import { COMMANDS, overview } from './cli/commands';
import type { CliIo } from './cli/io';
import { UsageError } from './cli/options';

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.writeLine(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.writeError(`pairline: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // parseArgs throws TypeErrors with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION for bad flags.
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!usage) throw err;
    io.writeError(`pairline ${name}: ${(err as Error).message}\nRun \`pairline ${name} --help\` for usage.`);
    io.writeLine(JSON.stringify({ event: 'error', code: 'usage', message: (err as Error).message }));
    return 2;
  }
}

if (require.main === module) {
  const io: CliIo = {
    stdin: process.stdin,
    writeLine: (line) => process.stdout.write(`${line}\n`),
    writeError: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
    // stdin may still hold the process open; every event is written by now.
    process.stdout.write('', () => process.exit(code));
  }, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
