import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, pairline } from './support';

describe('activation', () => {
  it('activates in a real extension host and returns the API with no session', async () => {
    const api = await pairline();
    assert.equal(api.state, undefined);
    assert.deepEqual(api.participants, []);
    assert.equal(api.testing.statusBar.text, '$(broadcast) Pairline');
    assert.deepEqual(api.testing.decorations, []);
  });

  it('registers every command the manifest contributes', async () => {
    await pairline();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { commands: { command: string }[] } };
    const contributed = manifest.contributes.commands.map((entry) => entry.command);
    assert.ok(contributed.length >= 14, `manifest lists ${contributed.length} commands`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(missing, []);
    for (const command of ['pairline.startSession', 'pairline.joinSession', 'pairline.copyInviteLink', 'pairline.leaveSession',
      'pairline.endSession', 'pairline.showParticipants', 'pairline.followParticipant', 'pairline.stopFollowing',
      'pairline.changeParticipantRole', 'pairline.removeParticipant', 'pairline.reconnectNow', 'pairline.showLog', 'pairline.showSafetyCode']) {
      assert.ok(contributed.includes(command), `${command} is contributed`);
    }
  });

  it('contributes eight participant theme colours', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { colors: { id: string }[] } };
    const ids = manifest.contributes.colors.map((color) => color.id);
    for (let i = 1; i <= 8; i++) assert.ok(ids.includes(`pairline.participant${i}`));
  });
});
