/**
 * The extension as host with approval on: a CLI guest knocks, shows up in the participants
 * view's waiting list, and is let in from there; another is denied; the host changes a role,
 * removes a participant and ends the session.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startRelay, type RunningRelay } from '../support/relay-process';
import type { PairlineApi } from '../../extension/api';
import { pairline, startCliGuest, until, type CliGuest } from './support';

describe('host approval and management from the participants view', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  let guest: CliGuest | undefined;
  let mallory: CliGuest | undefined;
  let link: string;
  const guestName = 'Kim knocks';
  const events = () => [api.onDidChange, api.onDidChangeState] as vscode.Event<unknown>[];

  before(async () => {
    api = await pairline();
    relay = await startRelay();
    const config = vscode.workspace.getConfiguration('pairline');
    await config.update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await config.update('approval', 'prompt', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.leaveSession');
    await guest?.stop();
    await mallory?.stop();
    await relay?.stop();
    const config = vscode.workspace.getConfiguration('pairline');
    await config.update('relayUrl', undefined, vscode.ConfigurationTarget.Global);
    await config.update('approval', undefined, vscode.ConfigurationTarget.Global);
  });

  it('lists a knocking guest as waiting and lets them in as viewer', async () => {
    const started = await vscode.commands.executeCommand<string | undefined>('pairline.startSession');
    assert.ok(started);
    link = started;
    guest = startCliGuest(link, guestName);
    await until('the knock in the participants view', () => api.testing.participantsView.some((row) => row.contextValue === 'knock' && row.label === guestName), events(), 30_000)
      .catch((error: Error) => { throw new Error(`${error.message}; CLI output: ${guest?.output.slice(-10).join(' | ')}`); });
    const knock = api.testing.participantsView.find((row) => row.contextValue === 'knock')!;
    await vscode.commands.executeCommand('pairline.allowAsViewer', knock.id);
    await until(`${guestName} in the roster`, () => api.participants.some((participant) => participant.name === guestName), events(), 20_000);
    assert.equal(api.participants.find((participant) => participant.name === guestName)?.role, 'viewer');
    assert.ok(!api.testing.participantsView.some((row) => row.contextValue === 'knock'), 'the waiting list is empty again');
    await guest.waitForOutput((line) => line.event === 'joined');
  });

  it('changes the guest\'s role', async () => {
    const id = api.participants.find((participant) => participant.name === guestName)!.id;
    await vscode.commands.executeCommand('pairline.changeParticipantRole', id, 'editor');
    await until('the guest to become an editor', () => api.participants.find((participant) => participant.id === id)?.role === 'editor', events(), 15_000);
    const row = api.testing.participantsView.find((entry) => entry.id === id);
    assert.match(row?.description ?? '', /^editor/);
  });

  it('denies a guest from the waiting list', async () => {
    mallory = startCliGuest(link, 'Mallory');
    await until('the second knock', () => api.testing.participantsView.some((row) => row.contextValue === 'knock' && row.label === 'Mallory'), events(), 30_000);
    const knock = api.testing.participantsView.find((row) => row.contextValue === 'knock')!;
    await vscode.commands.executeCommand('pairline.denyGuest', knock.id);
    await mallory.waitForOutput((line) => (line.event === 'error' && line.code === 'ended') || (line.event === 'state' && line.state === 'ended'));
    assert.ok(!api.participants.some((participant) => participant.name === 'Mallory'));
    assert.ok(!api.testing.participantsView.some((row) => row.contextValue === 'knock'));
  });

  it('removes a participant', async () => {
    const id = api.participants.find((participant) => participant.name === guestName)!.id;
    await vscode.commands.executeCommand('pairline.removeParticipant', id, { confirm: false });
    await until(`${guestName} gone from the roster`, () => !api.participants.some((participant) => participant.id === id), events(), 15_000);
    await guest!.waitForOutput((line) => (line.event === 'error' && line.code === 'ended') || (line.event === 'state' && line.state === 'ended'));
  });

  it('ends the session', async () => {
    await vscode.commands.executeCommand('pairline.endSession', { confirm: false });
    await until('the session to end', () => api.state === 'ended', events(), 15_000);
    assert.match(api.testing.statusBar.text, /Session ended/);
  });
});
