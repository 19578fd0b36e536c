/**
 * The binary `update` payload (protocol/doc-payloads.ts): round trips, strict refusals, the JSON
 * form still accepted, and the engine refusing malformed binary updates without harm.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  BINARY_UPDATE_TAG, decodeUpdatePayload, DocPayloadError, encodeUpdatePayload, parseUpdatePayload,
} from '../../protocol/doc-payloads';
import { normaliseWorkspacePath } from '../../protocol/paths';
import { Y } from '../../client/docs/yjs';
import { createDocsSession, type DocsSession } from '../support/docs-harness';

/** Normalised workspace paths, astral characters and odd names included. */
const pathArbitrary = fc.array(
  fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '-', '.', ' ', 'é', '中', '😀'), fc.constantFrom('_', '~', '#', '%')), minLength: 1, maxLength: 12 }),
  { minLength: 1, maxLength: 5 },
).map((segments) => normaliseWorkspacePath(segments.join('/'))).filter((result) => result.ok && result.path !== '.')
  .map((result) => (result.ok ? result.path : ''));

function binary(path: Buffer, update: Buffer, declared = path.length): Buffer {
  const head = Buffer.alloc(3);
  head[0] = BINARY_UPDATE_TAG;
  head.writeUInt16BE(declared, 1);
  return Buffer.concat([head, path, update]);
}

describe('document sync: the binary update payload', () => {
  it('round-trips any normalised path and update bytes, in the binary form', () => {
    fc.assert(fc.property(pathArbitrary, fc.uint8Array({ minLength: 1, maxLength: 200 }), (doc, update) => {
      const encoded = encodeUpdatePayload(doc, update);
      assert.equal(encoded[0], BINARY_UPDATE_TAG);
      const decoded = decodeUpdatePayload(encoded);
      assert.equal(decoded.doc, doc);
      assert.deepEqual(Buffer.from(decoded.update), Buffer.from(update));
    }), { numRuns: 300 });
  });

  it('is small: a one-character edit of src/shared.ts is 3 bytes plus the path and the Yjs update', () => {
    const doc = new Y.Doc();
    let update: Uint8Array = new Uint8Array();
    doc.on('update', (bytes: Uint8Array) => {
      update = bytes;
    });
    doc.getText('text').insert(0, 'x');
    const encoded = encodeUpdatePayload('src/shared.ts', update);
    assert.equal(encoded.length, 3 + 'src/shared.ts'.length + update.length);
    const json = Buffer.from(JSON.stringify({ type: 'update', doc: 'src/shared.ts', update: Buffer.from(update).toString('base64') }));
    assert.ok(encoded.length < json.length / 2, `${encoded.length} bytes vs ${json.length} as JSON`);
  });

  it('falls back to the JSON form for a path UTF-8 cannot carry, and that round-trips too', () => {
    const doc = 'odd\ud800name.txt';
    const encoded = encodeUpdatePayload(doc, Uint8Array.of(1, 2, 3));
    assert.equal(encoded[0], '{'.charCodeAt(0));
    const decoded = decodeUpdatePayload(encoded);
    assert.equal(decoded.doc, doc);
    assert.deepEqual([...decoded.update], [1, 2, 3]);
  });

  it('still reads the JSON form older clients send (normalising its path)', () => {
    const decoded = decodeUpdatePayload(Buffer.from(JSON.stringify({ type: 'update', doc: 'src//a.ts', update: Buffer.of(9, 8).toString('base64') })));
    assert.equal(decoded.doc, 'src/a.ts');
    assert.deepEqual([...decoded.update], [9, 8]);
  });

  it('refuses to encode a path that is not normalised, or an empty update', () => {
    assert.throws(() => encodeUpdatePayload('src//a.ts', Uint8Array.of(1)), DocPayloadError);
    assert.throws(() => encodeUpdatePayload('../a.ts', Uint8Array.of(1)), DocPayloadError);
    assert.throws(() => encodeUpdatePayload('a.ts', new Uint8Array()), DocPayloadError);
  });

  it('refuses malformed binary payloads with a reason', () => {
    const path = Buffer.from('a.ts');
    const update = Buffer.of(1, 2);
    const cases: [Buffer, RegExp][] = [
      [Buffer.alloc(0), /empty/],
      [Buffer.of(0x02, 0, 1, 0x61, 1), /unknown update payload format 0x02/],
      [Buffer.of(BINARY_UPDATE_TAG, 0), /truncated/],
      [binary(path, update, 0), /length 0/],
      [binary(path, update, 60_000), /out of range/],
      [binary(path, Buffer.alloc(0), 10), /truncated/],
      [binary(path, Buffer.alloc(0)), /no update/],
      [binary(Buffer.of(0x61, 0xff, 0x62), update), /not UTF-8/],
      [binary(Buffer.from('../etc/passwd'), update), /leave the workspace/],
      [binary(Buffer.from('/etc/passwd'), update), /relative/],
      [binary(Buffer.from('src//a.ts'), update), /not normalised/],
      [binary(Buffer.from('a\0b'), update), /NUL/],
      [Buffer.from('{"type":"update","doc":"a.ts","update":"%%%"}'), /base64/],
      [Buffer.from('{"type":"update"'), /JSON/],
    ];
    for (const [bytes, reason] of cases) {
      const parsed = parseUpdatePayload(bytes);
      assert.equal(parsed.ok, false, `accepted ${bytes.toString('hex')}`);
      if (!parsed.ok) assert.match(parsed.error, reason);
    }
  });

  it('arbitrary bytes never throw anything but DocPayloadError', () => {
    const valid = Buffer.from(encodeUpdatePayload('src/shared.ts', Uint8Array.of(1, 1, 5, 0, 4, 1, 4, 116, 101, 120, 116, 1, 120, 0)));
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }).map((tail) => Buffer.concat([Buffer.of(BINARY_UPDATE_TAG), tail])),
        fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => {
          const bytes = Buffer.from(valid);
          bytes[at] ^= flip;
          return bytes;
        }),
        fc.string().map((text) => Buffer.from(text)),
      ),
      (bytes) => {
        try {
          const decoded = decodeUpdatePayload(bytes);
          assert.ok(decoded.update.length > 0);
          assert.ok(normaliseWorkspacePath(decoded.doc).ok);
        } catch (err) {
          assert.ok(err instanceof DocPayloadError, `threw ${String(err)}`);
        }
      },
    ), { numRuns: 1000 });
  });
});

