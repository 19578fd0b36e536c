// Named steps with a screenshot each, counted as passed or failed. A step whose feature the
// extension does not have yet throws NotYetSupported: it is reported as "not yet supported" and
// counted as failed (the feature is meant to exist), never as passed. A step whose prerequisite
// did not pass is not run and counted as failed too, with the reason.
/* global setTimeout, clearTimeout */
import fs from 'node:fs';
import path from 'node:path';
import { NotYetSupported } from './wait.mjs';

/**
 * @typedef {{ name: string, status: 'passed' | 'failed' | 'unsupported' | 'blocked', seconds: number, reason?: string, screenshot?: string }} StepResult
 */

export class Suite {
  /**
   * @param {object} options
   * @param {string} options.resultsDir          test-results/e2e
   * @param {() => Promise<Array<{ name: string, png: Buffer }>>} options.capture  screenshots of the windows
   * @param {(pngs: Array<{ name: string, png: Buffer }>, caption: string) => Promise<Buffer>} options.compose
   * @param {(step: string) => void} options.onFailure   prints logs etc.
   * @param {(line: string) => void} [options.print]
   */
  constructor({ resultsDir, capture, compose, onFailure, print = (line) => console.log(line) }) {
    this.resultsDir = resultsDir;
    this.capture = capture;
    this.compose = compose;
    this.onFailure = onFailure;
    this.print = print;
    /** @type {StepResult[]} */
    this.results = [];
    /** @type {string | undefined} */
    this.lastScreenshot = undefined;
    /** @type {Map<string, Buffer>} raw captures of the last step, by window name */
    this.lastCaptures = new Map();
  }

  /** @param {string} name */
  passed(name) {
    return this.results.some((result) => result.name === name && result.status === 'passed');
  }

  /**
   * Run one step.
   * @param {string} name  e.g. "alice-starts-session"
   * @param {() => Promise<string | void>} body  may return a caption for the screenshot
   * @param {{ needs?: string[], timeoutMs?: number }} [options]
   * @returns {Promise<boolean>} passed
   */
  async step(name, body, { needs = [], timeoutMs = 120_000 } = {}) {
    const number = String(this.results.length + 1).padStart(2, '0');
    const missing = needs.filter((need) => !this.passed(need));
    if (missing.length > 0) {
      const reason = `not run: needs ${missing.join(', ')}`;
      this.results.push({ name, status: 'blocked', seconds: 0, reason });
      this.print(`✗ ${number} ${name} — ${reason}`);
      return false;
    }
    const started = Date.now();
    let timer;
    let status = 'passed';
    let reason;
    let caption = '';
    try {
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`step timed out after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      });
      caption = (await Promise.race([body(), timeout])) || '';
    } catch (error) {
      status = error instanceof NotYetSupported ? 'unsupported' : 'failed';
      reason = error instanceof Error ? (status === 'failed' ? error.stack ?? error.message : error.message) : String(error);
    } finally {
      clearTimeout(timer);
    }
    const seconds = (Date.now() - started) / 1000;
    const file = path.join(this.resultsDir, `${number}-${name}${status === 'passed' ? '' : `-${status}`}.png`);
    let screenshot;
    try {
      const captures = await this.capture();
      this.lastCaptures = new Map(captures.map((c) => [c.name, c.png]));
      fs.writeFileSync(file, await this.compose(captures, `${number} ${name}${caption ? ` — ${caption}` : ''}${status === 'passed' ? '' : ` — ${status.toUpperCase()}`}`));
      screenshot = file;
      this.lastScreenshot = file;
    } catch (error) {
      this.print(`  (screenshot failed: ${error instanceof Error ? error.message : String(error)})`);
    }
    this.results.push({ name, status, seconds, reason, screenshot });
    const timing = `${seconds.toFixed(1)} s`;
    if (status === 'passed') {
      this.print(`✓ ${number} ${name} (${timing})${caption ? ` — ${caption}` : ''}\n    screenshot: ${screenshot ?? '(none)'}`);
      return true;
    }
    if (status === 'unsupported') {
      this.print(`✗ ${number} ${name} — not yet supported: ${reason} (${timing})\n    screenshot: ${screenshot ?? '(none)'}`);
      return false;
    }
    this.print(`✗ ${number} ${name} FAILED (${timing})\n    ${String(reason).split('\n').join('\n    ')}`);
    this.print(`    last screenshot: ${this.lastScreenshot ?? '(none)'}`);
    this.onFailure(name);
    return false;
  }

  /**
   * Count something that went wrong outside any step (setup, a suite timeout) as a failed step.
   * @param {string} name
   * @param {string} reason
   */
  fail(name, reason) {
    this.results.push({ name, status: 'failed', seconds: 0, reason });
  }

  /** "N passed, N failed" */
  closingLine() {
    const passed = this.results.filter((r) => r.status === 'passed').length;
    return `${passed} passed, ${this.results.length - passed} failed`;
  }

  /** One line per step that did not pass, for the end of the output. */
  problems() {
    return this.results.filter((r) => r.status !== 'passed').map((r) => {
      const first = String(r.reason ?? '').split('\n')[0];
      return `  ${r.name}: ${r.status === 'unsupported' ? 'not yet supported — ' : r.status === 'blocked' ? '' : 'failed — '}${first}`;
    });
  }
}
