// Box-constrained quasi-Newton minimisation: projected L-BFGS.
//
// Not the full L-BFGS-B (no generalised Cauchy point / subspace minimisation): variables pinned at a bound
// whose gradient pushes outward are frozen, the two-loop recursion gives a direction on the rest, and a
// backtracking Armijo search runs along the projected path. For the small, smooth problems here (GP
// hyperparameters in log space, acquisition functions in the unit cube) that converges as well and is far
// simpler to get right.

/** Writes ∇f(x) into `gradient` and returns f(x). May return a non-finite value to reject x. */
export type ObjectiveWithGradient = (x: Float64Array, gradient: Float64Array) => number;

export interface BoundedMinimizeOptions {
  maxIterations?: number;
  /** Number of correction pairs kept. */
  memory?: number;
  /** Stop when the projected gradient's largest component is below this. */
  projectedGradientTolerance?: number;
  /** Stop when an iteration lowers f by less than this fraction of max(|f|, 1). */
  relativeTolerance?: number;
}

export interface BoundedMinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
}

export function minimizeBounded(
  objective: ObjectiveWithGradient,
  start: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  options: BoundedMinimizeOptions = {},
): BoundedMinimizeResult {
  const maxIterations = options.maxIterations ?? 100;
  const memory = options.memory ?? 10;
  const pgTolerance = options.projectedGradientTolerance ?? 1e-6;
  const relativeTolerance = options.relativeTolerance ?? 1e-10;
  const n = start.length;

  let x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = clamp(start[i], lower[i], upper[i]);
  let gradient = new Float64Array(n);
  let value = objective(x, gradient);
  let evaluations = 1;
  if (!Number.isFinite(value)) return { x, value, iterations: 0, evaluations };

  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(n);
  const free = new Uint8Array(n);
  const alphas = new Float64Array(memory);
  let candidate = new Float64Array(n);
  let candidateGradient = new Float64Array(n);
  let iterations = 0;

  while (iterations < maxIterations) {
    let projectedGradientNorm = 0;
    for (let i = 0; i < n; i++) {
      const step = clamp(x[i] - gradient[i], lower[i], upper[i]) - x[i];
      projectedGradientNorm = Math.max(projectedGradientNorm, Math.abs(step));
      const pinnedLow = x[i] <= lower[i] && gradient[i] > 0;
      const pinnedHigh = x[i] >= upper[i] && gradient[i] < 0;
      free[i] = pinnedLow || pinnedHigh ? 0 : 1;
    }
    if (projectedGradientNorm < pgTolerance) break;
    iterations++;

    let accepted = false;
    for (let attempt = 0; attempt < 2 && !accepted; attempt++) {
      // Second attempt: the quasi-Newton model misled us, so drop it and take a steepest-descent step.
      if (attempt === 1) {
        if (sHistory.length === 0) break;
        sHistory.length = yHistory.length = rhoHistory.length = 0;
      }
      computeDirection(gradient, free, sHistory, yHistory, rhoHistory, alphas, direction);
      let slope = 0;
      for (let i = 0; i < n; i++) slope += direction[i] * gradient[i];
      if (!(slope < 0)) {
        for (let i = 0; i < n; i++) direction[i] = free[i] ? -gradient[i] : 0;
        sHistory.length = yHistory.length = rhoHistory.length = 0;
      }
      // Without curvature information, scale the first step so no coordinate moves more than ~1 unit.
      let stepLength = 1;
      if (sHistory.length === 0) {
        let maxComponent = 0;
        for (let i = 0; i < n; i++) maxComponent = Math.max(maxComponent, Math.abs(direction[i]));
        if (maxComponent > 1) stepLength = 1 / maxComponent;
      }
      for (let backtrack = 0; backtrack < 40; backtrack++) {
        let decrease = 0;
        let moved = false;
        for (let i = 0; i < n; i++) {
          candidate[i] = clamp(x[i] + stepLength * direction[i], lower[i], upper[i]);
          const delta = candidate[i] - x[i];
          if (delta !== 0) moved = true;
          decrease += gradient[i] * delta;
        }
        if (!moved) break;
        const candidateValue = objective(candidate, candidateGradient);
        evaluations++;
        if (Number.isFinite(candidateValue) && candidateValue <= value + 1e-4 * decrease) {
          const sVector = new Float64Array(n);
          const yVector = new Float64Array(n);
          let sy = 0;
          let yy = 0;
          for (let i = 0; i < n; i++) {
            sVector[i] = candidate[i] - x[i];
            yVector[i] = candidateGradient[i] - gradient[i];
            sy += sVector[i] * yVector[i];
            yy += yVector[i] * yVector[i];
          }
          // Keep only pairs with positive curvature so the implicit Hessian stays positive definite.
          if (sy > 1e-10 * yy && sy > 0) {
            if (sHistory.length === memory) {
              sHistory.shift();
              yHistory.shift();
              rhoHistory.shift();
            }
            sHistory.push(sVector);
            yHistory.push(yVector);
            rhoHistory.push(1 / sy);
          }
          const previousValue = value;
          [x, candidate] = [candidate, x];
          [gradient, candidateGradient] = [candidateGradient, gradient];
          value = candidateValue;
          accepted = true;
          if (previousValue - value <= relativeTolerance * Math.max(Math.abs(previousValue), Math.abs(value), 1)) {
            return { x, value, iterations, evaluations };
          }
          break;
        }
        stepLength *= 0.5;
      }
    }
    if (!accepted) break;
  }
  return { x, value, iterations, evaluations };
}

/** L-BFGS two-loop recursion restricted to free coordinates: direction = −H·g. */
function computeDirection(
  gradient: Float64Array,
  free: Uint8Array,
  sHistory: Float64Array[],
  yHistory: Float64Array[],
  rhoHistory: number[],
  alphas: Float64Array,
  direction: Float64Array,
): void {
  const n = gradient.length;
  for (let i = 0; i < n; i++) direction[i] = free[i] ? -gradient[i] : 0;
  const m = sHistory.length;
  if (m === 0) return;
  for (let k = m - 1; k >= 0; k--) {
    const s = sHistory[k];
    let dot = 0;
    for (let i = 0; i < n; i++) if (free[i]) dot += s[i] * direction[i];
    alphas[k] = rhoHistory[k] * dot;
    const y = yHistory[k];
    for (let i = 0; i < n; i++) if (free[i]) direction[i] -= alphas[k] * y[i];
  }
  // Initial Hessian scaling γ = sᵀy / yᵀy from the newest pair.
  const sLast = sHistory[m - 1];
  const yLast = yHistory[m - 1];
  let sy = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    sy += sLast[i] * yLast[i];
    yy += yLast[i] * yLast[i];
  }
  const gamma = yy > 0 ? sy / yy : 1;
  for (let i = 0; i < n; i++) direction[i] *= gamma;
  for (let k = 0; k < m; k++) {
    const y = yHistory[k];
    let dot = 0;
    for (let i = 0; i < n; i++) if (free[i]) dot += y[i] * direction[i];
    const beta = rhoHistory[k] * dot;
    const s = sHistory[k];
    for (let i = 0; i < n; i++) if (free[i]) direction[i] += (alphas[k] - beta) * s[i];
  }
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}
