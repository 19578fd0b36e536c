/**
 * Signals right after start-up, and a stdout pipe nobody reads any more (`pairline-relay | head -1`
 * after head exited): the relay still shuts down cleanly and exits 0 on SIGTERM.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { RELAY_ENTRY } from '../support/relay-process';

/** Resolves with the exit code, or undefined if the process is still running after `timeoutMs`. */
function exitWithin(child: ChildProcess, timeoutMs: number): Promise<number | null | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function firstLine(stream: Readable, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no line on stdout within ${timeoutMs} ms`)), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve(text.slice(0, newline));
    });
  });
}

describe('relay stopped by SIGTERM', function () {
  let child: ChildProcess | undefined;
  let stderr = '';

  /** The relay on port 0, its stdout a pipe to this test; resolves with its `relay listening` line. */
  async function start(): Promise<{ relay: ChildProcess; stdout: Readable; listening: { msg?: string; url: string } }> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PAIRLINE_')));
    const relay = spawn(process.execPath, [RELAY_ENTRY, '--host', '127.0.0.1', '--port', '0'], {
      env: inherited, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = relay;
    stderr = '';
    relay.stderr?.setEncoding('utf8');
    relay.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const stdout = relay.stdout;
    if (!stdout) throw new Error('no stdout pipe');
    const listening = JSON.parse(await firstLine(stdout, 20_000)) as { msg?: string; url: string };
    assert.equal(listening.msg, 'relay listening');
    return { relay, stdout, listening };
  }

  async function terminated(relay: ChildProcess): Promise<void> {
    assert.ok(relay.kill('SIGTERM'), 'SIGTERM delivered');
    const code = await exitWithin(relay, 10_000);
    assert.notEqual(code, undefined, `the relay did not exit within 10 s of SIGTERM; stderr: ${stderr}`);
    assert.equal(code, 0, `exit code ${String(code)}, signal ${String(relay.signalCode)}; stderr: ${stderr}`);
  }

  afterEach(async function () {
    // Also when a test failed (the relay hung): stop it by its pid.
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitWithin(child, 5000);
    }
    child = undefined;
  });

  it('shuts down cleanly when signalled as soon as it announced it listens', async function () {
    const { relay } = await start();
    await terminated(relay);
  });

  it('exits 0 after the reader of its stdout went away, and says on stderr that logging stopped', async function () {
    const { relay, stdout, listening } = await start();
    // Past start-up for sure, so only the broken pipe is under test here.
    assert.equal((await fetch(`${listening.url}/healthz`)).status, 200);
    // Like `head -1` exiting: close the only read end of the pipe.
    stdout.destroy();
    await new Promise<void>((resolve) => {
      if (stdout.closed) resolve();
      else stdout.once('close', () => resolve());
    });
    await terminated(relay);
    // It did meet the broken pipe (its shutdown lines), and said so where it still could.
    assert.match(stderr, /stopped logging: stdout cannot be written \(EPIPE\)/);
  });
});
