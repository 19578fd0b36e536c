// Drives one VS Code window (a code-server workbench page) the way a person does: the command
// palette, input boxes, quick picks, notifications, the editor and the status bar. Editor text is
// not read from the page (its lines are not in order); the Probe reads it in the extension host.
/* global getComputedStyle -- evaluated in the page */
import { waitUntil } from './wait.mjs';

/** DOM id of Pairline's status bar item: `<extension id>.<item id>`. */
export const PAIRLINE_STATUS_ID = 'pairline.pairline.pairline.status';

const QUICK_INPUT = '.quick-input-widget';
const NOTIFICATION = '.notification-list-item';

export class Window {
  /**
   * @param {string} name  "Alice" / "Bob"
   * @param {import('playwright-core').Page} page
   * @param {import('./probe.mjs').Probe} probe
   */
  constructor(name, page, probe) {
    this.name = name;
    this.page = page;
    this.probe = probe;
  }

  // ---------------------------------------------------------------- command palette, quick input

  /**
   * F1, type the command's title, wait until it is the highlighted entry, Enter.
   * @param {string} title  e.g. "Pairline: Start Session"
   */
  async runCommand(title, { timeoutMs = 30_000 } = {}) {
    const { page } = this;
    await this.closeQuickInput();
    await page.keyboard.press('F1');
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${title}`);
    // The palette filters asynchronously; Enter only once the wanted command is the focused row.
    await waitUntil(`${this.name}'s command palette highlights "${title}"`, async () => {
      const focused = page.locator(`${QUICK_INPUT} .monaco-list-row.focused`);
      if ((await focused.count()) === 0) return false;
      const label = (await focused.first().getAttribute('aria-label')) ?? '';
      return label.startsWith(title);
    }, { timeoutMs, describe: () => this.quickInputRows().then((rows) => rows.join(' | ')) });
    await page.keyboard.press('Enter');
  }

  /** Labels of the rows the quick input shows now. */
  async quickInputRows() {
    return this.page.locator(`${QUICK_INPUT} .monaco-list-row`).evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label') ?? ''));
  }

  /**
   * Answer the input box a command opened: wait for it (optionally for its title), type, Enter,
   * and wait until it closed (a validation error would keep it open).
   * @param {string} value
   * @param {{ title?: string, timeoutMs?: number }} [options]
   */
  async answerInputBox(value, { title, timeoutMs = 30_000 } = {}) {
    const { page } = this;
    const widget = page.locator(QUICK_INPUT);
    await widget.waitFor({ state: 'visible', timeout: timeoutMs });
    if (title) {
      await waitUntil(`${this.name}'s input box titled "${title}"`, async () => {
        const text = (await page.locator(`${QUICK_INPUT} .quick-input-title`).textContent().catch(() => '')) ?? '';
        return text.includes(title);
      }, { timeoutMs });
    }
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await input.fill(value);
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: timeoutMs }).catch(async () => {
      const message = await page.locator(`${QUICK_INPUT} .quick-input-message`).textContent().catch(() => '');
      throw new Error(`${this.name}'s input box did not accept the value: ${message}`);
    });
  }

  /**
   * Pick the quick pick entry whose label starts with `label` (click it, as a person would).
   * @param {string} label
   */
  async pickQuickItem(label, { timeoutMs = 30_000 } = {}) {
    const row = this.page.locator(`${QUICK_INPUT} .monaco-list-row`).filter({ has: this.page.locator('.label-name', { hasText: label }) });
    await waitUntil(`${this.name}'s quick pick offers "${label}"`, async () => (await row.count()) > 0, {
      timeoutMs,
      describe: () => this.quickInputRows().then((rows) => rows.join(' | ') || 'no quick pick'),
    });
    await row.first().click();
  }

  async closeQuickInput() {
    if (await this.page.locator(QUICK_INPUT).isVisible()) await this.page.keyboard.press('Escape');
  }

  // ------------------------------------------------------------------------------ notifications

  /** Messages of all notifications shown now (toasts and, when open, the notification center). */
  async notificationMessages() {
    return this.page.locator(`${NOTIFICATION} .notification-list-item-message`).evaluateAll((nodes) => nodes.map((node) => node.textContent ?? ''));
  }

  /**
   * The notification whose message contains `text`. Looks at the toasts first; toasts hide
   * themselves after a while, so it then opens the notification center, where they stay.
   * @param {string | RegExp} text
   * @returns {Promise<import('playwright-core').Locator>}
   */
  async waitForNotification(text, { timeoutMs = 30_000 } = {}) {
    const { page } = this;
    const item = page.locator(NOTIFICATION).filter({ has: page.locator('.notification-list-item-message', { hasText: text }) });
    let centerOpened = false;
    const started = Date.now();
    await waitUntil(`${this.name} sees a notification containing "${text}"`, async () => {
      if ((await item.count()) > 0) return true;
      // After a few seconds without a toast, look in the notification center too.
      if (!centerOpened && Date.now() - started > 3000) {
        centerOpened = true;
        await this.showNotificationCenter();
      }
      return false;
    }, { timeoutMs, describe: () => this.notificationMessages().then((messages) => JSON.stringify(messages)) });
    return item.first();
  }

  async showNotificationCenter() {
    if (await this.page.locator('.notifications-center.visible').isVisible().catch(() => false)) return;
    await this.page.locator('#status\\.notifications').click();
  }

  /**
   * Click the button `buttonText` of the notification containing `text`.
   * @param {string | RegExp} text
   * @param {string} buttonText
   */
  async clickNotificationButton(text, buttonText, { timeoutMs = 30_000 } = {}) {
    const item = await this.waitForNotification(text, { timeoutMs });
    await item.hover(); // toasts stay while hovered
    const button = item.locator('.monaco-button', { hasText: buttonText });
    await button.first().click({ timeout: timeoutMs });
  }

  /** Dismiss every toast (so later screenshots show what matters). */
  async clearNotifications() {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  // ---------------------------------------------------------------------------------- status bar

  statusItem() {
    return this.page.locator(`[id="${PAIRLINE_STATUS_ID}"]`);
  }

  /** The Pairline status bar item's text as drawn (codicons are icons, not text). */
  async statusText() {
    const text = await this.statusItem().textContent({ timeout: 5000 });
    return (text ?? '').replace(/\s+/g, ' ').trim();
  }

  /**
   * Wait until the Pairline status bar item's text matches.
   * @param {RegExp} pattern
   * @returns {Promise<string>} the matching text
   */
  async waitForStatus(pattern, { timeoutMs = 30_000 } = {}) {
    let last = '';
    return waitUntil(`${this.name}'s status bar shows ${pattern}`, async () => {
      last = await this.statusText();
      return pattern.test(last) ? last : false;
    }, { timeoutMs, describe: () => JSON.stringify(last) });
  }

  // -------------------------------------------------------------------------------------- editor

  /**
   * Open a file of the workspace with Quick Open (Ctrl+P), as a person would.
   * @param {string} name
   */
  async quickOpen(name, { timeoutMs = 30_000 } = {}) {
    const { page } = this;
    await this.closeQuickInput();
    await page.keyboard.press('Control+P');
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(name);
    await waitUntil(`${this.name}'s Quick Open lists ${name}`, async () => {
      const label = await page.locator(`${QUICK_INPUT} .monaco-list-row.focused`).first().getAttribute('aria-label', { timeout: 1000 }).catch(() => undefined);
      return label !== undefined && label !== null && label.includes(name);
    }, { timeoutMs, describe: () => this.quickInputRows().then((rows) => rows.join(' | ')) });
    await page.keyboard.press('Enter');
  }

  /** Focus the active editor's text (click into it would move the cursor, so use the command). */
  async focusEditor() {
    await this.runCommand('View: Focus Active Editor Group');
  }

  /**
   * Move the cursor to line:column (1-based) with Go to Line (Ctrl+G accepts "line:column").
   * @param {number} line
   * @param {number} [column]
   */
  async goTo(line, column = 1) {
    const { page } = this;
    await this.closeQuickInput();
    await page.keyboard.press('Control+G');
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}:${column}`);
    await page.keyboard.press('Enter');
    await page.locator(QUICK_INPUT).waitFor({ state: 'hidden' });
  }

  /**
   * Where the editor draws a decoration label (text drawn by CSS `::after`/`::before`, as
   * `renderOptions.after.contentText` is), or undefined when none shows `text`.
   * @param {string} text
   * @returns {Promise<{ x: number, y: number, width: number, height: number } | undefined>}
   */
  async decorationLabel(text) {
    return this.page.locator('.monaco-editor .view-lines span[class*="ced-"]').evaluateAll((spans, wanted) => {
      for (const span of spans) {
        for (const pseudo of ['::after', '::before']) {
          const content = getComputedStyle(span, pseudo).content;
          if (content === JSON.stringify(wanted)) {
            const rect = span.getBoundingClientRect();
            // The label is drawn after the span's own text: extend the box by the label's width.
            const width = parseFloat(getComputedStyle(span, pseudo).width) || 0;
            return { x: rect.x, y: rect.y, width: rect.width + width, height: rect.height };
          }
        }
      }
      return undefined;
    }, text);
  }

  /** Type like a person (key by key) into whatever has focus. */
  async type(text, { delayMs = 15 } = {}) {
    await this.page.keyboard.type(text, { delay: delayMs });
  }

  // --------------------------------------------------------------------------------- screenshots

  /** @returns {Promise<Buffer>} */
  screenshot() {
    return this.page.screenshot({ timeout: 30_000 });
  }
}
