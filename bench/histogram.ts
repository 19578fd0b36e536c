/**
 * Latency histogram: 10 µs buckets up to 100 ms, 1 ms buckets up to 60 s, one overflow bucket.
 * Fixed buckets so histograms from several worker processes merge by addition.
 */
const FINE_US = 10;
const FINE_BUCKETS = 10_000; // 0 … 100 ms
const COARSE_US = 1_000;
const COARSE_BUCKETS = 59_900; // 100 ms … 60 s
const SIZE = FINE_BUCKETS + COARSE_BUCKETS + 1;

/** Sparse form for IPC: [bucket, count] pairs. */
export type SparseHistogram = Array<[number, number]>;

export class Histogram {
  private readonly counts = new Uint32Array(SIZE);
  private total = 0;
  private maxMs = 0;

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  record(ms: number): void {
    const us = Math.max(0, ms * 1000);
    let bucket: number;
    if (us < FINE_US * FINE_BUCKETS) bucket = Math.floor(us / FINE_US);
    else bucket = Math.min(SIZE - 1, FINE_BUCKETS + Math.floor((us - FINE_US * FINE_BUCKETS) / COARSE_US));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  toSparse(): { buckets: SparseHistogram; max: number } {
    const buckets: SparseHistogram = [];
    this.counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return { buckets, max: this.maxMs };
  }

  merge(sparse: { buckets: SparseHistogram; max: number }): void {
    for (const [index, count] of sparse.buckets) {
      this.counts[index] = (this.counts[index] ?? 0) + count;
      this.total += count;
    }
    this.maxMs = Math.max(this.maxMs, sparse.max);
  }

  /** Upper edge of the bucket holding quantile `q` (0…1), in ms; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let index = 0; index < SIZE; index++) {
      seen += this.counts[index] ?? 0;
      if (seen >= rank) {
        if (index === SIZE - 1) return this.maxMs;
        const upperUs = index < FINE_BUCKETS ? (index + 1) * FINE_US : FINE_US * FINE_BUCKETS + (index - FINE_BUCKETS + 1) * COARSE_US;
        return Math.min(upperUs / 1000, this.maxMs);
      }
    }
    return this.maxMs;
  }
}

/** Quantile of a plain list of samples (small lists: storm times, repeated document runs). */
export function quantileOf(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
