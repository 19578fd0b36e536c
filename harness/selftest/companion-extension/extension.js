// Installed by folder copy (startCodeServer({ extensionDirs })) in the harness selftest.
const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('pairlineHarnessCompanion.ping', () => 'pong'));
};
exports.deactivate = () => {};
