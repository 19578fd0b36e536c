/** `pairline` argument handling, in-process (no sockets): help, usage errors and their exit codes. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../../client/cli';
import type { CliIo } from '../../client/cli/io';
import { participantSettings } from '../../client/cli/options';

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdin: new PassThrough(), writeLine: (line) => out.push(line), writeError: (text) => err.push(text), env, out, err };
}

describe('pairline CLI arguments', () => {
  it('--help lists the commands and exits 0; no command exits 2', async () => {
    const help = io();
    assert.equal(await main(['--help'], help), 0);
    assert.match(help.out.join('\n'), /host .*invite link/);
    assert.match(help.out.join('\n'), /join .*invite link/);
    assert.equal(await main([], io()), 2);
  });

  it('each command has its own --help', async () => {
    const host = io();
    assert.equal(await main(['host', '--help'], host), 0);
    assert.match(host.out[0]!, /--approval auto\|prompt/);
    assert.match(host.out[0]!, /--no-encrypt/);
  });

  for (const [args, pattern] of [
    [['host', '--name', 'Hana'], /--relay URL is required/],
    [['host', '--relay', 'http://127.0.0.1:1'], /--name NAME is required/],
    [['host', '--relay', 'http://127.0.0.1:1', '--name', 'Hana', '--approval', 'maybe'], /--approval must be auto or prompt/],
    [['host', '--relay', 'http://127.0.0.1:1', '--name', 'Hana', '--bogus'], /Unknown option/],
    [['host', '--relay', 'http://127.0.0.1:1', '--name', 'Hana', '--folder', '/definitely/not/here'], /is not a directory/],
    [['join', 'https://example.com/nope', '--name', 'Gus'], /not a Pairline invite/],
    [['join', '--name', 'Gus'], /exactly one invite link/],
    [['fly'], /unknown command "fly"/],
  ] as const) {
    it(`usage error for ${args.join(' ')}`, async () => {
      const streams = io();
      assert.equal(await main([...args], streams), 2);
      assert.match(streams.err.join('\n'), pattern);
      if (args[0] !== 'fly') {
        const event = JSON.parse(streams.out.at(-1)!) as { event: string; code: string };
        assert.deepEqual([event.event, event.code], ['error', 'usage']);
      }
    });
  }

  it('takes the token and timing knobs from the environment, flags winning', () => {
    const settings = participantSettings({ name: 'Hana', 'ping-ms': '300' }, io({
      PAIRLINE_TOKEN: 'env-token', PAIRLINE_PING_MS: '999', PAIRLINE_DEAD_AFTER_MS: '1500', PAIRLINE_BACKOFF_BASE_MS: '50',
    }));
    assert.equal(settings.token, 'env-token');
    assert.deepEqual(settings.timings, { pingIntervalMs: 300, deadAfterMs: 1_500, backoff: { baseMs: 50, capMs: 10_000 } });
    assert.throws(() => participantSettings({ name: 'Hana', 'dead-after-ms': 'soon' }, io()), /whole number/);
  });
});
