/**
 * Phase "join": a guest with an empty window joins. Adding the host's folder as the window's first
 * folder reloads the window, which ends this extension host: the runner sees the navigation, checks
 * through the host that the reloaded window rejoined by itself, and runs phase "rejoined" in it.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { pairline, until } from './support';
import { folderEvents, invite, pairlineFolders } from './guest-workspace-support';

describe('guest workspace from an empty window', function () {
  it('joins from the invite link; the host\'s folder becomes the first workspace folder', async () => {
    const api = await pairline();
    assert.equal(vscode.workspace.workspaceFolders, undefined, 'the window starts empty');
    const joined = await vscode.commands.executeCommand<boolean>('pairline.joinSession', invite());
    assert.equal(joined, true);
    assert.equal(api.state, 'connected');
    // Usually the window reloads before this resolves and the run ends here (the runner expects that).
    await until('a pairline: workspace folder', () => pairlineFolders().length === 1, folderEvents, 60_000);
  });
});
