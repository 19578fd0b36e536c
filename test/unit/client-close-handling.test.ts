/** What a close or a refused connect means for the client: retry, wait, or stop with a sentence. */
import assert from 'node:assert/strict';
import { CloseCode } from '../../protocol';
import { afterClose } from '../../client/reconnect';
import { ABNORMAL_CLOSURE, httpRefusal } from '../../client/transport-error';

describe('client close handling', () => {
  it('maps HTTP refusals of the upgrade to close codes', () => {
    assert.equal(httpRefusal(401).closeCode, CloseCode.Unauthorized);
    assert.equal(httpRefusal(401).message, 'the relay refused the access token');
    assert.equal(httpRefusal(403).closeCode, CloseCode.Forbidden);
    assert.equal(httpRefusal(426).closeCode, CloseCode.UpgradeRequired);
    assert.equal(httpRefusal(429).closeCode, CloseCode.RateLimited);
    assert.equal(httpRefusal(502).closeCode, ABNORMAL_CLOSURE);
    assert.match(httpRefusal(404).message, /check the relay URL/);
  });

  it('stops on refusals retrying cannot fix', () => {
    for (const code of [CloseCode.Unauthorized, CloseCode.Forbidden, CloseCode.SessionEnded, CloseCode.UpgradeRequired, CloseCode.Replaced, CloseCode.SessionFull]) {
      assert.equal(afterClose(code, '', 'guest', false).action, 'stop', `code ${code}`);
    }
  });

  it('retries lost links, at once when the relay is going away', () => {
    assert.deepEqual(afterClose(ABNORMAL_CLOSURE, '', 'guest', false), {
      action: 'retry', state: 'reconnecting', reason: 'The connection to the relay was lost; reconnecting.', immediate: false, forgetToken: false,
    });
    const goingAway = afterClose(CloseCode.GoingAway, '', 'host', false);
    assert.ok(goingAway.action === 'retry' && goingAway.immediate);
  });

  it('4404: a guest waits for the host, the host re-registers; both forget the dead token', () => {
    const guest = afterClose(CloseCode.NoSuchSession, '', 'guest', false);
    assert.ok(guest.action === 'retry' && guest.state === 'waiting-for-host' && guest.forgetToken && !guest.immediate);
    const host = afterClose(CloseCode.NoSuchSession, '', 'host', false);
    // The relay is up and lacks only the session: the host re-registers at once, without backoff.
    assert.ok(host.action === 'retry' && host.state === 'reconnecting' && host.forgetToken && host.immediate);
    assert.match(host.reason, /registering it again/);
  });

  it('4408 is a retry, except for an unanswered knock', () => {
    assert.equal(afterClose(CloseCode.Timeout, '', 'guest', false).action, 'retry');
    assert.equal(afterClose(CloseCode.Timeout, '', 'guest', true).action, 'stop');
  });
});
