/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, with bundle
 * positions mapped back to source files through the bundle's source map when there is one.
 *
 * Standalone: node --import tsx bench/cpuprofile.ts FILE.cpuprofile [TOP]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
}

export interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileLine {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time outside idle, ms. */
  readonly busyMs: number;
  /** Time between samples beyond {@link gapCapMs}, counted for no function (see {@link summarise}). */
  readonly uncountedMs: number;
  /** The longest interval between two samples counted in full: 4 × the median interval. */
  readonly gapCapMs: number;
  readonly top: readonly ProfileLine[];
  /** Busy time by origin: relay source folders, dependencies, V8/Node internals. */
  readonly byOrigin: ReadonlyArray<{ readonly origin: string; readonly selfMs: number; readonly share: number }>;
}

const sourceMaps = new Map<string, SourceMap | undefined>();

function mapFor(url: string): SourceMap | undefined {
  if (!url.startsWith('file://')) return undefined;
  if (!sourceMaps.has(url)) {
    const file = `${fileURLToPath(url)}.map`;
    sourceMaps.set(url, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
  }
  return sourceMaps.get(url);
}

/** `relay-server/sessions.ts:271`, `node_modules/ws/lib/sender.js:…`, or `(native)`. */
function locate(frame: ProfileNode['callFrame']): string {
  if (frame.url === '') return '(native)';
  const map = mapFor(frame.url);
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
    if (entry.originalSource) {
      const source = entry.originalSource.replace(/^.*?(node_modules\/|relay-server\/|protocol\/|client\/)/, '$1');
      return `${source}:${(entry.originalLine ?? 0) + 1}`;
    }
  }
  return `${frame.url.replace(/^.*\//, '')}:${frame.lineNumber + 1}`;
}

function originOf(name: string, where: string): string {
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)' || name === '(root)') return 'V8/Node (program)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (dependency) return dependency[1] ?? 'dependency';
  if (where.startsWith('relay-server/')) return 'relay-server/';
  if (where.startsWith('protocol/')) return 'protocol/';
  if (where.startsWith('node:') || where === '(native)') return 'Node core / native';
  return 'Node core / native';
}

/**
 * Self time per function. Each sample stands for the interval before it, but an interval far
 * longer than the usual one means the process was not running (descheduled on a loaded machine,
 * or stopped by a collection the profiler missed), and counting it for whatever ran next made
 * single trivial functions look expensive. So an interval counts at most 4 × the median one; the
 * rest is reported as uncounted.
 */
export function summarise(profile: Profile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, { name: string; where: string; ms: number }>();
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const gapCapMs = ((sorted[Math.floor(sorted.length / 2)] ?? 0) * 4) / 1000;
  let totalMs = 0;
  let idleMs = 0;
  let uncountedMs = 0;
  profile.samples.forEach((id, index) => {
    const intervalMs = (profile.timeDeltas[index] ?? 0) / 1000;
    const ms = gapCapMs > 0 ? Math.min(intervalMs, gapCapMs) : intervalMs;
    uncountedMs += intervalMs - ms;
    totalMs += intervalMs;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    const where = locate(frame);
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const entry = self.get(key) ?? { name, where, ms: 0 };
    entry.ms += ms;
    self.set(key, entry);
  });
  const busyMs = totalMs - idleMs - uncountedMs;
  const lines = [...self.values()].sort((a, b) => b.ms - a.ms);
  const origins = new Map<string, number>();
  for (const line of lines) {
    const origin = originOf(line.name, line.where);
    origins.set(origin, (origins.get(origin) ?? 0) + line.ms);
  }
  return {
    totalMs,
    busyMs,
    uncountedMs,
    gapCapMs,
    top: lines.slice(0, top).map((line) => ({ name: line.name, where: line.where, selfMs: line.ms, share: line.ms / busyMs })),
    byOrigin: [...origins.entries()].sort((a, b) => b[1] - a[1]).map(([origin, ms]) => ({ origin, selfMs: ms, share: ms / busyMs })),
  };
}

export function readProfile(file: string): Profile {
  return JSON.parse(readFileSync(file, 'utf8')) as Profile;
}

export function profileMarkdown(summary: ProfileSummary): string {
  const lines = [
    `Busy ${(summary.busyMs / 1000).toFixed(2)} s of ${(summary.totalMs / 1000).toFixed(2)} s profiled; the rest idle, or gaps between samples beyond ${summary.gapCapMs.toFixed(1)} ms (${(summary.uncountedMs / 1000).toFixed(2)} s), counted for no function: the relay was not running.`,
    '',
    '| self time | share of busy | function | where |',
    '|---:|---:|---|---|',
    ...summary.top.map((line) => `| ${line.selfMs.toFixed(0)} ms | ${(line.share * 100).toFixed(1)}% | \`${line.name}\` | ${line.where} |`),
    '',
    '| origin | self time | share of busy |',
    '|---|---:|---:|',
    ...summary.byOrigin.map((entry) => `| ${entry.origin} | ${entry.selfMs.toFixed(0)} ms | ${(entry.share * 100).toFixed(1)}% |`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/cpuprofile.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(profileMarkdown(summarise(readProfile(file), Number(process.argv[3] ?? 15))));
}
