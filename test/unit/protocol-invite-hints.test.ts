/** Invite links with role (`r=`) and expiry (`e=`) hints: format, parse, garbage, and what to tell a person. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatExtensionUri, formatInviteLink, inviteNotice, parseInviteLink, type Invite } from '../../protocol/invite';

const base: Invite = {
  relay: 'https://relay.example.com/pairline',
  session: 'AAAAAAAAAAAAAAAAAAAAAA',
  inviteSecret: 'B'.repeat(43),
  key: 'C'.repeat(43),
};
const EXPIRES = Date.UTC(2026, 10, 28, 12, 0, 0);

function parsed(text: string): Invite {
  const result = parseInviteLink(text);
  if (!result.ok) throw new Error(`expected a valid invite: ${result.error}`);
  return result.invite;
}

describe('invite link hints (r=, e=)', () => {
  it('puts the hints after the secrets and reads them back from both link forms', () => {
    const invite: Invite = { ...base, role: 'viewer', expiresAt: EXPIRES };
    const link = formatInviteLink(invite);
    assert.equal(link, `${base.relay}/join/${base.session}#s=${base.inviteSecret}&k=${base.key}&r=viewer&e=${EXPIRES}`);
    assert.deepEqual(parsed(link), invite);
    assert.deepEqual(parsed(formatExtensionUri(invite)), invite);
  });

  it('leaves links without hints exactly as before', () => {
    assert.equal(formatInviteLink(base), `${base.relay}/join/${base.session}#s=${base.inviteSecret}&k=${base.key}`);
    assert.deepEqual(parsed(formatInviteLink(base)), base);
    assert.equal('role' in parsed(formatInviteLink(base)), false);
    assert.equal('expiresAt' in parsed(formatInviteLink(base)), false);
  });

  it('reads the hints from the query when a launcher dropped the fragment', () => {
    const uri = `vscode://pairline.pairline/join?relay=${encodeURIComponent(base.relay)}&session=${base.session}&s=${base.inviteSecret}&r=editor&e=${EXPIRES}`;
    assert.deepEqual(parsed(uri), { relay: base.relay, session: base.session, inviteSecret: base.inviteSecret, role: 'editor', expiresAt: EXPIRES });
  });

  it('drops hints that do not parse but keeps the invite usable', () => {
    const link = formatInviteLink(base);
    for (const garbage of ['r=admin', 'r=host', 'r=', 'r=VIEWER', 'e=', 'e=soon', 'e=-1', 'e=1e13', 'e=17000000000', 'e=99999999999999',
      'e=1764331200000.5', 'e=0x19AC', 'e=%31%37', 'e=１７６４３３１２０００００']) {
      const invite = parsed(`${link}&${garbage}`);
      assert.equal(invite.role, undefined, garbage);
      assert.equal(invite.expiresAt, undefined, garbage);
      assert.equal(invite.inviteSecret, base.inviteSecret, garbage);
    }
  });

  it('reads a link cut off inside e= as having no expiry, never a wrong one', () => {
    const link = formatInviteLink({ ...base, expiresAt: EXPIRES });
    for (let cut = 1; cut < String(EXPIRES).length; cut++) {
      assert.equal(parsed(link.slice(0, link.length - cut)).expiresAt, undefined, `cut ${cut}`);
    }
  });

  it('round-trips any role and expiry (property)', () => {
    fc.assert(fc.property(
      fc.option(fc.constantFrom('editor' as const, 'viewer' as const), { nil: undefined }),
      fc.option(fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 }), { nil: undefined }),
      fc.boolean(),
      (role, expiresAt, encrypted) => {
        const invite: Invite = {
          relay: base.relay, session: base.session, inviteSecret: base.inviteSecret,
          ...(encrypted ? { key: base.key } : {}), ...(role ? { role } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}),
        };
        assert.deepEqual(parsed(formatInviteLink(invite)), invite);
        assert.deepEqual(parsed(formatExtensionUri(invite)), invite);
      },
    ));
  });

  it('tells a person the role and expiry, or that the link expired', () => {
    const time = (ms: number) => `T${ms}`;
    assert.deepEqual(inviteNotice(base, EXPIRES), { expired: false, sentence: undefined });
    const viewer = inviteNotice({ ...base, role: 'viewer', expiresAt: EXPIRES }, EXPIRES - 1, time);
    assert.equal(viewer.expired, false);
    assert.match(viewer.sentence ?? '', /join as a viewer/);
    assert.match(viewer.sentence ?? '', new RegExp(`until T${EXPIRES}`));
    const expired = inviteNotice({ ...base, expiresAt: EXPIRES }, EXPIRES, time);
    assert.equal(expired.expired, true);
    assert.match(expired.sentence ?? '', new RegExp(`expired at T${EXPIRES}\\. Ask the host for a new one\\.`));
  });
});
