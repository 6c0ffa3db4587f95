// Space-filling initial design: Latin hypercube in per-dimension unit coordinates, best of several draws by
// the maximin criterion (largest smallest pairwise distance). Each dimension's range is split into `count`
// strata with one point in each, so even a 10-point design covers every parameter's range evenly; the
// maximin pick avoids the diagonal-ish draws plain LHS sometimes produces.

import type { Rng } from './random.js';

/** `count` points × `dims` coordinates in [0, 1), row-major. */
export function latinHypercube(count: number, dims: number, rng: Rng, draws = 20): Float64Array[] {
  let best: Float64Array[] = [];
  let bestScore = -Infinity;
  for (let draw = 0; draw < Math.max(1, draws); draw++) {
    const points = Array.from({ length: count }, () => new Float64Array(dims));
    for (let d = 0; d < dims; d++) {
      const strata = rng.shuffle(Array.from({ length: count }, (_, i) => i));
      for (let i = 0; i < count; i++) points[i][d] = (strata[i] + rng.next()) / count;
    }
    const score = minimumSquaredDistance(points);
    if (score > bestScore) {
      best = points;
      bestScore = score;
    }
  }
  return best;
}

function minimumSquaredDistance(points: Float64Array[]): number {
  let minimum = Infinity;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      let sum = 0;
      for (let d = 0; d < points[i].length; d++) sum += (points[i][d] - points[j][d]) ** 2;
      minimum = Math.min(minimum, sum);
    }
  }
  return minimum;
}
