// Scenario 1: Alice starts a session, the invite link reaches Bob, Bob joins with it, Alice lets
// him in from the notification, and both status bars show 2 participants and a round trip.
/* global navigator -- evaluated in the page */
import assert from 'node:assert/strict';
import { CONNECTED_TWO } from './common.mjs';

const INVITE = /(https?:\/\/[^\s"']+\/join\/[^\s"']+)/;

/** @param {import('../run.mjs').Context} ctx */
export async function sessionScenario(ctx) {
  const { suite, alice, bob } = ctx;

  await suite.step('alice-starts-session', async () => {
    await alice.window.waitForStatus(/Pairline/, { timeoutMs: 60_000 });
    await alice.window.runCommand('Pairline: Start Session');
    const toast = await alice.window.waitForNotification('invite link is on your clipboard', { timeoutMs: 60_000 });
    const message = (await toast.locator('.notification-list-item-message').textContent()) ?? '';
    const fromNotification = INVITE.exec(message)?.[1];
    assert.ok(fromNotification, `the notification shows an invite link: ${JSON.stringify(message.replace(/#.*/, '#…'))}`);
    // What a person pastes is what the clipboard holds; fall back to the notification's text
    // when the headless browser refuses to read the clipboard.
    const clipboard = await alice.window.page.evaluate(() => navigator.clipboard.readText()).catch(() => undefined);
    if (clipboard !== undefined) assert.equal(clipboard.trim(), fromNotification, 'clipboard and notification hold the same link');
    const api = await alice.window.probe.waitFor('Alice hosts a connected session', (s) => s.pairline.state === 'connected' && s.pairline.role === 'host' && s);
    assert.equal(api.pairline.inviteLink, fromNotification, 'the link shown is the API\'s invite link');
    ctx.inviteLink = fromNotification;
    await alice.window.waitForStatus(/Pairline: 1\b/);
    return `invite link ${clipboard !== undefined ? 'on the clipboard and ' : ''}in the notification`;
  });

  await suite.step('bob-joins-with-link', async () => {
    await bob.window.waitForStatus(/Pairline/, { timeoutMs: 60_000 });
    await bob.window.runCommand('Pairline: Join Session…');
    await bob.window.answerInputBox(/** @type {string} */ (ctx.inviteLink), { title: 'Join a Pairline session' });
    await bob.window.waitForStatus(/Waiting for the host to let you in/);
    await bob.window.waitForNotification('Waiting for the host to let you in');
    await alice.window.waitForNotification('Bob wants to join your Pairline session');
    return 'Bob waits; Alice is asked';
  }, { needs: ['alice-starts-session'] });

  await suite.step('alice-allows-bob-as-editor', async () => {
    await alice.window.clickNotificationButton('Bob wants to join your Pairline session', 'Allow as editor');
    // No check of Bob's "Joined Alice's session" toast: his window reloads when Alice's folder is
    // added (a VS Code rule for the first folder), which can take the toast away before it is seen.
    const [aliceStatus, bobStatus] = await Promise.all([
      alice.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 45_000 }),
      bob.window.waitForStatus(CONNECTED_TWO, { timeoutMs: 45_000 }),
    ]);
    const bobApi = await bob.window.probe.waitFor('Bob is an editor in the session', (s) => s.pairline.state === 'connected' && s.pairline.role === 'editor' && s);
    assert.deepEqual(bobApi.pairline.participants.map((p) => `${p.name}:${p.role}`).sort(), ['Alice:host', 'Bob:editor']);
    ctx.aliceId = bobApi.pairline.participants.find((p) => p.name === 'Alice')?.id;
    ctx.bobId = bobApi.pairline.me?.id;
    return `Alice "${aliceStatus}", Bob "${bobStatus}"`;
  }, { needs: ['bob-joins-with-link'], timeoutMs: 120_000 });
}
