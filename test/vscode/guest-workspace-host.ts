/**
 * The host for the guest-workspace runs (bundled and started by guest-workspace-run.mjs, outside
 * the VS Code windows so it outlives their reloads): a SessionClient hosting a session on the
 * relay plus a HostFileServer over one folder — what the extension does for a host window. The
 * `pairline` CLI does not serve a folder, hence this small script.
 *
 *   node guest-workspace-host.js RELAY_URL FOLDER STATE_DIR
 *
 * Prints JSON lines on stdout and appends them to STATE_DIR/host-events.jsonl (so suites inside
 * the window can read them): invite, roster, state, presence. Takes commands as JSON lines
 * appended to STATE_DIR/host-commands.jsonl (the suites write them): presence, role.
 * SIGTERM leaves and exits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HostFileServer } from '../../client/files/host-file-server';
import { silentLogger, systemClock } from '../../client/ports';
import { SessionClient } from '../../client/session-client';
import { WebSocketTransport } from '../../client/ws-transport';
import type { Selection } from '../../protocol';

const [relay, folder, stateDir] = process.argv.slice(2);
if (!relay || !folder || !stateDir) {
  console.error('usage: guest-workspace-host.js RELAY_URL FOLDER STATE_DIR');
  process.exit(2);
}
const eventsFile = path.join(stateDir, 'host-events.jsonl');
const commandsFile = path.join(stateDir, 'host-commands.jsonl');

const emit = (event: string, fields: Record<string, unknown>) => {
  const line = JSON.stringify({ event, ...fields });
  console.log(line);
  fs.appendFileSync(eventsFile, `${line}\n`);
};

const client = new SessionClient({
  relay,
  name: 'Hana the Host',
  mode: { type: 'host', settings: { approval: 'auto', defaultRole: 'editor' }, encrypt: true },
  transport: new WebSocketTransport(),
  clock: systemClock,
  random: Math.random,
  logger: silentLogger,
  clientName: 'pairline-guest-workspace-test-host',
});

let server: HostFileServer | undefined;
let announced = false;
client.onDidJoin((info) => {
  if (!announced) {
    announced = true;
    HostFileServer.create(client, { folders: [{ path: folder }], changeDebounceMs: 50 }).then((created) => {
      server = created;
      emit('invite', { link: client.inviteLink, session: info.session });
    }, (error: unknown) => {
      emit('error', { message: String(error) });
      process.exit(1);
    });
  }
});
client.onDidChangeRoster((change) => emit('roster', {
  change: change.change, id: change.participant.id, name: change.participant.name, role: change.participant.role, state: change.participant.state,
}));
client.onDidChangeState((change) => emit('state', { state: change.state, reason: change.reason }));

client.onDidReceivePresence(({ from, presence }) => emit('presence', { from: from.id, file: presence.file, selections: presence.selections }));

interface Command { cmd?: string; file?: string; selections?: Selection[]; participant?: string; role?: 'editor' | 'viewer' }
let done = 0;
fs.writeFileSync(commandsFile, '');
const readCommands = () => {
  const lines = fs.readFileSync(commandsFile, 'utf8').split('\n').filter((line) => line.trim() !== '');
  for (const line of lines.slice(done)) {
    const command = JSON.parse(line) as Command;
    if (command.cmd === 'presence') client.setPresence({ ...(command.file ? { file: command.file } : {}), selections: command.selections ?? [] });
    if (command.cmd === 'role' && command.participant && command.role) client.setRole(command.participant, command.role);
  }
  done = lines.length;
};
fs.watchFile(commandsFile, { interval: 100 }, readCommands);

const keepAlive = setInterval(() => undefined, 1 << 30);
const stop = () => {
  fs.unwatchFile(commandsFile);
  server?.dispose();
  void client.leave().finally(() => {
    clearInterval(keepAlive);
    client.dispose();
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
client.start().catch((error: unknown) => {
  emit('error', { message: String(error) });
  process.exit(1);
});
