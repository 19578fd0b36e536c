/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- a VS Code extension's main is CommonJS */
// Test-only extension installed next to Pairline in each e2e window. It observes, never acts:
// an HTTP server on 127.0.0.1 (random port, written to $PAIRLINE_E2E_PROBE_DIR/probe.json) answers
// GET /snapshot with what Pairline's activate() API reports plus what the editor holds (document
// text, selections, workspace folders), because the page cannot show editor text reliably.
// Each extension host start (a window reload included) rewrites probe.json with its new port.
'use strict';
const vscode = require('vscode');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const PAIRLINE_ID = 'pairline.pairline';

function position(p) {
  return { line: p.line, character: p.character };
}

function documentView(document) {
  return {
    uri: document.uri.toString(),
    scheme: document.uri.scheme,
    path: document.uri.path,
    text: document.getText(),
    isDirty: document.isDirty,
    version: document.version,
    eol: document.eol === vscode.EndOfLine.CRLF ? 'crlf' : 'lf',
  };
}

function editorView(editor) {
  return {
    uri: editor.document.uri.toString(),
    selections: editor.selections.map((s) => ({ anchor: position(s.anchor), active: position(s.active) })),
    visibleRanges: editor.visibleRanges.map((r) => ({ start: position(r.start), end: position(r.end) })),
  };
}

async function pairlineView() {
  const extension = vscode.extensions.getExtension(PAIRLINE_ID);
  if (!extension) return { installed: false };
  const api = extension.isActive ? extension.exports : await extension.activate();
  if (!api) return { installed: true, active: extension.isActive, api: false };
  const testing = api.testing || {};
  return {
    installed: true,
    active: extension.isActive,
    version: extension.packageJSON.version,
    api: true,
    state: api.state,
    session: api.session,
    role: api.role,
    me: api.me,
    participants: api.participants,
    inviteLink: api.inviteLink,
    following: api.following,
    statusBar: testing.statusBar,
    decorations: testing.decorations,
    participantsView: testing.participantsView,
    heals: api.heals,
    coEditing: testing.coEditing ? { reconciles: testing.coEditing.reconciles, boundPaths: testing.coEditing.boundPaths } : undefined,
  };
}

async function snapshot() {
  const commands = (await vscode.commands.getCommands(true)).filter((id) => id.startsWith('pairline.'));
  return {
    at: Date.now(),
    pid: process.pid,
    pairline: await pairlineView(),
    commands,
    fileSystems: { pairline: vscode.workspace.fs.isWritableFileSystem('pairline') },
    workspaceFolders: (vscode.workspace.workspaceFolders || []).map((f) => ({ uri: f.uri.toString(), name: f.name })),
    activeEditor: vscode.window.activeTextEditor ? editorView(vscode.window.activeTextEditor) : undefined,
    visibleEditors: vscode.window.visibleTextEditors.map(editorView),
    documents: vscode.workspace.textDocuments.filter((d) => d.uri.scheme !== 'output' && d.uri.scheme !== 'vscode-userdata').map(documentView),
  };
}

function activate(context) {
  const dir = process.env.PAIRLINE_E2E_PROBE_DIR;
  if (!dir) return;
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/snapshot') {
      response.writeHead(404).end();
      return;
    }
    snapshot().then(
      (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error && error.stack || error)),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    const file = path.join(dir, 'probe.json');
    fs.mkdirSync(dir, { recursive: true });
    // Write then rename, so the test never reads half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ port: server.address().port, pid: process.pid, startedAt: Date.now() }));
    fs.renameSync(`${file}.tmp`, file);
  });
  context.subscriptions.push({ dispose: () => server.close() });
}

module.exports = { activate, deactivate() {} };
