/**
 * A load generator process, forked by bench/main.ts. It owns a share of the participants and
 * answers the orchestrator's requests over IPC (bench/worker-protocol.ts). It exits when the
 * orchestrator goes away, so no generator outlives a run.
 */
import { FanoutLoad } from './fanout-load';
import { StormClients } from './storm-clients';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';

const fanout = new FanoutLoad();
const storm = new StormClients();

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'connect':
      return fanout.connect(request.target, request.sessions, request.bodyPad);
    case 'run':
      return fanout.run(request.plan);
    case 'disconnect':
      return fanout.disconnect();
    case 'storm-setup':
      return storm.setup(request.relay, request.sessions);
    case 'storm-arm':
      return storm.arm();
    case 'storm-wait':
      return storm.wait(request.timeoutMs);
    case 'storm-stop':
      return storm.stop();
    default: {
      const unreachable: never = request;
      throw new Error(`unknown request ${JSON.stringify(unreachable)}`);
    }
  }
}

function reply(response: WorkerResponse): void {
  process.send?.(response);
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (result) => reply({ id: request.id, ok: true, result: result ?? null }),
    (err: unknown) => reply({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
// Errors of sockets that are being torn down are expected under load; report, never crash silently.
process.on('uncaughtException', (err) => {
  console.error(`load worker ${process.pid}: ${err.stack ?? err.message}`);
});
