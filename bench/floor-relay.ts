/**
 * The floor: the least a WebSocket relay can do. Rooms by URL path, every frame forwarded as is to
 * the other sockets of its room. No authentication, no parsing, no sequence numbers, no limits.
 * The benchmark runs the same load through it and through Pairline, in the same run, so Pairline's
 * figures can be read as a fraction of what `ws` on this machine allows.
 *
 * Usage: node floor-relay.js [--port PORT]   (bundled by bench/main.ts; loopback only)
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const portFlag = process.argv.indexOf('--port');
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 0;

const rooms = new Map<string, Set<WebSocket>>();
const server = http.createServer((_request, response) => response.writeHead(404).end());
const sockets = new WebSocketServer({ server, perMessageDeflate: false });

sockets.on('connection', (socket, request) => {
  const room = request.url ?? '/';
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
  }
  members.add(socket);
  socket.on('message', (data, isBinary) => {
    for (const other of members) {
      if (other !== socket && other.readyState === other.OPEN) other.send(data, { binary: isBinary });
    }
  });
  socket.on('error', () => socket.terminate());
  socket.once('close', () => {
    members.delete(socket);
    if (members.size === 0) rooms.delete(room);
  });
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address() as AddressInfo;
  console.error(`floor relay listening on http://127.0.0.1:${address.port}`);
});

const stop = (): void => {
  for (const socket of sockets.clients) socket.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
