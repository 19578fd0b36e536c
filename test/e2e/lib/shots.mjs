// Screenshots of both windows side by side in one PNG, composed by Chromium itself (no image
// library needed): a small page shows the two captures with their owner's name above each.
/* global document -- used only inside functions Chromium evaluates */
import { Buffer } from 'node:buffer';

export class ShotComposer {
  /** @param {import('playwright-core').Browser} browser */
  constructor(browser) {
    this.browser = browser;
    /** @type {import('playwright-core').Page | undefined} */
    this.page = undefined;
  }

  /**
   * @param {Array<{ name: string, png: Buffer }>} shots
   * @param {{ caption?: string }} [options]
   * @returns {Promise<Buffer>}
   */
  async compose(shots, { caption = '' } = {}) {
    if (!this.page) {
      const context = await this.browser.newContext({ viewport: { width: 800, height: 600 } });
      this.page = await context.newPage();
    }
    const figures = shots.map(({ name, png }) => `<figure><figcaption>${escapeHtml(name)}</figcaption><img src="data:image/png;base64,${Buffer.from(png).toString('base64')}"></figure>`).join('');
    await this.page.setContent(`<!doctype html><html><head><style>
      body { margin: 0; background: #111; color: #eee; font: 16px system-ui, sans-serif; }
      main { display: flex; gap: 8px; padding: 8px; width: max-content; }
      figure { margin: 0; } figcaption { padding: 2px 0 6px; font-weight: 600; }
      img { display: block; border: 1px solid #444; }
      p { margin: 8px; }
    </style></head><body>${caption ? `<p>${escapeHtml(caption)}</p>` : ''}<main>${figures}</main></body></html>`);
    await this.page.waitForFunction(() => [...document.images].every((image) => image.complete && image.naturalWidth > 0));
    return this.page.screenshot({ fullPage: true });
  }

  /**
   * Crop a PNG to a rectangle (in the PNG's pixels), optionally scaled down, through the same page.
   * @param {Buffer} png
   * @param {{ x: number, y: number, width: number, height: number }} clip
   * @param {{ scale?: number }} [options]
   * @returns {Promise<Buffer>}
   */
  async crop(png, clip, { scale = 1 } = {}) {
    if (!this.page) await this.compose([]);
    const page = /** @type {import('playwright-core').Page} */ (this.page);
    await page.setViewportSize({ width: Math.ceil(clip.width * scale), height: Math.ceil(clip.height * scale) });
    await page.setContent(`<!doctype html><html><body style="margin:0;overflow:hidden"><div style="width:${clip.width * scale}px;height:${clip.height * scale}px;overflow:hidden;position:relative">
      <img style="position:absolute;left:${-clip.x * scale}px;top:${-clip.y * scale}px;transform-origin:0 0;transform:scale(${scale})" src="data:image/png;base64,${Buffer.from(png).toString('base64')}"></div></body></html>`);
    await page.waitForFunction(() => [...document.images].every((image) => image.complete && image.naturalWidth > 0));
    const result = await page.screenshot();
    await page.setViewportSize({ width: 800, height: 600 });
    return result;
  }
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}
