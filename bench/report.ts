/** Markdown formatting of the figures. Every figure is printed as measured; nothing passes or fails. */
import type { FanoutFigures } from './fanout';

export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

export function pct(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1024 / 1024).toFixed(1) : 'n/a';
}

export function kb(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1024).toFixed(2) : 'n/a';
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

export function closes(figures: FanoutFigures): string {
  const entries = Object.entries(figures.closes);
  const closed = entries.length === 0 ? '' : ` (closed: ${entries.map(([code, count]) => `${count}×${code}`).join(', ')})`;
  const skipped = figures.presenceSkipped > 0 ? ` (${num(figures.presenceSkipped)} presence frames skipped for backlogged receivers)` : '';
  return closed + skipped;
}

/**
 * Relay CPU time per delivered message, µs. Unlike latency it hardly depends on how much CPU the
 * scheduler gave the relay, so it stays comparable on a busy machine.
 */
export function cpuPerMessage(figures: FanoutFigures): number {
  return figures.deliveredPerSecond > 0 ? (figures.relayCpu / figures.deliveredPerSecond) * 1e6 : Number.NaN;
}

export const FANOUT_HEADER = [
  '| load R×M@F | relay | delivered msg/s | delivery | p50 ms | p99 ms | p99.9 ms | max ms | relay CPU s/s | relay CPU µs per delivered msg | relay RSS MB | generator CPU s/s | generator max send lag ms |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];

export function fanoutRow(label: string, relay: string, figures: FanoutFigures): string {
  return `| ${label} | ${relay}${closes(figures)} | ${num(figures.deliveredPerSecond)} | ${pct(figures.deliveryRatio)} | ${ms(figures.p50)} | ${ms(figures.p99)} | ${ms(figures.p999)} | ${ms(figures.max)} | ${num(figures.relayCpu, 2)} | ${num(cpuPerMessage(figures), 1)} | ${mb(figures.relayRssBytes)} | ${num(figures.generatorCpu, 2)} | ${ms(figures.maxTimerLagMs)} |`;
}

export function ratioRow(label: string, pairline: FanoutFigures, floor: FanoutFigures): string {
  return `| ${label} | Pairline ÷ floor | ${ratio(pairline.deliveredPerSecond, floor.deliveredPerSecond)} | | ${ratio(pairline.p50, floor.p50)} | ${ratio(pairline.p99, floor.p99)} | ${ratio(pairline.p999, floor.p999)} | | ${ratio(pairline.relayCpu, floor.relayCpu)} | ${ratio(cpuPerMessage(pairline), cpuPerMessage(floor))} | ${ratio(pairline.relayRssBytes, floor.relayRssBytes)} | | |`;
}
