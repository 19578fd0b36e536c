/** The sentence and the reaction a client derives from each close code. */
import assert from 'node:assert/strict';
import { CloseCode, closeCodeName, closePolicy } from '../../protocol';

describe('close codes', () => {
  it('every named code maps back to its name and has a sentence', () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      assert.equal(closeCodeName(code), name);
      assert.match(closePolicy(code).explanation, /\.$|…$/, `${name} explains itself in a sentence`);
    }
  });

  it('4401, 4403, 4410 and 4426 stop; 1001 retries at once; 4404 waits for the host', () => {
    for (const code of [CloseCode.Unauthorized, CloseCode.Forbidden, CloseCode.SessionEnded, CloseCode.UpgradeRequired]) {
      assert.equal(closePolicy(code).action, 'stop');
    }
    assert.equal(closePolicy(CloseCode.GoingAway).action, 'retry-now');
    assert.equal(closePolicy(CloseCode.NoSuchSession).action, 'wait-for-host');
    assert.equal(closePolicy(1006).action, 'retry');
  });

  it('a session end says why once, without repeating the relay\'s own wording', () => {
    assert.equal(closePolicy(CloseCode.SessionEnded, 'the host ended the session').explanation, 'The host ended the session.');
    assert.equal(closePolicy(CloseCode.SessionEnded, 'the host did not come back in time').explanation,
      'The session ended: the host did not come back in time.');
  });
});
