import * as assert from 'node:assert/strict';
import type { PresencePayload } from '../../protocol';
import { FollowModel, type FollowChange } from '../../client/presence/follow';
import { FakeClock } from './ext-fake-clock';

const ada = { id: 'ada-0001', name: 'Ada' };
const bob = { id: 'bob-0002', name: 'Bob' };

function at(file: string, line: number, visible?: [number, number]): PresencePayload {
  return {
    type: 'presence',
    file,
    selections: [{ anchor: { line, character: 0 }, head: { line, character: 4 } }],
    ...(visible ? { visible: [{ start: visible[0], end: visible[1] }] } : {}),
  };
}

describe('follow mode', () => {
  let clock: FakeClock;
  let model: FollowModel;
  let changes: FollowChange[];

  beforeEach(() => {
    clock = new FakeClock();
    model = new FollowModel(clock, 400);
    changes = [];
    model.onDidChange((change) => changes.push(change));
  });

  it('jumps at once to the followed participant when their presence is known', () => {
    const step = model.start(ada, at('src/a.ts', 10, [5, 40]));
    assert.deepEqual(step, { participant: ada.id, file: 'src/a.ts', visible: { start: 5, end: 40 }, cursor: { line: 10, character: 4 } });
    assert.equal(model.following, ada.id);
    assert.deepEqual(changes, [{ participant: ada.id, reason: 'Following Ada.' }]);
  });

  it('follows file and visible range changes of the target only, once per change', () => {
    model.start(ada);
    assert.equal(model.onPresence(bob.id, at('b.ts', 1)), undefined, 'other participants are ignored');
    assert.equal(model.onPresence(ada.id, at('a.ts', 1))?.file, 'a.ts');
    assert.equal(model.onPresence(ada.id, at('a.ts', 1)), undefined, 'no step when nothing moved');
    assert.equal(model.onPresence(ada.id, at('c.ts', 3))?.file, 'c.ts');
    assert.equal(model.onPresence(ada.id, { type: 'presence', selections: [] }), undefined, 'no file: stay where we are');
  });

  it('stops when the user types, even right after a step, and says so', () => {
    model.start(ada, at('a.ts', 1));
    model.onLocalActivity('typed');
    assert.equal(model.following, undefined);
    assert.deepEqual(changes.at(-1), { participant: undefined, reason: 'You typed, so you stopped following Ada.' });
  });

  it('treats navigation right after a step as an echo of our own reveal', () => {
    model.start(ada, at('a.ts', 1));
    clock.advance(100);
    model.onLocalActivity('switched-file');
    model.onLocalActivity('scrolled');
    assert.equal(model.following, ada.id);
  });

  it('restarts the grace period once the step was applied (slow reveals)', () => {
    model.start(ada, at('a.ts', 1));
    clock.advance(1000);
    model.didApply();
    clock.advance(300);
    model.onLocalActivity('switched-file');
    assert.equal(model.following, ada.id);
  });

  it('recognises late echoes of its own reveal by where the editor landed', () => {
    model.start(ada, at('a.ts', 10, [5, 40]));
    clock.advance(2000);
    model.onLocalActivity('switched-file', { file: 'a.ts', visible: [{ start: 0, end: 30 }] });
    model.onLocalActivity('scrolled', { file: 'a.ts', visible: [{ start: 5, end: 40 }] });
    assert.equal(model.following, ada.id);
    model.onLocalActivity('scrolled', { file: 'a.ts', visible: [{ start: 60, end: 90 }] });
    assert.equal(model.following, undefined, 'scrolling the step out of view is the user\'s own move');
    assert.equal(changes.at(-1)?.reason, 'You scrolled, so you stopped following Ada.');
  });

  it('recognises a late echo of the step before the latest one', () => {
    model.start(ada, at('a.ts', 1));
    clock.advance(1000);
    model.onPresence(ada.id, at('b.ts', 1));
    clock.advance(1000);
    model.onLocalActivity('switched-file', { file: 'a.ts' });
    assert.equal(model.following, ada.id);
    clock.advance(6000);
    model.onLocalActivity('switched-file', { file: 'a.ts' });
    assert.equal(model.following, undefined, 'long after, going back to a.ts is the user\'s own move');
  });

  it('stops when the user switches to another file after the grace period', () => {
    model.start(ada, at('a.ts', 1));
    clock.advance(2000);
    model.onLocalActivity('switched-file', { file: 'b.ts' });
    assert.equal(model.following, undefined);
  });

  it('stops when the user navigates after the grace period', () => {
    model.start(ada, at('a.ts', 1));
    clock.advance(1000);
    model.onLocalActivity('moved-cursor');
    assert.equal(model.following, undefined);
    assert.equal(changes.at(-1)?.reason, 'You moved the cursor, so you stopped following Ada.');
  });

  it('stops when the followed participant leaves, not when someone else does', () => {
    model.start(ada);
    model.onParticipantLeft(bob.id);
    assert.equal(model.following, ada.id);
    model.onParticipantLeft(ada.id);
    assert.equal(model.following, undefined);
    assert.equal(changes.at(-1)?.reason, 'Ada left the session; stopped following.');
  });

  it('ignores presence and activity when not following', () => {
    assert.equal(model.onPresence(ada.id, at('a.ts', 1)), undefined);
    model.onLocalActivity('typed');
    assert.deepEqual(changes, []);
  });
});
