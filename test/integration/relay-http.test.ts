/**
 * HTTP endpoints: health, readiness, Prometheus metrics, the invite landing page.
 */
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import { CloseCode } from '../../protocol';
import { body, closeAll, connectHello, hostSession, joinSession, refusedUpgrade } from '../support/relay-client';
import { startRelay, type RunningRelay } from '../support/relay-process';

describe('relay HTTP endpoints', function () {
  let relay: RunningRelay;

  before(async function () {
    relay = await startRelay();
  });
  after(async function () {
    await relay?.stop();
  });

  it('GET /healthz and /readyz answer 200', async function () {
    const health = await fetch(`${relay.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${relay.url}/readyz`);
    assert.equal(ready.status, 200);
  });

  it('GET /metrics exposes connections, sessions, messages, bytes, closes and refusals', async function () {
    const host = await hostSession(relay.wsUrl);
    const guest = await joinSession(relay.wsUrl, host.secrets);
    guest.client.send({ type: 'send', kind: 'update', body: body('x') });
    await host.client.next('relayed');
    const bad = await connectHello(relay.wsUrl);
    bad.send('{oops');
    assert.equal((await bad.waitClosed()).code, CloseCode.BadMessage);
    assert.equal((await refusedUpgrade(relay.wsUrl, { query: '?token=x' })).status, 400);
    const response = await fetch(`${relay.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const metrics = await response.text();
    assert.match(metrics, /^pairline_connections [1-9]/m);
    assert.match(metrics, /^pairline_sessions [1-9]/m);
    assert.match(metrics, /^pairline_participants [1-9]/m);
    assert.match(metrics, /^pairline_messages_in_total\{type="send:update"\} [1-9]/m);
    assert.match(metrics, /^pairline_messages_out_total\{type="relayed:update"\} [1-9]/m);
    assert.match(metrics, /^pairline_bytes_in_total [1-9]/m);
    assert.match(metrics, /^pairline_bytes_out_total [1-9]/m);
    assert.match(metrics, /^pairline_closes_total\{code="4400",name="BadMessage"\} 1/m);
    assert.match(metrics, /^# TYPE pairline_heartbeat_rtt_seconds histogram/m);
    assert.match(metrics, /^pairline_upgrade_refusals_total\{status="400"\} 1/m);
    closeAll(host.client, guest.client);
  });

  it('serves the invite landing page with a strict CSP and a hand-over to vscode://', async function () {
    const response = await fetch(`${relay.url}/join/AbCdEfGhIjKlMnOpQrStUv`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-/);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    const html = await response.text();
    assert.match(html, /vscode:\/\/pairline\.pairline\/join\?relay=/);
    assert.match(html, /location\.hash/);
    assert.match(html, /Pairline: Join Session…/);
    assert.match(html, /Copy link/);
  });

  /**
   * Runs the landing page's script as a browser would, against the page's own elements (a minimal
   * DOM: only what the script touches), for an invite whose fragment is `fragment`.
   */
  async function landOnJoinPage(fragment: string): Promise<{ shown: (id: string) => string | undefined; navigatedTo: string }> {
    const session = 'AbCdEfGhIjKlMnOpQrStUv';
    const html = await (await fetch(`${relay.url}/join/${session}`)).text();
    const script = /<script nonce="[^"]+">([\s\S]*)<\/script>/.exec(html)?.[1];
    assert.ok(script, 'the page has its script');
    const elements = new Map<string, { className: string; textContent: string; href: string; value: string; addEventListener(): void; select(): void }>();
    for (const match of html.matchAll(/<(\w+) id="([^"]+)"(?: class="([^"]*)")?[^>]*>([^<]*)/g)) {
      elements.set(match[2], { className: match[3] ?? '', textContent: match[4], href: '', value: '', addEventListener() {}, select() {} });
    }
    const start = `${relay.url}/join/${session}#${fragment}`;
    const location = { pathname: `/join/${session}`, origin: relay.url, hash: `#${fragment}`, href: start };
    const document = { getElementById: (id: string) => elements.get(id) };
    vm.runInNewContext(script, { document, location, navigator: {}, setTimeout: () => undefined });
    return {
      shown: (id) => {
        const element = elements.get(id);
        return element && element.className !== 'hidden' ? element.textContent : undefined;
      },
      navigatedTo: location.href,
    };
  }

  it('the landing page explains a viewer link and its expiry, and hands a valid link to VS Code', async function () {
    const secrets = `s=${'a'.repeat(43)}&k=${'b'.repeat(43)}`;
    const plain = await landOnJoinPage(secrets);
    assert.equal(plain.shown('hint'), undefined, 'no hint for a plain link');
    assert.match(plain.navigatedTo, /^vscode:\/\/pairline\.pairline\/join\?relay=/);

    const until = Date.now() + 3_600_000;
    const viewer = await landOnJoinPage(`${secrets}&r=viewer&e=${until}`);
    assert.match(viewer.shown('hint') ?? '', /This link works until .*You will join as a viewer/);
    assert.match(viewer.navigatedTo, /^vscode:\/\/pairline\.pairline\/join\?relay=.*#s=a+&k=b+&r=viewer&e=\d+$/);
  });

  it('the landing page refuses an expired link instead of opening VS Code', async function () {
    const page = await landOnJoinPage(`s=${'a'.repeat(43)}&e=${Date.now() - 60_000}`);
    assert.match(page.shown('expired') ?? '', /This invite link expired at .* Ask the host for a new one\./);
    assert.equal(page.shown('open'), undefined, 'no "Open in VS Code" button');
    assert.match(page.navigatedTo, /^http:/, 'the page did not hand the link to VS Code');
  });

  it('answers a malformed session id with a 404 page', async function () {
    const response = await fetch(`${relay.url}/join/not-a-session`);
    assert.equal(response.status, 404);
    assert.match(await response.text(), /Not a Pairline invite/);
    assert.equal((await fetch(`${relay.url}/nothing-here`)).status, 404);
  });

  it('logs no secrets, tokens or bodies', async function () {
    const host = await hostSession(relay.wsUrl);
    const guest = await joinSession(relay.wsUrl, host.secrets);
    guest.client.send({ type: 'send', kind: 'update', body: body('private document text') });
    await host.client.next('relayed');
    closeAll(host.client, guest.client);
    await relay.waitForLog((line) => line.msg === 'participant disconnected; keeping its place');
    const all = JSON.stringify(relay.logs);
    for (const secret of [host.secrets.hostSecret, host.secrets.inviteSecret, host.secrets.inviteHash, host.joined.resumeToken, guest.joined.resumeToken, body('private document text')]) {
      assert.ok(!all.includes(secret), 'a secret or body reached the logs');
    }
  });
});
