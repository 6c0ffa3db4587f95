// Pareto dominance and the hypervolume indicator, every objective minimised.
//
// Dominance is the usual weak form: p dominates q when p ≤ q in every objective and p < q in at least one.
// Identical points do not dominate each other; wherever a set of distinct points is wanted, the first of a group
// of identical points (by index) stands for the group and later copies count as dominated by it.

import { ServesimError } from '../errors.js';

export type ObjectiveVector = readonly number[];

/** True when `p` dominates `q` (p ≤ q everywhere, p < q somewhere). */
export function dominates(p: ObjectiveVector, q: ObjectiveVector): boolean {
  let strictly = false;
  for (let j = 0; j < p.length; j++) {
    if (p[j] > q[j]) return false;
    if (p[j] < q[j]) strictly = true;
  }
  return strictly;
}

function identical(p: ObjectiveVector, q: ObjectiveVector): boolean {
  for (let j = 0; j < p.length; j++) if (p[j] !== q[j]) return false;
  return true;
}

/** `q` (at index qi) is beaten by `p` (at pi): dominated, or an identical later copy. */
function beaten(p: ObjectiveVector, pi: number, q: ObjectiveVector, qi: number): boolean {
  return dominates(p, q) || (pi < qi && identical(p, q));
}

function checkPoints(points: readonly ObjectiveVector[], what: string): number {
  if (points.length === 0) return 0;
  const d = points[0].length;
  points.forEach((p, i) => {
    if (p.length !== d) throw new ServesimError(`${what}: point ${i} has ${p.length} objectives, expected ${d}`);
    for (const v of p) if (Number.isNaN(v)) throw new ServesimError(`${what}: point ${i} has a NaN objective`);
  });
  return d;
}

/**
 * Indices of the non-dominated points, ascending. Of several identical non-dominated points only the first is
 * returned.
 */
export function nonDominatedIndices(points: readonly ObjectiveVector[]): number[] {
  checkPoints(points, 'nonDominatedIndices');
  const result: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let kept = true;
    for (let k = 0; k < points.length && kept; k++) if (k !== i && beaten(points[k], k, points[i], i)) kept = false;
    if (kept) result.push(i);
  }
  return result;
}

/**
 * Non-dominated sorting (NSGA-II's ranks): fronts of indices, rank 0 first, each ascending. A later copy of an
 * identical point lands one front behind the earlier copy.
 */
export function nonDominatedSort(points: readonly ObjectiveVector[]): number[][] {
  checkPoints(points, 'nonDominatedSort');
  const n = points.length;
  // Deb et al.'s fast sort: count who beats each point, list whom each point beats, peel fronts.
  const beatenByCount = new Array<number>(n).fill(0);
  const beats: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      if (beaten(points[i], i, points[k], k)) {
        beats[i].push(k);
        beatenByCount[k]++;
      } else if (beaten(points[k], k, points[i], i)) {
        beats[k].push(i);
        beatenByCount[i]++;
      }
    }
  }
  const fronts: number[][] = [];
  let current = beatenByCount.flatMap((c, i) => (c === 0 ? [i] : []));
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const k of beats[i]) if (--beatenByCount[k] === 0) next.push(k);
    }
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * Hypervolume (Lebesgue measure) of the region dominated by `points` and bounded by `reference`, every objective
 * minimised. Points that do not strictly dominate the reference in every objective add nothing and are ignored.
 * Exact in any dimension: a sweep in 2-D, and above that slicing along the last objective (HSO, While et al.
 * 2006) down to the 2-D sweep, with the running 2-D front kept sorted so 3-D costs O(n · front size). Meant for
 * ≤ 4 objectives and up to a few hundred points in 4-D (O(n³) there).
 */
export function hypervolume(points: readonly ObjectiveVector[], reference: readonly number[]): number {
  const d = checkPoints(points, 'hypervolume');
  if (points.length > 0 && reference.length !== d) {
    throw new ServesimError(`hypervolume: reference has ${reference.length} objectives, points have ${d}`);
  }
  for (const r of reference) if (!Number.isFinite(r)) throw new ServesimError(`hypervolume: reference must be finite, got ${r}`);
  const inside = points.filter((p) => p.every((v, j) => v < reference[j]));
  if (inside.length === 0) return 0;
  return volume(inside, reference, reference.length);
}

/** Hypervolume over the first `d` objectives of points that all dominate the reference. */
function volume(points: readonly ObjectiveVector[], reference: readonly number[], d: number): number {
  if (d === 1) return reference[0] - Math.min(...points.map((p) => p[0]));
  if (d === 2) return area([...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]), reference);
  const last = d - 1;
  const sorted = [...points].sort((a, b) => a[last] - b[last]);
  if (d === 3) {
    // Sweep upwards in the last objective, keeping the 2-D non-dominated set of the points seen so far (sorted by
    // the first objective, so strictly descending in the second): each slab between consecutive levels is that
    // set's area times the slab's depth.
    const front: ObjectiveVector[] = [];
    let total = 0;
    for (let i = 0; i < sorted.length; i++) {
      const p = sorted[i];
      let low = 0;
      let high = front.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (front[mid][0] < p[0] || (front[mid][0] === p[0] && front[mid][1] <= p[1])) low = mid + 1;
        else high = mid;
      }
      if (!(low > 0 && front[low - 1][1] <= p[1])) {
        let end = low;
        while (end < front.length && front[end][1] >= p[1]) end++;
        front.splice(low, end - low, p);
      }
      const top = i + 1 < sorted.length ? sorted[i + 1][last] : reference[last];
      if (top > p[last]) total += area(front, reference) * (top - p[last]);
    }
    return total;
  }
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    const top = i + 1 < sorted.length ? sorted[i + 1][last] : reference[last];
    if (top > sorted[i][last]) total += volume(sorted.slice(0, i + 1), reference, last) * (top - sorted[i][last]);
  }
  return total;
}

/** 2-D dominated area of points sorted by the first objective (then the second). */
function area(sorted: readonly ObjectiveVector[], reference: readonly number[]): number {
  let total = 0;
  let ceiling = reference[1];
  for (const p of sorted) {
    if (p[1] < ceiling) {
      total += (reference[0] - p[0]) * (ceiling - p[1]);
      ceiling = p[1];
    }
  }
  return total;
}