describe('document sync: binary updates through the engine', () => {
  let session: DocsSession | undefined;
  afterEach(() => session?.dispose());

  it('sends edits as binary payloads and refuses malformed ones, document unharmed', async () => {
    session = createDocsSession({ files: { 'src/a.txt': 'intact' } });
    const { host, guests: [alice], relay } = session;
    if (!alice) throw new Error('no guest');
    const hostDoc = await host.sync.open('src/a.txt');
    const opening = alice.sync.open('src/a.txt');
    await relay.settle();
    const aliceDoc = await opening;
    const payloads: Uint8Array[] = [];
    relay.intercept = (envelope) => {
      if (envelope.kind === 'update' && envelope.recipient === host.id) payloads.push(envelope.payload);
      return 'deliver';
    };
    aliceDoc.applyLocalEdits([{ offset: 6, deleteCount: 0, insert: '!' }]);
    await relay.settle();
    assert.equal(hostDoc.text, 'intact!');
    assert.equal(payloads.length, 1);
    assert.equal(payloads[0]?.[0], BINARY_UPDATE_TAG);
    const warningsBefore = host.logger.at('warn').length;
    const garbage = [
      binary(Buffer.from('src/a.txt'), Buffer.from('not a Yjs update')),
      binary(Buffer.from('../a.txt'), Buffer.of(0, 0)),
      binary(Buffer.from('src/a.txt'), Buffer.alloc(0), 40),
      Buffer.of(0x07, 1, 2, 3),
    ];
    for (const bytes of garbage) alice.client.send('update', bytes);
    await relay.settle();
    assert.equal(hostDoc.text, 'intact!');
    const warnings = host.logger.at('warn').slice(warningsBefore);
    assert.equal(warnings.filter((line) => line.message.includes('malformed')).length, garbage.length);
    assert.ok(warnings.every((line) => !JSON.stringify(line).includes('intact')), 'no document text in logs');
    aliceDoc.applyLocalEdits([{ offset: 0, deleteCount: 0, insert: '¡' }]);
    await relay.settle();
    assert.equal(hostDoc.text, '¡intact!');
  });
});
