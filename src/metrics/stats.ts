import type { SortedValues, TickDistribution } from './tick-log.js';

// Mean and percentile rules (docs/spec-notes.md, Mean and percentile). The JSON blocks and the per-SLO section use
// different operand orders (docs/reference-quirks.md, quirk 31); both are reproduced exactly because the printed
// values expose the last bits.

/** Ascending numeric copy. */
export function sortedCopy(values: readonly number[] | Float64Array): Float64Array {
  // The constructor copies arrays without the iterator protocol (much faster than Float64Array.from).
  const out = new Float64Array(values as number[]);
  out.sort();
  return out;
}

function sumAscending(sorted: SortedValues): number {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return sum;
}

/** JSON block mean in ms: (Σ ascending / n) / 1000; 0 when empty. */
export function meanMs(sorted: SortedValues): number {
  if (sorted.length === 0) return 0;
  return sumAscending(sorted) / sorted.length / 1000;
}

/** JSON block percentile in ms (docs/reference-quirks.md, quirk 31): v[lo]/1000 + (v[hi] − v[lo])·(rank − lo)/1000. */
export function percentileMs(sorted: SortedValues, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  if (lo === hi) return sorted[lo] / 1000;
  return sorted[lo] / 1000 + ((sorted[hi] - sorted[lo]) * (rank - lo)) / 1000;
}

/** meanMs of a TickDistribution (same rule). */
export function distributionMeanMs(values: TickDistribution): number {
  if (values.length === 0) return 0;
  return values.sum() / values.length / 1000;
}

/** percentileMs of a TickDistribution (same rule). */
export function distributionPercentileMs(values: TickDistribution, p: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const low = values.at(lo);
  if (lo === hi) return low / 1000;
  return low / 1000 + ((values.at(hi) - low) * (rank - lo)) / 1000;
}

/** Tick-domain distribution (per-SLO section and fitness; docs/spec-notes.md, Mean and percentile): mean = Σ/n. */
export function meanTicks(sorted: SortedValues): number {
  if (sorted.length === 0) return 0;
  return sumAscending(sorted) / sorted.length;
}

/** Tick-domain percentile (docs/reference-quirks.md, quirk 31): v[lo] + (rank − lo)·(v[hi] − v[lo]); n = 1 → the value. */
export function percentileTicks(sorted: SortedValues, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (n === 1) return sorted[0];
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}
