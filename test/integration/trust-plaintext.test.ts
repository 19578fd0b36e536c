/**
 * End-to-end encryption is on by default, and the relay never sees plaintext: a host and a guest
 * (real CLI processes) exchange presence and a document update carrying a unique marker through
 * the real relay; the marker is then searched for in the relay's logs, its /metrics and its
 * whole readable memory (UTF-8 and UTF-16). A positive control in the same scan must find
 * strings the relay is known to hold, so the test cannot pass by scanning nothing.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { CliProcess } from '../support/cli-process';
import { encodings, scanProcessMemory } from '../support/relay-memory';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('trust: the relay never holds plaintext', function () {
  this.timeout(60_000);
  let relay: RunningRelay | undefined;
  const participants: CliProcess[] = [];

  afterEach(async function () {
    await Promise.all(participants.splice(0).map((participant) => participant.stop()));
    await relay?.stop();
    relay = undefined;
  });

  it('encrypts by default: the marker is in no log, no metric and nowhere in the relay\'s memory', async function () {
    relay = await startRelay({ args: ['--log-level', 'trace'] });
    const marker = `PLAINTEXT-MARKER-${randomBytes(12).toString('hex')}`;
    const hostName = `Hana-${randomBytes(6).toString('hex')}`;
    const host = new CliProcess(['host', '--relay', relay.url, '--name', hostName]);
    participants.push(host);
    const invite = await host.waitFor((event) => event.event === 'invite', 'the invite');
    const link = String(invite.link);
    assert.match(link, /#s=[A-Za-z0-9_-]+&k=[A-Za-z0-9_-]{43}/, 'the default invite carries a payload key in its fragment');
    assert.match(String(invite.safetyCode), /^\d{4}-\d{4}-\d{4}$/);
    const guest = new CliProcess(['join', link, '--name', 'Gus']);
    participants.push(guest);
    await guest.waitFor((event) => event.event === 'joined', 'the guest joined');
    await host.waitFor((event) => event.event === 'roster' && event.change === 'joined', 'the guest on the roster');

    host.send({ cmd: 'presence', file: `src/${marker}.ts`, selections: [{ anchor: { line: 0, character: 0 }, head: { line: 0, character: 3 } }] });
    const presence = await guest.waitFor((event) => event.event === 'presence' && String(event.file).includes(marker), 'the marker presence');
    assert.equal(presence.file, `src/${marker}.ts`);
    guest.send({ cmd: 'send', kind: 'update', text: `document text with ${marker} inside` });
    const received = await host.waitFor((event) => event.event === 'received' && event.kind === 'update', 'the marker update');
    assert.equal(Buffer.from(String(received.base64), 'base64').toString('utf8'), `document text with ${marker} inside`);
    guest.send({ cmd: 'status', id: 's' });
    const status = await guest.waitFor((event) => event.event === 'result' && event.id === 's', 'the guest status');
    assert.equal(status.safetyCode, invite.safetyCode, 'both sides show the same safety code');

    const aligned = [0, 1, 2].map((shift) => Buffer.concat([Buffer.alloc(shift), Buffer.from(marker)]).toString('base64').slice(4, -4));
    const output = relay.output();
    assert.ok(output.stdout.includes(String(invite.session)), 'positive control: the relay logged the session id');
    for (const needle of [marker, ...aligned]) {
      assert.ok(!output.stdout.includes(needle) && !output.stderr.includes(needle), 'the marker is in the relay\'s logs');
    }
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.ok(!metrics.includes(marker), 'the marker is in /metrics');

    const session = String(invite.session);
    // Bodies travel as base64: a plaintext leak would show as the marker's base64 (any alignment),
    // which the second test proves the scan finds when encryption is off.
    const needles = [...encodings(marker), ...encodings(session), ...encodings(hostName), ...aligned.flatMap(encodings)];
    const scan = scanProcessMemory(relay.pid, needles);
    assert.ok(scan.bytesScanned > 10 * 1024 * 1024, `scanned only ${scan.bytesScanned} bytes`);
    assert.ok(scan.found[2] === true || scan.found[3] === true, 'positive control: the session id is in the relay\'s memory');
    assert.ok(scan.found[4] === true || scan.found[5] === true, 'positive control: the host\'s display name is in the relay\'s memory');
    assert.equal(scan.found[0], false, 'the marker (UTF-8) is in the relay\'s memory');
    assert.equal(scan.found[1], false, 'the marker (UTF-16) is in the relay\'s memory');
    assert.deepEqual(scan.found.slice(6), [false, false, false, false, false, false], 'the marker\'s base64 is in the relay\'s memory');
  });

  it('positive control for the scan itself: with --no-encrypt the marker IS found in the relay\'s memory', async function () {
    relay = await startRelay();
    const marker = `CLEAR-MARKER-${randomBytes(12).toString('hex')}`;
    const host = new CliProcess(['host', '--relay', relay.url, '--name', 'Hana', '--no-encrypt']);
    participants.push(host);
    const invite = await host.waitFor((event) => event.event === 'invite', 'the invite');
    assert.doesNotMatch(String(invite.link), /k=/);
    const guest = new CliProcess(['join', String(invite.link), '--name', 'Gus']);
    participants.push(guest);
    await guest.waitFor((event) => event.event === 'joined', 'the guest joined');
    host.send({ cmd: 'presence', file: `src/${marker}.ts`, selections: [] });
    await guest.waitFor((event) => event.event === 'presence' && String(event.file).includes(marker), 'the marker presence');
    // The relay keeps the latest presence frame (base64 of the plaintext JSON) for snapshots.
    // The marker inside base64 at each of the three byte alignments (outer characters dropped).
    const aligned = [0, 1, 2].map((shift) => Buffer.concat([Buffer.alloc(shift), Buffer.from(marker)]).toString('base64').slice(4, -4));
    const scan = scanProcessMemory(relay.pid, aligned.flatMap(encodings));
    assert.ok(scan.found.some(Boolean), 'an unencrypted body is visible in the relay\'s memory, so the scan can see bodies');
  });
});
