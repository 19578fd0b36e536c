/**
 * Participant colours. The relay assigns each participant a colour index (0–63, stable for the
 * session); editors map it onto a small palette of theme colours that read well in light, dark
 * and high-contrast themes.
 */

/** Number of contributed theme colours (`pairline.participant1` … `pairline.participant8`). */
export const PALETTE_SIZE = 8;

/** Palette slot (0-based) for a roster colour index; negative or fractional input is clamped. */
export function paletteSlot(color: number): number {
  const index = Number.isFinite(color) ? Math.max(0, Math.floor(color)) : 0;
  return index % PALETTE_SIZE;
}

/** The contributed theme colour id for a roster colour index, e.g. `pairline.participant3`. */
export function participantColorId(color: number): string {
  return `pairline.participant${paletteSlot(color) + 1}`;
}
