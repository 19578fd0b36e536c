import * as assert from 'node:assert/strict';
import type { Participant } from '../../protocol';
import { peerMarks } from '../../client/presence/decorations';

const ada: Participant = { id: 'ada-0001', name: 'Ada', color: 2, role: 'editor', state: 'online' };

describe('peer marks from presence', () => {
  it('draws every selection, ordered start→end, and a cursor per selection head', () => {
    const marks = peerMarks(ada, {
      type: 'presence',
      file: 'src/a.ts',
      selections: [
        { anchor: { line: 3, character: 9 }, head: { line: 1, character: 2 } },
        { anchor: { line: 5, character: 0 }, head: { line: 5, character: 0 } },
        { anchor: { line: 7, character: 1 }, head: { line: 8, character: 0 } },
      ],
    });
    assert.ok(marks);
    assert.deepEqual(marks.selections, [
      { start: { line: 1, character: 2 }, end: { line: 3, character: 9 } },
      { start: { line: 7, character: 1 }, end: { line: 8, character: 0 } },
    ]);
    assert.deepEqual(marks.cursors, [{ line: 1, character: 2 }, { line: 5, character: 0 }, { line: 8, character: 0 }]);
    assert.equal(marks.colorId, 'pairline.participant3');
    assert.equal(marks.label, 'Ada');
    assert.equal(marks.dimmed, false);
  });

  it('dims a reconnecting participant and says so in the label', () => {
    const marks = peerMarks({ ...ada, state: 'reconnecting' }, { type: 'presence', file: 'a.ts', selections: [] });
    assert.equal(marks?.dimmed, true);
    assert.equal(marks?.label, 'Ada (reconnecting)');
  });

  it('draws nothing when the presence names no file', () => {
    assert.equal(peerMarks(ada, { type: 'presence', selections: [] }), undefined);
  });
});
