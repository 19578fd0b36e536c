/**
 * `npm run bench` / `npm run bench -- --quick`: Pairline's relay measured side by side with a
 * minimal `ws` broadcast relay (the floor) in the same run, on this machine. Prints a markdown
 * report on stdout (progress on stderr). Figures only: nothing here passes or fails.
 *
 * Options: --quick (smaller, shorter; under 90 s even on a loaded machine: see bench/budget.ts), --profile (also profile the relay in quick
 * mode; always on in full mode), --out FILE (also write the report there),
 * --only fanout,saturation,memory,storm,documents,profile (run some sections).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { SectionBudget } from './budget';
import { redisFanoutRows } from './redis-fanout';
import { monoMs } from './clock';
import { profileMarkdown, summarise, type Profile } from './cpuprofile';
import { measureDocuments, type DocumentFigures } from './documents';
import { connectLoad, describeShape, disconnectLoad, runLoad, sustained, ENCRYPTION_PAD, type FanoutFigures, type LoadShape, type Timing } from './fanout';
import { measureIdleMemory, measureStorm } from './idle-and-storm';
import { InspectorSession } from './inspector';
import { Launcher, ProcessRegistry, snapshotRelay, type RunningServer } from './processes';
import { closes, FANOUT_HEADER, fanoutRow, kb, ms, num, pct, ratio, ratioRow } from './report';
import { startWorkers, stopWorkers, type WorkerHandle } from './workers';

const SECTIONS = ['fanout', 'saturation', 'memory', 'storm', 'documents', 'profile'] as const;
type Section = (typeof SECTIONS)[number];

interface Settings {
  readonly quick: boolean;
  readonly workers: number;
  readonly fanoutShapes: readonly LoadShape[];
  readonly fanoutTiming: Timing;
  readonly saturationShape: { sessions: number; participants: number };
  readonly saturationRates: readonly number[];
  readonly saturationTiming: Timing;
  readonly memoryParticipants: number;
  /** Participants connected before the first memory reading (see measureIdleMemory). */
  readonly memoryWarmup: number;
  readonly memoryPerSession: number;
  readonly memorySettleMs: number;
  readonly stormSessions: number;
  readonly stormTimeoutMs: number;
  readonly documents: { fileBytes: number; fileRuns: number; edits: number; keystrokes: number };
  readonly profileShape: LoadShape;
  readonly profileMs: number;
  /** Quick mode: time shares of the sections with several measurements (see bench/budget.ts). */
  readonly fanoutShareMs?: number;
  readonly saturationShareMs?: number;
}

function settingsFor(quick: boolean): Settings {
  const pairs: LoadShape = { sessions: 50, participants: 2, rateHz: 20 };
  const fives: LoadShape = { sessions: 100, participants: 5, rateHz: 20 };
  const tens: LoadShape = { sessions: 20, participants: 10, rateHz: 20 };
  // Quick mode on a loaded machine (load average 12, 2 cores) took 45 s for the fan-out alone,
  // mostly starting relays and connecting participants (the 100×5 row alone took 17–28 s at load
  // 8–11): the cheapest row goes first and the others only while the section's share lasts.
  return quick
    ? {
      quick, workers: 2, fanoutShapes: [tens, fives, pairs], fanoutTiming: { warmupMs: 500, measureMs: 1500, drainMs: 300 },
      saturationShape: { sessions: 20, participants: 10 }, saturationRates: [5, 10, 20, 40, 80, 160],
      saturationTiming: { warmupMs: 300, measureMs: 1000, drainMs: 300 },
      // RSS over 400 participants moves by a few KB each between runs; the JS heap figure holds.
      memoryParticipants: 400, memoryWarmup: 300, memoryPerSession: 4, memorySettleMs: 500,
      stormSessions: 40, stormTimeoutMs: 10_000,
      documents: { fileBytes: 1024 * 1024, fileRuns: 3, edits: 600, keystrokes: 30 },
      profileShape: { sessions: 100, participants: 5, rateHz: 20 }, profileMs: 2000,
      fanoutShareMs: 20_000, saturationShareMs: 16_000,
    }
    : {
      quick, workers: 2, fanoutShapes: [pairs, fives, tens], fanoutTiming: { warmupMs: 2000, measureMs: 8000, drainMs: 1000 },
      saturationShape: { sessions: 20, participants: 10 }, saturationRates: [2.5, 5, 7, 10, 14, 20, 28, 40, 57, 80, 113, 160],
      saturationTiming: { warmupMs: 1000, measureMs: 3000, drainMs: 1000 },
      memoryParticipants: 2000, memoryWarmup: 400, memoryPerSession: 4, memorySettleMs: 2000,
      stormSessions: 500, stormTimeoutMs: 60_000,
      documents: { fileBytes: 1024 * 1024, fileRuns: 5, edits: 10_000, keystrokes: 200 },
      profileShape: { sessions: 100, participants: 5, rateHz: 20 }, profileMs: 8000,
    };
}

