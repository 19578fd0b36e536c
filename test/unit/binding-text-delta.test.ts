/**
 * The binding's change algebra (client/binding/text-delta.ts): edits ↔ deltas, compose and
 * transform, checked against plain string application with seeded fast-check runs.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyDelta, compose, deltaOfEdits, deltaOfSequentialEdits, diffDelta, editsOfDelta, transform, type Delta,
} from '../../client/binding/text-delta';

const SEED = Number(process.env.PAIRLINE_SEED ?? 20261128);

/** A random text and a random valid change of it (ascending, non-overlapping edits). */
function changeOf(text: string): fc.Arbitrary<Delta> {
  return fc.array(fc.tuple(fc.nat(text.length), fc.nat(4), fc.constantFrom('', 'a', 'xy', '\r\n', 'é', '😀')), { maxLength: 4 }).map((raw) => {
    const edits: { offset: number; deleteCount: number; insert: string }[] = [];
    let floor = 0;
    for (const [offset, length, insert] of [...raw].sort((a, b) => a[0] - b[0])) {
      const start = Math.max(offset, floor);
      if (start > text.length) break;
      const deleteCount = Math.min(length, text.length - start);
      edits.push({ offset: start, deleteCount, insert });
      floor = start + deleteCount + 1;
    }
    return deltaOfEdits(edits);
  });
}

const texts = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', ' '), maxLength: 20 });

describe('binding: text deltas', () => {
  it('edits and deltas convert both ways and apply like splicing', () => {
    const delta = deltaOfEdits([{ offset: 1, deleteCount: 2, insert: 'XY' }, { offset: 5, deleteCount: 0, insert: '!' }]);
    assert.equal(applyDelta('abcdefg', delta), 'aXYde!fg');
    assert.deepEqual(editsOfDelta(delta), [{ offset: 1, deleteCount: 2, insert: 'XY' }, { offset: 5, deleteCount: 0, insert: '!' }]);
    assert.throws(() => applyDelta('ab', deltaOfEdits([{ offset: 1, deleteCount: 5, insert: '' }])), RangeError);
  });

  it('multi-cursor changes reported one after another (VS Code: bottom up) become one delta', () => {
    // Three cursors typing "x" at 1, 3 and 5 of "abcdef", reported last first.
    const delta = deltaOfSequentialEdits([
      { offset: 5, deleteCount: 0, insert: 'x' }, { offset: 3, deleteCount: 0, insert: 'x' }, { offset: 1, deleteCount: 0, insert: 'x' },
    ]);
    assert.equal(applyDelta('abcdef', delta), 'axbcxdexf');
    assert.deepEqual(editsOfDelta(delta).map((edit) => edit.offset), [1, 3, 5]);
  });

  it('compose(a, b) applies like a then b', () => {
    fc.assert(fc.property(texts.chain((text) => changeOf(text).chain((first) => {
      const middle = applyDelta(text, first);
      return changeOf(middle).map((second) => ({ text, first, second }));
    })), ({ text, first, second }) => {
      assert.equal(applyDelta(text, compose(first, second)), applyDelta(applyDelta(text, first), second));
    }), { seed: SEED, numRuns: 500 });
  });

  it('transform: both orders of two concurrent changes give the same text', () => {
    fc.assert(fc.property(texts.chain((text) => fc.tuple(fc.constant(text), changeOf(text), changeOf(text), fc.boolean())), ([text, a, b, aFirst]) => {
      const viaB = applyDelta(applyDelta(text, b), transform(a, b, aFirst));
      const viaA = applyDelta(applyDelta(text, a), transform(b, a, !aFirst));
      assert.equal(viaB, viaA);
    }), { seed: SEED, numRuns: 500 });
  });

  it('transform keeps every concurrent insert', () => {
    const a = deltaOfEdits([{ offset: 2, deleteCount: 0, insert: 'A' }]);
    const b = deltaOfEdits([{ offset: 0, deleteCount: 4, insert: 'B' }]);
    assert.equal(applyDelta(applyDelta('wxyz', b), transform(a, b, false)), 'BA');
  });

  it('diffDelta is a single minimal replace that never splits a surrogate pair', () => {
    assert.deepEqual(editsOfDelta(diffDelta('hello world', 'hello brave world')), [{ offset: 6, deleteCount: 0, insert: 'brave ' }]);
    const before = 'a😀b';
    const after = 'a😃b';
    assert.equal(applyDelta(before, diffDelta(before, after)), after);
    const [edit] = editsOfDelta(diffDelta(before, after));
    assert.equal(edit.offset, 1);
    assert.equal(edit.deleteCount, 2);
    fc.assert(fc.property(texts, texts, (x, y) => {
      assert.equal(applyDelta(x, diffDelta(x, y)), y);
    }), { seed: SEED, numRuns: 300 });
  });
});
