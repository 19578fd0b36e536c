import * as assert from 'node:assert/strict';
import type { Participant } from '../../protocol';
import { OFFLINE_AFTER_MS, statusView, type StatusInput } from '../../client/status/status-model';
import { availableActions, inSession } from '../../client/status/session-actions';

const now = 1_000_000;
const roster: Participant[] = [
  { id: 'host-0001', name: 'Ada', color: 0, role: 'host', state: 'online' },
  { id: 'bob-0002', name: 'Bob', color: 1, role: 'editor', state: 'online' },
  { id: 'eve-0003', name: 'Eve', color: 2, role: 'viewer', state: 'reconnecting' },
];
const base: StatusInput = {
  state: 'connected', now, roster, relay: 'http://127.0.0.1:8787', session: 'AAAAAAAAAAAAAAAAAAAAAA', role: 'host',
  roundTrip: { lastMs: 12.4, averageMs: 15, lastInboundAt: now - 3000 },
};

describe('status bar text per state', () => {
  it('connected: participants online, who is reconnecting, round-trip time; tooltip with relay, session, role, participants, heartbeat age', () => {
    const view = statusView(base);
    assert.equal(view.text, '$(broadcast) Pairline: 2 · 1 reconnecting · 12 ms');
    assert.equal(view.severity, 'normal');
    assert.equal(view.refreshInMs, undefined);
    for (const fact of ['Relay: http://127.0.0.1:8787', 'Session: AAAAAAAAAAAAAAAAAAAAAA', 'Role: host',
      'Participants (3): Ada (host), Bob (editor), Eve (viewer, reconnecting)', 'Last heartbeat: 3 s ago']) {
      assert.ok(view.tooltip.includes(fact), `tooltip has "${fact}":\n${view.tooltip}`);
    }
  });

  it('connected before the first round trip shows participants only', () => {
    const everyoneOnline = roster.map((participant) => ({ ...participant, state: 'online' as const }));
    assert.equal(statusView({ ...base, roster: everyoneOnline, roundTrip: undefined }).text, '$(broadcast) Pairline: 3');
  });

  it('a guest whose host is reconnecting is told so, not shown a count that includes the host', () => {
    const hostAway = roster.map((participant) => ({ ...participant, state: participant.role === 'host' ? 'reconnecting' as const : 'online' as const }));
    assert.equal(statusView({ ...base, role: 'editor', roster: hostAway }).text, '$(broadcast) Pairline: 2 · host reconnecting · 12 ms');
    const bothAway = roster.map((participant) => ({ ...participant, state: participant.role === 'editor' ? 'online' as const : 'reconnecting' as const }));
    assert.equal(statusView({ ...base, role: 'editor', roster: bothAway, roundTrip: undefined }).text, '$(broadcast) Pairline: 1 · 2 reconnecting (host too)');
  });

  it('reconnecting: live countdown and attempt number, ticking on whole seconds', () => {
    const input: StatusInput = { ...base, state: 'reconnecting', attempt: 2, retryAt: now + 3500, disconnectedSince: now - 1000 };
    const view = statusView(input);
    assert.equal(view.text, '$(sync~spin) Reconnecting… (retry in 4 s, attempt 2)');
    assert.equal(view.severity, 'warning');
    assert.equal(view.refreshInMs, 500);
    assert.equal(statusView({ ...input, now: now + 500 }).text, '$(sync~spin) Reconnecting… (retry in 3 s, attempt 2)');
    assert.equal(statusView({ ...input, now: now + 3600 }).text, '$(sync~spin) Reconnecting… (attempt 2)');
  });

  it('offline after a long outage: edits kept locally', () => {
    const view = statusView({ ...base, state: 'reconnecting', attempt: 7, retryAt: now + 2000, disconnectedSince: now - OFFLINE_AFTER_MS });
    assert.equal(view.text, '$(cloud-offline) Offline — edits kept locally (retry in 2 s, attempt 7)');
  });

  it('asks to re-render when the outage turns into "offline"', () => {
    const view = statusView({ ...base, state: 'reconnecting', attempt: 1, disconnectedSince: now - OFFLINE_AFTER_MS + 250 });
    assert.equal(view.refreshInMs, 250);
  });

  it('waiting for the host (relay restarted, host not back yet) and waiting for approval', () => {
    assert.equal(statusView({ ...base, state: 'waiting-for-host', attempt: 3, retryAt: now + 1000 }).text,
      '$(watch) Waiting for the host… (retry in 1 s, attempt 3)');
    assert.equal(statusView({ ...base, state: 'waiting-for-approval' }).text, '$(watch) Waiting for the host to let you in…');
  });

  it('ended: the reason, shortened to its first sentence', () => {
    const view = statusView({ ...base, state: 'ended', reason: 'The host ended the session. Thanks for joining.' });
    assert.equal(view.text, '$(circle-slash) Session ended: The host ended the session');
    assert.ok(view.tooltip.includes('The host ended the session. Thanks for joining.'));
  });

  it('no session: an invitation to start or join', () => {
    assert.equal(statusView({ state: undefined, now, roster: [] }).text, '$(broadcast) Pairline');
  });
});

describe('session actions', () => {
  const context = { state: 'connected' as const, role: 'host' as const, hasInvite: true, encrypted: true, following: false, othersPresent: true };

  it('outside a session: start, join, log', () => {
    assert.deepEqual(availableActions({ ...context, state: undefined }), ['start', 'join', 'showLog']);
    assert.deepEqual(availableActions({ ...context, state: 'ended' }), ['start', 'join', 'showLog']);
    assert.equal(inSession('waiting-for-approval'), true);
  });

  it('host in a session: invite links, participants, follow, safety code, leave, end', () => {
    assert.deepEqual(availableActions(context), ['copyInvite', 'createInvite', 'rotateInvite', 'showParticipants', 'follow', 'safetyCode', 'leave', 'end', 'showLog']);
  });

  it('host while reconnecting: no new links (the relay must confirm them)', () => {
    assert.deepEqual(availableActions({ ...context, state: 'reconnecting' }),
      ['copyInvite', 'showParticipants', 'follow', 'safetyCode', 'reconnectNow', 'leave', 'end', 'showLog']);
  });

  it('guest while reconnecting: no host actions, reconnect now, stop following', () => {
    assert.deepEqual(availableActions({ ...context, role: 'editor', state: 'reconnecting', following: true, encrypted: false }),
      ['showParticipants', 'stopFollowing', 'reconnectNow', 'leave', 'showLog']);
  });
});
