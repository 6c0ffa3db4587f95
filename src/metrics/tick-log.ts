// Append-only log of tick values (ITL entries), stored as Int32 while every value is a 32-bit integer — the
// normal case — because sorting an Int32Array is about twice as fast as sorting a Float64Array.

export type SortedValues = Float64Array | Int32Array;

export class TickLog {
  private ints: Int32Array | null = new Int32Array(256);
  private floats: Float64Array | null = null;
  private count = 0;
  /** Exact sum of the values while they are all 32-bit integers (any order gives the same integer sum). */
  private intSum = 0;

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    const ints = this.ints;
    if (ints !== null && (value | 0) === value) {
      this.intSum += value;
      if (this.count === ints.length) {
        const grown = new Int32Array(ints.length * 2);
        grown.set(ints);
        this.ints = grown;
        grown[this.count++] = value;
      } else {
        ints[this.count++] = value;
      }
      return;
    }
    this.pushFloat(value);
  }

  private pushFloat(value: number): void {
    let floats = this.floats;
    if (floats === null) {
      floats = new Float64Array(Math.max(256, this.count * 2));
      floats.set(this.ints!.subarray(0, this.count));
      this.ints = null;
    } else if (this.count === floats.length) {
      const grown = new Float64Array(floats.length * 2);
      grown.set(floats);
      floats = grown;
    }
    this.floats = floats;
    floats[this.count++] = value;
  }

  /** Ascending copy of the values. */
  sorted(): SortedValues {
    const values = this.ints !== null ? this.ints.slice(0, this.count) : this.floats!.slice(0, this.count);
    values.sort();
    return values;
  }

  /** The values as a distribution (sorted, with their exact sum when they are integers). */
  distribution(): TickDistribution {
    return new TickDistribution([this.sorted()], this.ints !== null ? this.intSum : undefined);
  }
}

function sumAscending(sorted: SortedValues): number {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return sum;
}

/**
 * An ascending multiset of tick values for the mean and percentile rules: one sorted array, or the union of
 * several (the cluster's ITL). A union of integer arrays is not materialised — sorting it again would cost more
 * than the rest of the aggregation: order statistics are selected across the parts, and the sum of integers is
 * exact in any order. A union involving non-integers is merged and summed in ascending order, as the rules say.
 */
export class TickDistribution {
  readonly length: number;
  private readonly parts: readonly SortedValues[];
  private readonly exactSum: number | undefined;

  /** `parts` are each ascending; `exactSum` is their sum when all values are integers (else summed when asked). */
  constructor(parts: readonly SortedValues[], exactSum?: number) {
    this.parts = parts;
    this.exactSum = exactSum;
    let length = 0;
    for (const part of parts) length += part.length;
    this.length = length;
  }

  static union(distributions: readonly TickDistribution[]): TickDistribution {
    let exactSum: number | undefined = 0;
    const parts: SortedValues[] = [];
    for (const d of distributions) {
      if (d.exactSum === undefined || exactSum === undefined) exactSum = undefined;
      else exactSum += d.exactSum;
      for (const part of d.parts) if (part.length > 0) parts.push(part);
    }
    if (exactSum === undefined || !parts.every((part) => part instanceof Int32Array)) {
      return new TickDistribution([mergeSortedValues(parts)]);
    }
    return new TickDistribution(parts, exactSum);
  }

  /** Σ values: exact for integers, else in ascending order. */
  sum(): number {
    return this.exactSum ?? sumAscending(this.parts[0]);
  }

  /** The value of ascending rank `i` (0 ≤ i < length). */
  at(i: number): number {
    const parts = this.parts;
    if (parts.length === 1) return parts[0][i];
    return kthSmallestInteger(parts, i);
  }
}

/** Rank-k value (0-based) of the union of ascending integer arrays: the least v with more than k values ≤ v. */
function kthSmallestInteger(parts: readonly SortedValues[], k: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const part of parts) {
    if (part.length === 0) continue;
    if (part[0] < lo) lo = part[0];
    if (part[part.length - 1] > hi) hi = part[part.length - 1];
  }
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    let atMost = 0;
    for (const part of parts) atMost += countAtMost(part, mid);
    if (atMost > k) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Number of values ≤ v in an ascending array. */
function countAtMost(sorted: SortedValues, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
