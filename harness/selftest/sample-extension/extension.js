// Minimal sample extension for the harness selftest (CommonJS, runs in the Node extension host).
const vscode = require('vscode');

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('pairlineHarnessSample.hello', () => `hello from ${process.pid}`),
  );
  const item = vscode.window.createStatusBarItem('pairlineHarnessSample.status', vscode.StatusBarAlignment.Left, 1000);
  item.name = 'Pairline harness sample';
  item.text = 'Pairline sample active';
  item.show();
  context.subscriptions.push(item);
}

function deactivate() {}

module.exports = { activate, deactivate };
