/**
 * Invite-link commands inside the real extension host: Rotate Invite Link replaces the link (a CLI
 * joining with the old one is refused with 4401 while the CLI guest already in stays), Create
 * Invite Link… makes a viewer link with an expiry hint, and Join Session refuses a link whose
 * expiry hint has passed without connecting. The relay and the CLIs are stopped by this suite.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PairlineApi } from '../../extension/api';
import { CloseCode, parseInviteLink } from '../../protocol';
import { startRelay, type RunningRelay } from '../support/relay-process';
import { pairline, startCliGuest, until, type CliGuest } from './support';

describe('invite links (rotate, viewer, expiring)', function () {
  let api: PairlineApi;
  let relay: RunningRelay | undefined;
  const clis: CliGuest[] = [];
  const events = () => [api.onDidChange, api.onDidChangeState] as vscode.Event<unknown>[];
  const cli = (link: string, name: string) => {
    const child = startCliGuest(link, name);
    clis.push(child);
    return child;
  };
  const entry = (name: string) => api.participants.find((participant) => participant.name === name);

  before(async () => {
    api = await pairline();
    relay = await startRelay();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', relay.url, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', 'auto', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    if (api?.state && api.state !== 'ended') await vscode.commands.executeCommand('pairline.endSession', { confirm: false });
    for (const child of clis) await child.stop();
    await relay?.stop();
    await vscode.workspace.getConfiguration('pairline').update('relayUrl', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('pairline').update('approval', undefined, vscode.ConfigurationTarget.Global);
  });

  it('contributes the commands for the host only', () => {
    const manifest = vscode.extensions.getExtension('pairline.pairline')?.packageJSON as {
      contributes: { commands: { command: string; title: string }[]; menus: { commandPalette: { command: string; when: string }[] } };
    };
    for (const [command, title] of [['pairline.rotateInviteLink', 'Rotate Invite Link'], ['pairline.createInviteLink', 'Create Invite Link…']]) {
      assert.equal(manifest.contributes.commands.find((entry) => entry.command === command)?.title, title);
      assert.equal(manifest.contributes.menus.commandPalette.find((entry) => entry.command === command)?.when, 'pairline.inSession && pairline.isHost');
    }
  });

  it('rotates the invite link: the old one is refused, the guest already in stays', async () => {
    const started = await vscode.commands.executeCommand<string | undefined>('pairline.startSession');
    assert.ok(started, 'the session started');
    const early = cli(started, 'Early Gus');
    await until('Early Gus in the roster', () => entry('Early Gus') !== undefined, events(), 45_000);

    const rotated = await vscode.commands.executeCommand<string | undefined>('pairline.rotateInviteLink', { confirm: false });
    assert.ok(rotated, 'the command returns the new link');
    assert.notEqual(rotated, started);
    assert.equal(api.inviteLink, rotated);

    const refused = cli(started, 'Late Olga');
    const ended = await refused.waitForOutput((line) => line.event === 'error' && line.code === 'ended');
    assert.equal(ended.closeCode, CloseCode.Unauthorized);
    assert.match(String(ended.message), /host has replaced it/);

    cli(rotated, 'New Nina');
    await until('New Nina in the roster', () => entry('New Nina') !== undefined, events(), 45_000);
    assert.equal(entry('Early Gus')?.state, 'online');
    early.send({ cmd: 'status', id: 'still-in' });
    const status = await early.waitForOutput((line) => line.event === 'result' && line.id === 'still-in');
    assert.equal(status.state, 'connected');
  });

  it('creates a viewer link with an expiry; its guest joins as a viewer', async () => {
    const before = Date.now();
    const link = await vscode.commands.executeCommand<string | undefined>('pairline.createInviteLink', { role: 'viewer', expiresInMinutes: 60 });
    assert.ok(link, 'the command returns the link');
    const parsed = parseInviteLink(link);
    assert.ok(parsed.ok);
    assert.equal(parsed.invite.role, 'viewer');
    assert.ok(parsed.invite.expiresAt !== undefined && parsed.invite.expiresAt >= before + 59 * 60_000, `expiry hint ${parsed.invite.expiresAt}`);
    cli(link, 'Vera Viewer');
    await until('Vera Viewer in the roster', () => entry('Vera Viewer') !== undefined, events(), 45_000);
    assert.equal(entry('Vera Viewer')?.role, 'viewer');
  });

  it('refuses to join with a link whose expiry hint has passed, without connecting', async () => {
    const link = api.inviteLink!;
    await vscode.commands.executeCommand('pairline.endSession', { confirm: false });
    await until('the session to end', () => api.state === 'ended', events());
    const parsed = parseInviteLink(link);
    assert.ok(parsed.ok);
    const joined = await vscode.commands.executeCommand<boolean>('pairline.joinSession', { ...parsed.invite, expiresAt: Date.now() - 60_000 });
    assert.equal(joined, false);
    assert.equal(api.state, 'ended', 'no new client was started');
  });
});
