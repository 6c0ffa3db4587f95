// Pieces both ask/tell optimisers (Optimizer, ParetoOptimizer) use to turn an acquisition into a proposal: the
// initial design, candidate sets, duplicate checks, and L-BFGS refinement over the real dimensions. Each draws
// from the Rng it is given in a fixed order, so an optimiser's proposals stay a function of its streams.

import { latinHypercube } from './design.js';
import { minimizeBounded } from './lbfgsb.js';
import { Rng, StreamPurpose } from './random.js';
import type { SearchSpace } from './space.js';

/** Transformed vectors closer than this (max-abs) count as the same point. */
const SAME_POINT_TOLERANCE = 1e-8;
/** Refinement iterations per start: skopt uses 20; more buys nothing once started near the optimum. */
const REFINE_ITERATIONS = 20;

export function samePoint(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > SAME_POINT_TOLERANCE) return false;
  return true;
}

/** The Latin-hypercube initial design of `count` points, as transformed vectors. */
export function initialDesign(space: SearchSpace, count: number, randomState: number): Float64Array[] {
  const designRng = Rng.derived(randomState, StreamPurpose.initialDesign);
  return latinHypercube(count, space.dimensions.length, designRng).map((unit) => {
    const z = new Float64Array(space.transformedSize);
    space.writeFromUnitCoordinates(unit, z);
    return z;
  });
}

/**
 * A random transformed vector that is not known, in up to 100 draws; `found` is false when every draw was known
 * (the space is nearly exhausted), and `z` is then the last draw.
 */
export function randomUnknownPoint(space: SearchSpace, rng: Rng, isKnown: (z: Float64Array) => boolean): { z: Float64Array; found: boolean } {
  const z = new Float64Array(space.transformedSize);
  for (let attempt = 0; attempt < 100; attempt++) {
    space.sampleTransformed(rng, z);
    if (!isKnown(z)) return { z, found: true };
  }
  return { z, found: false };
}

/**
 * The point for observation `index` before the model: design point `index - nGiven` (random once the design is
 * used up, or while given points are still missing), skipping known points. If the space is (nearly) exhausted,
 * a repeat is better than no answer.
 */
export function initialPoint(
  space: SearchSpace,
  design: readonly Float64Array[],
  index: number,
  nGiven: number,
  randomState: number,
  isKnown: (z: Float64Array) => boolean,
): Float64Array {
  const designIndex = index - nGiven;
  if (designIndex >= 0 && designIndex < design.length) {
    const z = design[designIndex];
    if (!isKnown(z)) return z;
  }
  return randomUnknownPoint(space, Rng.derived(randomState, StreamPurpose.extraInitialPoint, index), isKnown).z;
}

/**
 * `count` candidates, row-major: draws from the priors, then a `localShare` of perturbations of random `centres`
 * at scales log-uniform in [0.01, 0.2] of each range.
 */
export function candidateSet(space: SearchSpace, rng: Rng, count: number, localShare: number, centres: readonly Float64Array[]): Float64Array {
  const size = space.transformedSize;
  const candidates = new Float64Array(count * size);
  const localCount = Math.round(count * localShare);
  for (let c = 0; c < count - localCount; c++) space.sampleTransformed(rng, candidates, c * size);
  for (let c = count - localCount; c < count; c++) {
    const centre = centres[rng.int(centres.length)];
    const scale = Math.exp(rng.uniform(Math.log(0.01), Math.log(0.2)));
    space.perturbTransformed(centre, scale, rng, candidates, c * size);
  }
  return candidates;
}

/**
 * L-BFGS on `cost` over the real (continuous) columns of `start`, inside the unit box; `cost(z, gradient)` gets a
 * full transformed vector and writes the gradient for every column. Returns the start when nothing improves.
 */
export function refineContinuous(
  space: SearchSpace,
  start: Float64Array,
  startCost: number,
  cost: (z: Float64Array, gradient: Float64Array) => number,
): { z: Float64Array; cost: number } {
  const columns = space.continuousColumns;
  if (columns.length === 0) return { z: start, cost: startCost };
  const z = Float64Array.from(start);
  const fullGradient = new Float64Array(z.length);
  const objective = (x: Float64Array, gradient: Float64Array): number => {
    columns.forEach((column, i) => (z[column] = x[i]));
    const value = cost(z, fullGradient);
    columns.forEach((column, i) => (gradient[i] = fullGradient[column]));
    return value;
  };
  const result = minimizeBounded(
    objective,
    columns.map((column) => start[column]),
    columns.map(() => 0),
    columns.map(() => 1),
    { maxIterations: REFINE_ITERATIONS, relativeTolerance: 1e-12, projectedGradientTolerance: 1e-9 },
  );
  if (!(result.value < startCost)) return { z: start, cost: startCost };
  const refined = Float64Array.from(start);
  columns.forEach((column, i) => (refined[column] = result.x[i]));
  return { z: refined, cost: result.value };
}
