/**
 * Temporary stub so test/support/relay-process.ts can be built against; the real relay follows.
 */
import * as http from 'node:http';

const args = process.argv.slice(2);
const host = args[args.indexOf('--host') + 1] ?? '127.0.0.1';
const port = Number(args[args.indexOf('--port') + 1] ?? 8787);
const server = http.createServer((_request, response) => {
  response.end('ok');
});
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ level: 30, msg: 'relay listening', url: `http://${host}:${actual}` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
