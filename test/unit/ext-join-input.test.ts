import * as assert from 'node:assert/strict';
import { formatExtensionUri, formatInviteLink, type Invite } from '../../protocol/invite';
import { inviteFromText, inviteFromUri } from '../../client/status/join-input';

const invite: Invite = {
  relay: 'http://127.0.0.1:8787',
  session: 'AAAAAAAAAAAAAAAAAAAAAA',
  inviteSecret: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
  key: 'C'.repeat(43),
};

describe('invite input (paste and URI handler)', () => {
  it('accepts the https link and the vscode:// link as pasted text', () => {
    assert.deepEqual(inviteFromText(formatInviteLink(invite)), { ok: true, invite });
    assert.deepEqual(inviteFromText(`  <${formatExtensionUri(invite)}>  `), { ok: true, invite });
  });

  it('asks for the link when the input is empty', () => {
    const result = inviteFromText('   ');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /Paste the invite link/);
  });

  it('parses the decoded parts VS Code hands the URI handler, relay path prefix included', () => {
    const withPrefix = { ...invite, relay: 'https://relay.example.com/pairline' };
    const result = inviteFromUri({
      scheme: 'vscode',
      authority: 'pairline.pairline',
      path: '/join',
      query: `relay=${withPrefix.relay}&session=${invite.session}`,
      fragment: `s=${invite.inviteSecret}&k=${invite.key}`,
    });
    assert.deepEqual(result, { ok: true, invite: withPrefix });
  });

  it('accepts secrets in the query when a launcher dropped the fragment', () => {
    const result = inviteFromUri({
      scheme: 'vscode-insiders',
      authority: 'pairline.pairline',
      path: '/join/',
      query: `relay=${invite.relay}&session=${invite.session}&s=${invite.inviteSecret}`,
      fragment: '',
    });
    assert.deepEqual(result, { ok: true, invite: { relay: invite.relay, session: invite.session, inviteSecret: invite.inviteSecret } });
  });

  it('explains unknown actions and incomplete links in sentences', () => {
    const unknown = inviteFromUri({ scheme: 'vscode', authority: 'pairline.pairline', path: '/open', query: '', fragment: '' });
    assert.equal(unknown.ok, false);
    assert.match(unknown.ok ? '' : unknown.error, /does not know the link action/);
    const cut = inviteFromUri({ scheme: 'vscode', authority: 'pairline.pairline', path: '/join', query: `relay=${invite.relay}&session=${invite.session}`, fragment: '' });
    assert.equal(cut.ok, false);
    assert.match(cut.ok ? '' : cut.error, /incomplete/);
  });
});
