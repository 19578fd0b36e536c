// Reads a window's extension host through the test-only probe extension (test/e2e/probe): what
// Pairline's activate() API reports, and the editor's documents, selections and folders.
/* global fetch, AbortSignal */
import fs from 'node:fs';
import path from 'node:path';
import { waitUntil } from './wait.mjs';

export class Probe {
  /** @param {string} dir  the PAIRLINE_E2E_PROBE_DIR given to this window's code-server */
  constructor(dir) {
    this.dir = dir;
    /** @type {number | undefined} */
    this.port = undefined;
    this.file = path.join(dir, 'probe.json');
  }

  /** Extension host start time of the probe now answering (changes when the window reloads). */
  startedAt() {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')).startedAt;
    } catch {
      return undefined;
    }
  }

  /**
   * One snapshot. The port is re-read from probe.json on every failure, because a window reload
   * restarts the extension host and with it the probe.
   * @returns {Promise<any>}
   */
  async snapshot() {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.port === undefined || attempt > 0) {
        if (!fs.existsSync(this.file)) throw new Error(`probe not started yet (${this.file} missing)`);
        this.port = JSON.parse(fs.readFileSync(this.file, 'utf8')).port;
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/snapshot`, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`probe answered ${response.status}: ${await response.text()}`);
        return await response.json();
      } catch (error) {
        if (attempt > 0) throw error;
      }
    }
    throw new Error('unreachable');
  }

  /**
   * Wait until `check(snapshot)` returns a value (not undefined/false).
   * @template T
   * @param {string} what
   * @param {(snapshot: any) => T | undefined | false} check
   * @param {{ timeoutMs?: number, describe?: (snapshot: any) => string }} [options]
   * @returns {Promise<T>}
   */
  async waitFor(what, check, { timeoutMs = 30_000, describe } = {}) {
    let last;
    return waitUntil(what, async () => {
      last = await this.snapshot();
      return check(last);
    }, {
      timeoutMs,
      intervalMs: 200,
      describe: () => (last === undefined ? 'no snapshot' : describe ? describe(last) : summary(last)),
    });
  }
}

/** A short, secret-free description of a snapshot for error messages. */
export function summary(snapshot) {
  const p = snapshot.pairline ?? {};
  return JSON.stringify({
    state: p.state,
    role: p.role,
    participants: (p.participants ?? []).map((x) => `${x.name}:${x.role}:${x.state}`),
    statusBar: p.statusBar?.text,
    following: p.following,
    folders: snapshot.workspaceFolders?.map((f) => f.uri),
    activeEditor: snapshot.activeEditor?.uri,
    decorations: (p.decorations ?? []).map((d) => ({ name: d.name, uri: d.uri, cursors: d.cursors, label: d.label })),
  });
}

/** The document with this uri (or whose path ends with `/suffix`) in a snapshot. */
export function documentOf(snapshot, suffix) {
  return snapshot.documents.find((d) => d.uri === suffix || d.path.endsWith(`/${suffix}`));
}
