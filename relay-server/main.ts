/**
 * `pairline-relay` / `node dist/relay.js`: reads the configuration, starts the relay, prints
 * where it listens and how to start a session, and shuts down cleanly on SIGTERM/SIGINT.
 * Logs are JSON lines on stdout; the human-readable banner goes to stderr so log shippers
 * reading stdout only ever see JSON.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, helpText, parseCommandLine, type RelayConfig } from './config';
import { createLogger } from './logger';
import { startRedisRelayState, type RedisRelayState } from './redis';
import { RelayServer } from './server';

/** The package version: package.json beside the bundle (a copied install) or one level up (dist/). */
function relayVersion(): string {
  for (const candidate of [path.join(__dirname, 'package.json'), path.join(__dirname, '..', 'package.json')]) {
    try {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'pairline' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Not there: try the next place.
    }
  }
  return 'unknown';
}

function banner(url: string, config: RelayConfig): string {
  const everywhere = config.host === '0.0.0.0' || config.host === '::';
  const relayUrl = everywhere ? url.replace(/\/\/[^:/]+|\/\/\[[^\]]+\]/, '//THIS-HOST') : url;
  const token = config.auth === 'token' ? ' --token YOUR_TOKEN' : '';
  return [
    '',
    `Pairline relay listening on ${url}${everywhere ? ' (all interfaces)' : ''}`,
    `  auth: ${config.auth}${config.auth === 'token' ? ` (${config.tokens.length} host access token${config.tokens.length === 1 ? '' : 's'})` : ' (anyone who reaches this relay can start a session)'}`,
    '',
    'Start a session:',
    `  VS Code:  set "pairline.relayUrl" to ${relayUrl}, then run "Pairline: Start Session"`,
    `  headless: pairline host --relay ${relayUrl} --name YOUR_NAME${token}`,
    '',
    `Health: ${url}/healthz   Metrics: ${url}/metrics   Stop: Ctrl+C`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`pairline-relay: ${err.message}`);
    process.exit(2);
  }
  const version = relayVersion();
  if (parsed.kind === 'help') {
    console.log(helpText());
    return;
  }
  if (parsed.kind === 'version') {
    console.log(version);
    return;
  }
  const config = parsed.config;
  const logger = createLogger(config.logLevel, version, {
    // stderr, once: stdout (a closed pipe, say) is what just failed.
    onOutputLost: (error) => console.error(`pairline-relay: stopped logging: stdout cannot be written (${(error as NodeJS.ErrnoException).code ?? error.message})`),
  });
  let shared: RedisRelayState | undefined;
  try {
    shared = config.redis !== undefined ? await startRedisRelayState(config.redis, config, logger) : undefined;
  } catch (err) {
    // The URL may carry a password: name the problem, not the URL.
    logger.fatal({ error: (err as Error).message }, 'cannot reach Redis');
    console.error(`pairline-relay: cannot reach Redis (--redis / PAIRLINE_REDIS): ${(err as Error).message}`);
    process.exit(1);
  }
  const relay = new RelayServer({ config, logger, version, ...(shared ? { store: shared.store } : {}) });
  let url: string;
  try {
    url = await relay.listen();
  } catch (err) {
    logger.fatal({ error: (err as Error).message, host: config.host, port: config.port }, 'cannot listen');
    console.error(`pairline-relay: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    relay.shutdown().then(() => shared?.close()).then(() => {
      logger.info('relay stopped');
      process.exit(0);
    }, (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // SIGHUP: read the host access tokens again (add a new token, then remove the old one).
  process.on('SIGHUP', () => {
    try {
      relay.reloadTokens();
    } catch (err) {
      logger.error({ error: (err as Error).message }, 'reloading the host access tokens failed; keeping the previous ones');
    }
  });
  // Announced only once the signal handlers are in place: whoever starts the relay may signal it as
  // soon as it reads this line, and a signal without a handler would kill it without a clean shutdown.
  logger.info({ url, auth: config.auth, heartbeatMs: config.heartbeatMs, maxPayload: config.maxPayload }, 'relay listening');
  console.error(banner(url, config));
}

main().catch((err: unknown) => {
  console.error(`pairline-relay: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
