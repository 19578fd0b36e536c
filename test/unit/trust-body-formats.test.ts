/**
 * Body formats: 0x03 (sealed now: a 6-byte stamp, the nonce as message id) and the older 0x01 and
 * 0x02, which must still open. The old bodies are built here by hand, from the layout documented
 * in protocol/body-codec.ts and docs/PROTOCOL.md, so the test also pins that documentation.
 */
import { strict as assert } from 'node:assert';
import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { BodyError, deriveSessionId, encryptedCodec, newPayloadKey, newSecret, plainCodec } from '../../protocol';
import { ReplayGuard, withReplayGuard } from '../../client/replay-guard';

const session = deriveSessionId(newSecret());
const key = newPayloadKey();
const NOW = 1_800_000_000_000;
const clock = (): number => NOW;

/** A body in format 0x01 or 0x02 as an older Pairline sealed it. */
function legacyBody(version: 0x01 | 0x02, kind: string, sender: string, payload: Buffer, sentAt = NOW): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), nonce);
  const prefix = version === 0x01 ? 'pairline/1' : 'pairline/2';
  cipher.setAAD(Buffer.from(`${prefix}\0${session}\0${kind}\0${sender}`, 'utf8'));
  const stamp = Buffer.alloc(version === 0x02 ? 24 : 0);
  if (version === 0x02) {
    stamp.writeBigUInt64BE(BigInt(sentAt), 0);
    randomBytes(16).copy(stamp, 8);
  }
  return Buffer.concat([Buffer.of(version), nonce, cipher.update(stamp), cipher.update(payload), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

describe('trust: body formats', () => {
  it('seals 0x03: version, nonce, a 6-byte stamp and the tag around the payload; 18 bytes less than 0x02', () => {
    const codec = encryptedCodec(session, key, clock);
    const payload = Buffer.from('0123456789');
    const body = Buffer.from(codec.seal('update', 'alice1', payload), 'base64');
    assert.equal(body[0], 0x03);
    assert.equal(body.length, 1 + 12 + 6 + payload.length + 16);
    assert.equal(Buffer.from(legacyBody(0x02, 'update', 'alice1', payload), 'base64').length - body.length, 18);
    const opened = codec.openStamped?.('update', 'alice1', body.toString('base64'));
    assert.deepEqual(Buffer.from(opened?.payload ?? []), payload);
    assert.equal(opened?.stamp?.sentAt, NOW);
    // The message id is the nonce, as sent.
    assert.equal(opened?.stamp?.messageId, body.subarray(1, 13).toString('base64url'));
  });

  it('binds the version, session, kind and sender of 0x03 bodies', () => {
    const codec = encryptedCodec(session, key, clock);
    const body = Buffer.from(codec.seal('file-write', 'alice1', Buffer.from('save')), 'base64');
    assert.throws(() => codec.open('file-write', 'mallory', body.toString('base64')), /failed authentication/);
    assert.throws(() => codec.open('update', 'alice1', body.toString('base64')), /failed authentication/);
    assert.throws(() => encryptedCodec(deriveSessionId(newSecret()), key, clock).open('file-write', 'alice1', body.toString('base64')), /failed authentication/);
    for (const version of [0x01, 0x02]) {
      const relabelled = Buffer.from(body);
      relabelled[0] = version;
      assert.throws(() => codec.open('file-write', 'alice1', relabelled.toString('base64')), BodyError);
    }
    // The nonce is the message id: changing it (to dodge the replay guard) fails authentication.
    const renamed = Buffer.from(body);
    renamed[5] = (renamed[5] ?? 0) ^ 0x80;
    assert.throws(() => codec.open('file-write', 'alice1', renamed.toString('base64')), /failed authentication/);
  });

  it('still opens 0x01 and 0x02 bodies, with their stamps', () => {
    const codec = encryptedCodec(session, key, clock);
    assert.equal(Buffer.from(codec.open('update', 'bob1', legacyBody(0x01, 'update', 'bob1', Buffer.from('one')))).toString(), 'one');
    const opened = codec.openStamped?.('update', 'bob1', legacyBody(0x02, 'update', 'bob1', Buffer.from('two'), NOW - 5));
    assert.equal(Buffer.from(opened?.payload ?? []).toString(), 'two');
    assert.equal(opened?.stamp?.sentAt, NOW - 5);
    assert.equal(opened?.stamp?.messageId.length, 22);
  });

  it('the replay guard accepts a 0x03 body once, 0x02 bodies once, and refuses 0x01', () => {
    const sender = encryptedCodec(session, key, clock);
    const receiver = withReplayGuard(encryptedCodec(session, key, clock), new ReplayGuard({ clock }));
    const body = sender.seal('file-write', 'carol1', Buffer.from('v1'));
    assert.equal(Buffer.from(receiver.open('file-write', 'carol1', body)).toString(), 'v1');
    assert.throws(() => receiver.open('file-write', 'carol1', body), /already received once/);
    const old = legacyBody(0x02, 'file-write', 'carol1', Buffer.from('v0'));
    assert.equal(Buffer.from(receiver.open('file-write', 'carol1', old)).toString(), 'v0');
    assert.throws(() => receiver.open('file-write', 'carol1', old), /already received once/);
    assert.throws(() => receiver.open('file-write', 'carol1', legacyBody(0x01, 'file-write', 'carol1', Buffer.from('x'))), /no replay stamp/);
  });

  it('a session without a key says why it cannot open a 0x03 body', () => {
    const body = encryptedCodec(session, key, clock).seal('update', 'alice1', Buffer.from('x'));
    assert.throws(() => plainCodec().open('update', 'alice1', body), /no key/);
  });

  it('arbitrary bodies never throw anything but BodyError', () => {
    const codec = withReplayGuard(encryptedCodec(session, key, clock), new ReplayGuard({ clock }));
    const sealed = Buffer.from(encryptedCodec(session, key, clock).seal('update', 'alice1', Buffer.from('payload')), 'base64');
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 80 }),
        // Mostly valid bodies with a few bytes changed or cut: the interesting failures.
        fc.tuple(fc.nat(sealed.length), fc.integer({ min: 1, max: 255 }), fc.boolean()).map(([at, flip, cut]) => {
          const bytes = Buffer.from(sealed);
          if (cut) return bytes.subarray(0, at);
          bytes[Math.min(at, bytes.length - 1)] ^= flip;
          return bytes;
        }),
      ),
      fc.constantFrom<'update' | 'presence' | 'file-write'>('update', 'presence', 'file-write'),
      (bytes, kind) => {
        for (const open of [codec, plainCodec()]) {
          try {
            open.open(kind, 'alice1', Buffer.from(bytes).toString('base64'));
          } catch (err) {
            assert.ok(err instanceof BodyError, `threw ${String(err)}`);
          }
        }
      },
    ), { numRuns: 500 });
  });
});