function parseArgs(argv: readonly string[]): { quick: boolean; profile: boolean; out: string | undefined; only: Set<Section> } {
  const quick = argv.includes('--quick');
  const outIndex = argv.indexOf('--out');
  const onlyIndex = argv.indexOf('--only');
  const only = new Set<Section>(onlyIndex >= 0 ? (argv[onlyIndex + 1] ?? '').split(',').filter((name): name is Section => (SECTIONS as readonly string[]).includes(name)) : SECTIONS);
  if (quick && !argv.includes('--profile') && onlyIndex < 0) only.delete('profile');
  return { quick, profile: only.has('profile'), out: outIndex >= 0 ? argv[outIndex + 1] : undefined, only };
}

function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

/** Starts timing a section; the returned function reports how long it took (to see what a loaded machine slows). */
function timeSection(name: string): () => void {
  const startedAt = monoMs();
  return () => progress(`${name} took ${((monoMs() - startedAt) / 1000).toFixed(0)} s`);
}

function machine(): string[] {
  const cpus = os.cpus();
  const load = os.loadavg().map((value) => value.toFixed(2)).join(' / ');
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores; ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM`,
    `- Node ${process.version}, ${os.type()} ${os.release()} (${os.arch()})`,
    `- Load average (1/5/15 min) at start: ${load}`,
  ];
}

async function bundleFloor(directory: string): Promise<string> {
  const outfile = path.join(directory, 'floor-relay.js');
  await build({
    entryPoints: [path.join(__dirname, 'floor-relay.ts')], outfile, bundle: true, platform: 'node', target: 'node20',
    format: 'cjs', logLevel: 'warning', external: ['bufferutil', 'utf-8-validate'],
  });
  return outfile;
}

type Start = () => Promise<RunningServer>;

async function fanoutPair(workers: readonly WorkerHandle[], starts: { pairline: Start; floor: Start }, shape: LoadShape, timing: Timing): Promise<{ pairline: FanoutFigures; floor: FanoutFigures }> {
  const measure = async (start: Start, tag: string): Promise<FanoutFigures> => {
    const server = await start();
    try {
      await connectLoad(workers, server, shape, tag);
      return await runLoad(workers, server, shape, timing);
    } finally {
      // Also after a failure: a half-connected load must not leak into the next measurement.
      await disconnectLoad(workers).catch(() => undefined);
      await server.stop();
    }
  };
  const pairline = await measure(starts.pairline, `fan-${describeShape(shape)}`);
  const floor = await measure(starts.floor, `fan-${describeShape(shape)}`);
  return { pairline, floor };
}

async function saturation(workers: readonly WorkerHandle[], start: Start, settings: Settings, out: string[], label: string, budget: SectionBudget): Promise<{ best: FanoutFigures | undefined; steps: FanoutFigures[] }> {
  const server = await start();
  let best: FanoutFigures | undefined;
  const steps: FanoutFigures[] = [];
  try {
    const shape = { ...settings.saturationShape, rateHz: settings.saturationRates[0] ?? 10 };
    await connectLoad(workers, server, shape, `sat-${label}`);
    for (const rateHz of settings.saturationRates) {
      if (!budget.admit()) break;
      const figures = await runLoad(workers, server, { ...shape, rateHz }, settings.saturationTiming);
      const ok = sustained(figures);
      steps.push(figures);
      out.push(`| ${label} | ${describeShape(figures.shape)} | ${num(figures.deliveredPerSecond)} | ${pct(figures.deliveryRatio)} | ${ms(figures.p50)} | ${ms(figures.p99)} | ${num(figures.relayCpu, 2)} | ${num(figures.generatorCpu, 2)} | ${ok ? 'yes' : 'no'}${closes(figures)} |`);
      progress(`saturation ${label} ${describeShape(figures.shape)}: ${num(figures.deliveredPerSecond)} msg/s, delivery ${pct(figures.deliveryRatio)}, p99 ${ms(figures.p99)} ms`);
      if (!ok) break;
      best = figures;
    }
  } finally {
    budget.done();
    await disconnectLoad(workers).catch(() => undefined);
    await server.stop();
  }
  return { best, steps };
}

/** Profiles the relay during the measured window only (the inspector's Profiler domain). */
async function profileRelay(launcher: Launcher, workers: readonly WorkerHandle[], shape: LoadShape, measureMs: number): Promise<Profile> {
  const server = await launcher.pairline({ inspect: true });
  let inspector: InspectorSession | undefined;
  try {
    if (!server.inspectorUrl) throw new Error('no inspector URL');
    inspector = await InspectorSession.open(server.inspectorUrl);
    const session = inspector;
    await session.call('Profiler.enable');
    // 250 µs sampling: fine enough for a few seconds of a busy event loop, cheap enough not to dominate it.
    await session.call('Profiler.setSamplingInterval', { interval: 250 });
    await connectLoad(workers, server, shape, 'profile');
    let stopped: Promise<unknown> | undefined;
    await runLoad(workers, server, shape, { warmupMs: 1000, measureMs, drainMs: 500 }, {
      onStart: () => { void session.call('Profiler.start'); },
      onEnd: () => { stopped = session.call('Profiler.stop'); },
    });
    const result = (await stopped) as { profile?: Profile } | undefined;
    if (!result?.profile) throw new Error('the profiler returned no profile');
    return result.profile;
  } finally {
    await disconnectLoad(workers).catch(() => undefined);
    inspector?.close();
    await server.stop();
  }
}

function documentsSection(figures: DocumentFigures, settings: Settings): string[] {
  const lines = ['| measure | figure | how |', '|---|---:|---|'];
  const file = figures.fileOpen;
  lines.push(file.ok
    ? `| guest opens a ${(file.value.bytes / 1024 / 1024).toFixed(0)} MiB file from the host | first ${ms(file.value.firstMs)} ms, median ${ms(file.value.medianMs)} ms, max ${ms(file.value.maxMs)} ms | RemoteFiles.readFile over the relay, host HostFileServer reading from disk, encrypted; ${file.value.runs} runs |`
    : `| guest opens a 1 MiB file from the host | not measured: ${file.why} | |`);
  const converge = figures.converge;
  lines.push(converge.ok
    ? `| ${converge.value.participants} participants, ${num(converge.value.edits)} concurrent edits, converge | ${num(converge.value.totalMs)} ms in all (${num(converge.value.cpuMs)} ms of CPU in the participants' process); ${ms(converge.value.afterLastEditMs)} ms after the last edit | DocumentSync over the relay (rate limit ${converge.value.rateLimit}); 80% 1-char inserts, 20% 1-char deletes at random offsets, 10 edits per macrotask each; converged = equal Yjs state vectors and text (${num(converge.value.textLength)} chars); the three participants share one process |`
    : `| 3 participants, ${num(settings.documents.edits)} concurrent edits, converge | not measured: ${converge.why} | |`);
  const keystroke = figures.keystroke;
  lines.push(keystroke.ok
    ? `| bytes on the wire per keystroke (encrypted) | sent ${keystroke.value.sentWire} B (frame ${keystroke.value.sentText} B + WS header); each receiver gets ${keystroke.value.receivedWire} B (frame ${keystroke.value.receivedText} B + WS header) | median of ${keystroke.value.keystrokes} single-character inserts typed 15 ms apart; TCP/IP headers not counted. A cursor (presence) frame: ${keystroke.value.presenceSentText} B |`
    : `| bytes on the wire per keystroke | not measured: ${keystroke.why} | |`);
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const settings = settingsFor(args.quick);
  const registry = new ProcessRegistry();
  const stopEverything = (): void => registry.killAll();
  process.on('exit', stopEverything);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      progress(`${signal}: stopping every process this run started`);
      stopEverything();
      process.exit(130);
    });
  }
  const started = monoMs();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pairline-bench-'));
  const out: string[] = [];
  out.push(`# Pairline benchmark (${args.quick ? 'quick' : 'full'}) — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '');
  out.push(...machine());
  out.push(`- Command: \`npm run bench${args.quick ? ' -- --quick' : ''}\`; relay \`node dist/relay.js --host 127.0.0.1 --port 0\` (a copy of this build, so a rebuild during the run changes nothing; its defaults: log level info, rate limit 200 msg/s per connection); floor: bench/floor-relay.ts bundled; all traffic on loopback`);
  out.push(`- Load generator: ${settings.workers} worker processes (child_process.fork), sessions split across them, each participant its own WebSocket; presence frames carry the send time (CLOCK_MONOTONIC, shared by all processes); bodies in the plaintext codec padded by ${ENCRYPTION_PAD} bytes (nonce, tag, replay stamp) to the size of encrypted ones (the relay never reads bodies, so its work is the same)`);
  out.push('');
  let workers: WorkerHandle[] = [];
  try {
    const launcher = new Launcher(registry, snapshotRelay(scratch), await bundleFloor(scratch));
    if (launcher.relayFlags.length > 0) out.splice(out.length - 1, 0, `- Relay flags added by the benchmark: \`${launcher.relayFlags.join(' ')}\` (every simulated participant connects from 127.0.0.1)`);
    const starts = { pairline: () => launcher.pairline(), floor: () => launcher.floor() };
    progress(`starting ${settings.workers} load workers`);
    workers = await startWorkers(registry, settings.workers);

    if (args.only.has('fanout')) {
      const timing = settings.fanoutTiming;
      out.push('## 1–2. Presence fan-out, Pairline next to the floor', '');
      out.push(`R sessions × M participants × F Hz cursor updates, every participant broadcasting to the others of its session. Warm-up ${timing.warmupMs} ms, measured ${timing.measureMs} ms, late deliveries counted for ${timing.drainMs} ms more. Latency: send → receipt. A fresh relay process per row. "Generator max send lag": how far the senders' timers fell behind schedule (large values mean the generator, not the relay, was short of CPU).`, '');
      out.push(...FANOUT_HEADER);
      const budget = new SectionBudget(settings.fanoutShareMs);
      for (const shape of settings.fanoutShapes) {
        const label = `${describeShape(shape)} (${shape.sessions * shape.participants} conns)`;
        if (!budget.admit()) {
          out.push(`| ${label} | not measured: quick mode's time share for this section was used up | | | | | | | | | | | |`);
          continue;
        }
        try {
          progress(`fan-out ${describeShape(shape)}`);
          const { pairline, floor } = await fanoutPair(workers, starts, shape, timing);
          out.push(fanoutRow(label, 'Pairline', pairline), fanoutRow(label, 'floor', floor), ratioRow(label, pairline, floor));
          progress(`  Pairline p99 ${ms(pairline.p99)} ms, floor p99 ${ms(floor.p99)} ms; frame ${pairline.frameBytes} B`);
        } catch (err) {
          out.push(`| ${label} | not measured: ${(err as Error).message} | | | | | | | | | | | |`);
        }
      }
      budget.done();
      // Issue #10's row: participants of each session split over two relay processes and Redis.
      progress('fan-out: two relay processes + Redis');
      out.push(...await redisFanoutRows({
        launcher, workers, shape: { sessions: 20, participants: 10, rateHz: 20 },
        timing: args.quick ? { warmupMs: 300, measureMs: 1000, drainMs: 300 } : timing, progress,
      }));
      progress(`fan-out took ${(budget.elapsedMs() / 1000).toFixed(0)} s`);
      out.push('');
      const note = budget.note('of its rows');
      if (note) out.push(note, '');
    }

    if (args.only.has('saturation')) {
      const took = timeSection('saturation');
      const timing = settings.saturationTiming;
      const shape = settings.saturationShape;
      out.push('## 3. Saturation', '');
      out.push(`${shape.sessions} sessions × ${shape.participants} participants on one connection set, update rate raised step by step (${settings.saturationRates.join(', ')} Hz) until delivery < 99% or p99 > 50 ms. Each step: warm-up ${timing.warmupMs} ms, measured ${timing.measureMs} ms. Note: the generator shares the machine's cores with the relay; its CPU is shown so a generator-bound step can be recognised.`, '');
      out.push('| relay | step | delivered msg/s | delivery | p50 ms | p99 ms | relay CPU s/s | generator CPU s/s | sustained |', '|---|---|---:|---:|---:|---:|---:|---:|---|');
      const results: Record<string, FanoutFigures | undefined> = {};
      const costs: Record<string, number> = {};
      const budgets: SectionBudget[] = [];
      for (const [label, start] of [['Pairline', starts.pairline], ['floor', starts.floor]] as const) {
        // Each relay's ramp gets half the section's share.
        const budget = new SectionBudget(settings.saturationShareMs !== undefined ? settings.saturationShareMs / 2 : undefined);
        budgets.push(budget);
        try {
          const ramp = await saturation(workers, start, settings, out, label, budget);
          results[label] = ramp.best;
          // CPU per delivered message over every step measured, weighted by messages.
          const cpu = ramp.steps.reduce((total, step) => total + step.relayCpu, 0);
          const delivered = ramp.steps.reduce((total, step) => total + step.deliveredPerSecond, 0);
          costs[label] = delivered > 0 ? (cpu / delivered) * 1e6 : Number.NaN;
        } catch (err) {
          out.push(`| ${label} | not measured: ${(err as Error).message} | | | | | | | |`);
        }
      }
      const pairline = results.Pairline?.deliveredPerSecond ?? Number.NaN;
      const floor = results.floor?.deliveredPerSecond ?? Number.NaN;
      const describe = (figures: FanoutFigures | undefined): string => {
        if (!figures) return 'none (the first step already missed 99% delivery or 50 ms p99)';
        const top = figures.shape.rateHz === settings.saturationRates[settings.saturationRates.length - 1];
        return `${num(figures.deliveredPerSecond)} at ${describeShape(figures.shape)}${top ? ' (the highest step: not saturated)' : ''}`;
      };
      const skipped = budgets.reduce((total, budget) => total + budget.skipped, 0);
      if (skipped > 0) out.push('', `Quick mode stopped a ramp before it missed its targets, to stay within the section's ${Math.round((settings.saturationShareMs ?? 0) / 1000)} s share of the run: "highest sustained" is then a lower bound (\`npm run bench\` runs every step).`);
      out.push('', `**Highest sustained delivered msg/s: Pairline ${describe(results.Pairline)}; floor ${describe(results.floor)}; Pairline ÷ floor = ${ratio(pairline, floor)}** (target ≥ 0.70×).`, '');
      const pairlineCost = costs.Pairline ?? Number.NaN;
      const floorCost = costs.floor ?? Number.NaN;
      out.push(`Derived, not measured at saturation: relay CPU per delivered message over the steps above — Pairline ${num(pairlineCost, 1)} µs, floor ${num(floorCost, 1)} µs — puts a CPU-bound relay's ceiling at about ${num(1e6 / pairlineCost)} and ${num(1e6 / floorCost)} delivered msg/s per core: Pairline ÷ floor ≈ ${ratio(floorCost, pairlineCost)}. This holds when the relay, not the generator or the machine's other load, is the bottleneck.`, '');
      took();
    }

    if (args.only.has('memory')) {
      const took = timeSection('memory');
      out.push('## 4. Memory per idle joined participant', '');
      out.push(`Participants connect, authenticate (hello, create/join) and stay idle, ${settings.memoryPerSession} per session, after a warm-up group of ${settings.memoryWarmup} that connected first and stays (so one-off costs such as compiled code and grown heap spaces are in the "before" reading). Full GC forced through the relay's inspector (started with \`--inspect=127.0.0.1:0\`; HeapProfiler.collectGarbage twice) before each reading; RSS from /proc/PID/status after a ${settings.memorySettleMs} ms settle. Per participant = (after − before) / N.`, '');
      out.push('| relay | participants | RSS before MB | RSS after MB | RSS per participant KB | JS heap per participant KB | external per participant KB |', '|---|---:|---:|---:|---:|---:|---:|');
      for (const kind of ['pairline', 'floor'] as const) {
        try {
          progress(`memory ${kind}`);
          const figures = await measureIdleMemory(launcher, workers, kind, settings.memoryParticipants, settings.memoryPerSession, settings.memorySettleMs, settings.memoryWarmup);
          out.push(`| ${kind === 'pairline' ? 'Pairline' : 'floor'} | ${num(figures.participants)} | ${(figures.rssBeforeBytes / 1048576).toFixed(1)} | ${(figures.rssAfterBytes / 1048576).toFixed(1)} | ${kb(figures.rssPerParticipant)} | ${kb(figures.heapPerParticipant)} | ${kb(figures.externalPerParticipant)} |`);
        } catch (err) {
          out.push(`| ${kind} | not measured: ${(err as Error).message} | | | | | |`);
        }
      }
      out.push('', 'Target: ≤ 12 KB RSS per idle participant.', '');
      took();
    }

    if (args.only.has('storm')) {
      const took = timeSection('storm');
      out.push('## 5. Reconnect storm', '');
      out.push(`${settings.stormSessions * 2} participants (a host and a guest in each of ${settings.stormSessions} sessions), each a real \`SessionClient\` (WebSocket transport, full-jitter backoff 0…min(10 s, 500 ms·2ⁿ), resume, host re-registers, guest re-joins). The relay is killed with SIGKILL and restarted on the same port; "back" = the client's next \`joined\`. Anyone not back within ${settings.stormTimeoutMs / 1000} s counts as the timeout.`, '');
      try {
        progress(`storm: ${settings.stormSessions * 2} clients`);
        const storm = await measureStorm(launcher, workers, settings.stormSessions, settings.stormTimeoutMs);
        const triple = (stats: { p50: number; p99: number; max: number }): string => `${num(stats.p50)} / ${num(stats.p99)} / ${num(stats.max)} ms`;
        out.push('| participants | back | same participant id | relay restart (kill → listening) | from listening: p50 / p99 / max | hosts only | guests only | from kill: p50 / p99 / max |', '|---:|---:|---:|---:|---|---|---|---|');
        out.push(`| ${num(storm.participants)} | ${num(storm.back)} | ${num(storm.sameId)} | ${num(storm.restartMs)} ms | ${triple(storm.fromListen)} | ${triple(storm.hostsFromListen)} | ${triple(storm.guestsFromListen)} | ${triple(storm.fromKill)} |`);
      } catch (err) {
        out.push(`not measured: ${(err as Error).message}`);
      }
      out.push('', 'Target: everyone back within 10 s of the restart.', '');
      took();
    }

    if (args.only.has('documents')) {
      const took = timeSection('documents');
      out.push('## 6. Documents and files (encryption on)', '');
      try {
        progress('documents');
        out.push(...documentsSection(await measureDocuments(launcher, settings.documents), settings));
      } catch (err) {
        out.push(`not measured: ${(err as Error).message}`);
      }
      out.push('', 'Targets: a 1 MB file open in < 500 ms; a keystroke < 200 bytes on the wire.', '');
      took();
    }

    if (args.only.has('profile')) {
      const took = timeSection('profile');
      const shape = settings.profileShape;
      out.push('## 7. Where the relay CPU goes', '');
      out.push(`The relay run again at ${describeShape(shape)}, with V8's CPU profiler (the one behind \`node --cpu-prof\`) started and stopped through the inspector at the edges of a ${settings.profileMs / 1000} s measured window, so start-up and teardown are not in it. A separate run: profiling slows the relay, so these figures are not mixed with the ones above. Self time per function; bundle positions mapped to sources through dist/relay.js.map.`, '');
      try {
        progress('profile');
        out.push(profileMarkdown(summarise(await profileRelay(launcher, workers, shape, settings.profileMs), 15)));
      } catch (err) {
        out.push(`not measured: ${(err as Error).message}`);
      }
      out.push('');
      took();
    }
  } finally {
    await stopWorkers(workers).catch(() => undefined);
    registry.killAll();
    rmSync(scratch, { recursive: true, force: true });
  }
  out.push(`Load average at end: ${os.loadavg().map((value) => value.toFixed(2)).join(' / ')}; total time ${((monoMs() - started) / 1000).toFixed(0)} s.`);
  const report = out.join('\n');
  console.log(report);
  if (args.out) writeFileSync(args.out, `${report}\n`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
