// Multiset of tick values (ITL entries): one count per distinct value instead of one slot per entry, so memory
// follows the range of step latencies, not the number of output tokens. Integer values in [0, DENSE_LIMIT) — the
// normal case — are counted in a dense array indexed by value; anything else in a map. Order statistics and sums
// are exactly those of the sorted list of entries.

import { withRoomFor } from '../typed-array-growth.js';

export type SortedValues = Float64Array | Int32Array;

/** Integer values below this are counted densely (the array grows by powers of two up to the largest value seen). */
const DENSE_LIMIT = 1 << 22;

export class TickLog {
  private counts = new Float64Array(1024);
  /** Values counted densely, in first-seen order. */
  private seen = new Float64Array(64);
  private seenCount = 0;
  /** Values not counted densely → their counts. */
  private others: Map<number, number> | null = null;
  private count = 0;
  /** Σ values while they are all 32-bit integers (any order gives the same integer sum). */
  private intSum = 0;
  private allInts = true;

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    const counts = this.counts;
    if (value >= 0 && value < counts.length && (value | 0) === value) {
      if (counts[value]++ === 0) this.addSeen(value);
      this.count++;
      this.intSum += value;
      return;
    }
    this.pushSlow(value);
  }

  private pushSlow(value: number): void {
    this.count++;
    if ((value | 0) === value) this.intSum += value;
    else this.allInts = false;
    if (value >= 0 && value < DENSE_LIMIT && Number.isInteger(value)) {
      const grown = (this.counts = withRoomFor(this.counts, value));
      grown[value]++;
      this.addSeen(value);
      return;
    }
    const others = (this.others ??= new Map());
    others.set(value, (others.get(value) ?? 0) + 1);
  }

  private addSeen(value: number): void {
    this.seen = withRoomFor(this.seen, this.seenCount);
    this.seen[this.seenCount++] = value;
  }

  /** The values as a distribution (with their exact sum when they are all 32-bit integers). */
  distribution(): TickDistribution {
    const values: number[] = [];
    const counts: number[] = [];
    const others = this.others === null ? [] : [...this.others.keys()].sort((a, b) => a - b);
    let o = 0;
    const dense = this.counts;
    const seen = this.seen.slice(0, this.seenCount).sort();
    for (let i = 0; i < seen.length; i++) {
      const v = seen[i];
      while (o < others.length && others[o] < v) {
        values.push(others[o]);
        counts.push(this.others!.get(others[o++])!);
      }
      values.push(v);
      counts.push(dense[v]);
    }
    for (; o < others.length; o++) {
      values.push(others[o]);
      counts.push(this.others!.get(others[o])!);
    }
    return new TickDistribution(Float64Array.from(values), Float64Array.from(counts), this.allInts ? this.intSum : undefined);
  }
}

/**
 * An ascending multiset of tick values for the mean and percentile rules, as distinct values with their counts.
 * The sum of integers is exact in any order; with non-integers it is taken in ascending order, entry by entry, as
 * the rules say.
 */
export class TickDistribution {
  readonly length: number;
  private readonly values: Float64Array;
  private readonly counts: Float64Array;
  /** Entries with a value below values[k]: cumulative counts. */
  private readonly before: Float64Array;
  private readonly exactSum: number | undefined;

  /** `values` ascending and distinct, `counts[k]` > 0 entries of `values[k]`; `exactSum` when all are integers. */
  constructor(values: Float64Array, counts: Float64Array, exactSum?: number) {
    this.values = values;
    this.counts = counts;
    this.exactSum = exactSum;
    this.before = new Float64Array(values.length);
    let length = 0;
    for (let k = 0; k < values.length; k++) {
      this.before[k] = length;
      length += counts[k];
    }
    this.length = length;
  }

  static union(distributions: readonly TickDistribution[]): TickDistribution {
    let exactSum: number | undefined = 0;
    const merged = new Map<number, number>();
    for (const d of distributions) {
      if (d.exactSum === undefined || exactSum === undefined) exactSum = undefined;
      else exactSum += d.exactSum;
      for (let k = 0; k < d.values.length; k++) merged.set(d.values[k], (merged.get(d.values[k]) ?? 0) + d.counts[k]);
    }
    const values = Float64Array.from(merged.keys()).sort();
    const counts = values.map((v) => merged.get(v)!);
    return new TickDistribution(values, counts, exactSum);
  }

  /** Σ values: exact for integers, else in ascending order. */
  sum(): number {
    if (this.exactSum !== undefined) return this.exactSum;
    let sum = 0;
    for (let k = 0; k < this.values.length; k++) {
      const v = this.values[k];
      for (let c = this.counts[k]; c > 0; c--) sum += v;
    }
    return sum;
  }

  /** The value of ascending rank `i` (0 ≤ i < length). */
  at(i: number): number {
    const before = this.before;
    // The last k with before[k] ≤ i.
    let lo = 0;
    let hi = before.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (before[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.values[lo];
  }
}

/** Ascending union of ascending arrays (concatenate + builtin sort: faster than a JS merge on cold code). */
export function mergeSortedValues(parts: readonly SortedValues[]): SortedValues {
  let length = 0;
  let allInts = true;
  for (const part of parts) {
    length += part.length;
    if (!(part instanceof Int32Array)) allInts = false;
  }
  const out = allInts ? new Int32Array(length) : new Float64Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  out.sort();
  return out;
}
