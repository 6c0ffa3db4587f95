// Gaussian-process regression on the transformed unit cube.
//
// Model (as scikit-optimize's default GP): y normalised to zero mean / unit variance, covariance
// amplitude · Matérn-5/2(ARD) + noise · I. Hyperparameters θ = log(amplitude, ℓ_1..ℓ_D, noise) maximise the
// log marginal likelihood (analytic gradient) by projected L-BFGS inside fixed bounds, run from the previous
// fit (warm start) and from the most likely of the default θ and a few random starts. Predictions are of the latent function: the noise term enters
// K(X, X) but not the predictive variance (Rasmussen & Williams eq. 2.24), so a noisy-looking fit still
// ranks unexplored regions by how uncertain the function there is.

import { SQRT5, inverseSquares, matern52, scaledDistance } from './kernel.js';
import { minimizeBounded } from './lbfgsb.js';
import {
  choleskyWithJitter,
  inverseFromCholesky,
  solveLowerInPlace,
  solveUpperTransposedInPlace,
  solveWithTransposeInPlace,
} from './linalg.js';
import type { Rng } from './random.js';

export interface GpHyperparameters {
  /** Signal variance, in units of the normalised output. */
  amplitude: number;
  /** One per transformed input column. */
  lengthScales: number[];
  /** White-noise variance, in units of the normalised output. */
  noise: number;
}

/** Output normalisation: y_normalised = (y − mean) / scale. */
export interface OutputNormalization {
  mean: number;
  scale: number;
}

/** What the optimiser records about each fitted model. */
export interface GpModelSummary {
  /** Number of observations the model was fitted to. */
  observations: number;
  hyperparameters: GpHyperparameters;
  normalization: OutputNormalization;
  logMarginalLikelihood: number;
}

/** Bounds of the hyperparameter search (natural units; searched in log space). */
export const HYPERPARAMETER_BOUNDS = {
  amplitude: [1e-2, 1e3],
  lengthScale: [1e-2, 1e2],
  noise: [1e-6, 2],
} as const;

const DEFAULT_START: GpHyperparameters = { amplitude: 1, lengthScales: [], noise: 1e-3 };

export interface GpFitOptions {
  rng: Rng;
  /**
   * Hyperparameters of a previous fit on a subset of the data (the optimiser passes the fit on one fewer
   * observation). L-BFGS always runs from it; it usually converges in a few steps.
   */
  warmStart?: GpHyperparameters;
  /** L-BFGS runs from the best of the default start and the screened random starts. Default 1. */
  restarts?: number;
  /** Random starts whose likelihood is evaluated (cheaply, no gradient) to pick the restarts. Default 10. */
  screenedStarts?: number;
  maxIterations?: number;
}

export interface Prediction {
  mean: number;
  std: number;
}

const LOG_2PI = Math.log(2 * Math.PI);
/** Predictive variance floor (relative to amplitude): keeps std > 0 so acquisition gradients exist. */
const VARIANCE_FLOOR = 1e-12;
const PREDICTION_CHUNK = 256;

export class GaussianProcess {
  readonly hyperparameters: GpHyperparameters;
  readonly normalization: OutputNormalization;
  readonly logMarginalLikelihood: number;
  readonly observations: number;
  private readonly dims: number;
  private readonly inputs: Float64Array;
  private readonly rawOutputs: readonly number[];
  private readonly inverseSquaredLengthScales: Float64Array;
  private readonly lower: Float64Array;
  /** K⁻¹ y_normalised */
  private readonly alpha: Float64Array;
  private upperFactor: Float64Array | undefined;
  private scratch: { crossCovariance: Float64Array; radial: Float64Array; solved: Float64Array } | undefined;
  private readonly gradientPoint: Float64Array;

  private constructor(
    inputs: Float64Array,
    dims: number,
    rawOutputs: readonly number[],
    normalization: OutputNormalization,
    hyperparameters: GpHyperparameters,
  ) {
    const n = rawOutputs.length;
    this.inputs = inputs;
    this.dims = dims;
    this.observations = n;
    this.rawOutputs = rawOutputs;
    this.normalization = normalization;
    this.hyperparameters = hyperparameters;
    this.inverseSquaredLengthScales = inverseSquares(hyperparameters.lengthScales);
    this.gradientPoint = new Float64Array(dims);
    const covariance = new Float64Array(n * n);
    fillCovariance(inputs, n, dims, hyperparameters, this.inverseSquaredLengthScales, covariance, null, null);
    const factor = choleskyWithJitter(covariance, n);
    if (!factor) throw new Error('GP covariance matrix is not positive definite even with jitter');
    this.lower = factor.lower;
    const normalized = normalizeOutputs(rawOutputs, normalization);
    this.alpha = solveUpperTransposedInPlace(this.lower, n, solveLowerInPlace(this.lower, n, Float64Array.from(normalized)));
    let quadratic = 0;
    let halfLogDet = 0;
    for (let i = 0; i < n; i++) {
      quadratic += normalized[i] * this.alpha[i];
      halfLogDet += Math.log(this.lower[i * n + i]);
    }
    this.logMarginalLikelihood = -0.5 * quadratic - halfLogDet - 0.5 * n * LOG_2PI;
  }

  /** Fits hyperparameters by maximising the log marginal likelihood. */
  static fit(points: readonly ArrayLike<number>[], values: readonly number[], options: GpFitOptions): GaussianProcess {
    const { inputs, dims } = packInputs(points);
    const normalization = normalizationOf(values);
    const hyperparameters = fitHyperparameters(inputs, dims, normalizeOutputs(values, normalization), options);
    return new GaussianProcess(inputs, dims, [...values], normalization, hyperparameters);
  }

  /** A GP with given hyperparameters (and normalisation, default: from `values`). */
  static withHyperparameters(
    points: readonly ArrayLike<number>[],
    values: readonly number[],
    hyperparameters: GpHyperparameters,
    normalization: OutputNormalization = normalizationOf(values),
  ): GaussianProcess {
    const { inputs, dims } = packInputs(points, hyperparameters.lengthScales.length);
    return new GaussianProcess(inputs, dims, [...values], normalization, {
      ...hyperparameters,
      lengthScales: [...hyperparameters.lengthScales],
    });
  }

  /**
   * The same model (hyperparameters and normalisation kept) conditioned on extra observations: used for the
   * constant-liar batch, where refitting hyperparameters to made-up values would only distort them.
   */
  conditionedOn(points: readonly ArrayLike<number>[], values: readonly number[]): GaussianProcess {
    const n = this.observations;
    const inputs = new Float64Array((n + points.length) * this.dims);
    inputs.set(this.inputs);
    points.forEach((p, k) => inputs.set(Array.from(p), (n + k) * this.dims));
    return new GaussianProcess(inputs, this.dims, [...this.rawOutputs, ...values], this.normalization, this.hyperparameters);
  }

  summary(): GpModelSummary {
    return {
      observations: this.observations,
      hyperparameters: { ...this.hyperparameters, lengthScales: [...this.hyperparameters.lengthScales] },
      normalization: { ...this.normalization },
      logMarginalLikelihood: this.logMarginalLikelihood,
    };
  }

  /** Posterior mean and standard deviation of the latent function at `z`, in the objective's units. */
  predict(z: ArrayLike<number>): Prediction {
    const m = this.predictBatch(Float64Array.from(z), 1);
    return { mean: m.mean[0], std: m.std[0] };
  }

  /** Posterior mean/std at each of `count` points stored row-major in `points`, in the objective's units. */
  predictBatch(points: Float64Array, count: number): { mean: Float64Array; std: Float64Array } {
    const { inputs, dims, lower, alpha, inverseSquaredLengthScales: invSq } = this;
    const n = this.observations;
    const { amplitude } = this.hyperparameters;
    const { scale, mean: offset } = this.normalization;
    const mean = new Float64Array(count);
    const std = new Float64Array(count);
    const floor = VARIANCE_FLOOR * amplitude;
    // v = L⁻¹ K(X, Z_chunk), stored observation-major so the substitution's inner loop runs over candidates.
    const v = new Float64Array(n * PREDICTION_CHUNK);
    for (let start = 0; start < count; start += PREDICTION_CHUNK) {
      const width = Math.min(PREDICTION_CHUNK, count - start);
      for (let i = 0; i < n; i++) {
        const row = i * width;
        for (let b = 0; b < width; b++) {
          v[row + b] = amplitude * matern52(scaledDistance(points, start + b, inputs, i, dims, invSq));
        }
      }
      for (let b = 0; b < width; b++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += alpha[i] * v[i * width + b];
        mean[start + b] = m * scale + offset;
      }
      for (let i = 0; i < n; i++) {
        const row = i * width;
        const lowerRow = i * n;
        for (let k = 0; k < i; k++) {
          const lik = lower[lowerRow + k];
          if (lik === 0) continue;
          const source = k * width;
          // Unrolled by hand: V8 does not vectorise, and this loop is most of the cost of an ask.
          let b = 0;
          for (; b + 3 < width; b += 4) {
            v[row + b] -= lik * v[source + b];
            v[row + b + 1] -= lik * v[source + b + 1];
            v[row + b + 2] -= lik * v[source + b + 2];
            v[row + b + 3] -= lik * v[source + b + 3];
          }
          for (; b < width; b++) v[row + b] -= lik * v[source + b];
        }
        const reciprocal = 1 / lower[lowerRow + i];
        for (let b = 0; b < width; b++) v[row + b] *= reciprocal;
      }
      for (let b = 0; b < width; b++) {
        let explained = 0;
        for (let i = 0; i < n; i++) {
          const value = v[i * width + b];
          explained += value * value;
        }
        std[start + b] = Math.sqrt(Math.max(amplitude - explained, floor)) * scale;
      }
    }
    return { mean, std };
  }

  /** Lᵀ, row-major, so back-substitution reads rows contiguously (refinement calls it thousands of times). */
  private lowerTransposed(): Float64Array {
    if (!this.upperFactor) {
      const n = this.observations;
      const upper = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) upper[j * n + i] = this.lower[i * n + j];
      this.upperFactor = upper;
    }
    return this.upperFactor;
  }

  /** Buffers reused across predictWithGradient calls; the model is otherwise immutable. */
  private gradientScratch(): { crossCovariance: Float64Array; radial: Float64Array; solved: Float64Array } {
    if (!this.scratch) {
      const n = this.observations;
      this.scratch = { crossCovariance: new Float64Array(n), radial: new Float64Array(n), solved: new Float64Array(n) };
    }
    return this.scratch;
  }

  /**
   * Posterior mean/std at `z` and their gradients with respect to z (written into dMean, dStd), all in the
   * objective's units.
   */
  predictWithGradient(z: ArrayLike<number>, dMean: Float64Array, dStd: Float64Array): Prediction {
    const n = this.observations;
    const dims = this.dims;
    const { amplitude } = this.hyperparameters;
    const invSq = this.inverseSquaredLengthScales;
    const { crossCovariance, radial, solved } = this.gradientScratch();
    const point = this.gradientPoint;
    point.set(z as ArrayLike<number>);
    let meanNormalized = 0;
    for (let i = 0; i < n; i++) {
      const s = SQRT5 * scaledDistance(point, 0, this.inputs, i, dims, invSq);
      const e = amplitude * Math.exp(-s);
      crossCovariance[i] = (1 + s + (s * s) / 3) * e; // amplitude · matern52(r)
      radial[i] = (5 / 3) * (1 + s) * e; // amplitude · matern52RadialFactor(r)
      meanNormalized += this.alpha[i] * crossCovariance[i];
    }
    solved.set(crossCovariance);
    const v = solveLowerInPlace(this.lower, n, solved);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += v[i] * v[i];
    const w = solveWithTransposeInPlace(this.lowerTransposed(), n, v); // K⁻¹ k*, overwrites v
    const floor = VARIANCE_FLOOR * amplitude;
    const rawVariance = amplitude - explained;
    const variance = Math.max(rawVariance, floor);
    const stdNormalized = Math.sqrt(variance);
    // ∂k_i/∂z_d = −radial_i (z_d − x_id)/ℓ_d²;  ∂μ = Σ α_i ∂k_i;  ∂σ² = −2 Σ (K⁻¹k*)_i ∂k_i.
    dMean.fill(0);
    dStd.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * dims;
      const meanWeight = -this.alpha[i] * radial[i];
      const varianceWeight = 2 * w[i] * radial[i];
      for (let d = 0; d < dims; d++) {
        const diff = (point[d] - this.inputs[row + d]) * invSq[d];
        dMean[d] += meanWeight * diff;
        dStd[d] += varianceWeight * diff;
      }
    }
    const { scale, mean } = this.normalization;
    const stdChain = rawVariance > floor ? scale / (2 * stdNormalized) : 0;
    for (let d = 0; d < dims; d++) {
      dMean[d] *= scale;
      dStd[d] *= stdChain;
    }
    return { mean: meanNormalized * scale + mean, std: stdNormalized * scale };
  }

}

function packInputs(points: readonly ArrayLike<number>[], expectedDims?: number): { inputs: Float64Array; dims: number } {
  const dims = expectedDims ?? (points.length > 0 ? points[0].length : 0);
  const inputs = new Float64Array(points.length * dims);
  points.forEach((p, i) => {
    if (p.length !== dims) throw new Error(`GP input ${i} has ${p.length} columns, expected ${dims}`);
    for (let d = 0; d < dims; d++) inputs[i * dims + d] = p[d];
  });
  return { inputs, dims };
}

/** Mean and population standard deviation (as scikit-learn's normalize_y); a constant output gets scale 1. */
export function normalizationOf(values: readonly number[]): OutputNormalization {
  const n = values.length;
  if (n === 0) return { mean: 0, scale: 1 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  const scale = Math.sqrt(variance);
  return { mean, scale: scale > 1e-12 * Math.max(1, Math.abs(mean)) ? scale : 1 };
}

function normalizeOutputs(values: readonly number[], { mean, scale }: OutputNormalization): Float64Array {
  return Float64Array.from(values, (v) => (v - mean) / scale);
}

/**
 * Fills the covariance amplitude·k(X, X) + noise·I. When `pairKernel`/`pairRadial` are given, also stores
 * per pair i<j (in row order) the unit-amplitude kernel value and radial factor needed by the gradient.
 */
function fillCovariance(
  inputs: Float64Array,
  n: number,
  dims: number,
  { amplitude, noise }: GpHyperparameters,
  invSq: Float64Array,
  covariance: Float64Array,
  pairKernel: Float64Array | null,
  pairRadial: Float64Array | null,
): void {
  let pair = 0;
  for (let i = 0; i < n; i++) {
    covariance[i * n + i] = amplitude + noise;
    for (let j = i + 1; j < n; j++) {
      // Inlined matern52 / matern52RadialFactor sharing one exp: this loop runs for every likelihood evaluation.
      const s = SQRT5 * scaledDistance(inputs, i, inputs, j, dims, invSq);
      const e = Math.exp(-s);
      const k = (1 + s + (s * s) / 3) * e;
      const value = amplitude * k;
      covariance[i * n + j] = value;
      covariance[j * n + i] = value;
      if (pairKernel && pairRadial) {
        pairKernel[pair] = k;
        pairRadial[pair] = (5 / 3) * (1 + s) * e;
      }
      pair++;
    }
  }
}

/** θ layout: [log amplitude, log ℓ_1 … log ℓ_D, log noise]. */
function decodeTheta(theta: ArrayLike<number>, dims: number): GpHyperparameters {
  const lengthScales: number[] = [];
  for (let d = 0; d < dims; d++) lengthScales.push(Math.exp(theta[1 + d]));
  return { amplitude: Math.exp(theta[0]), lengthScales, noise: Math.exp(theta[dims + 1]) };
}

function encodeTheta(h: GpHyperparameters): Float64Array {
  return Float64Array.from([Math.log(h.amplitude), ...h.lengthScales.map(Math.log), Math.log(h.noise)]);
}

/**
 * Negative log marginal likelihood and (if `gradient`) its gradient in θ. Also exported for the tests'
 * finite-difference check.
 */
export function negativeLogMarginalLikelihood(
  inputs: Float64Array,
  dims: number,
  y: Float64Array,
  theta: ArrayLike<number>,
  gradient: Float64Array | null,
  workspace = createWorkspace(y.length, dims),
): number {
  const n = y.length;
  const hyper = decodeTheta(theta, dims);
  const invSq = inverseSquares(hyper.lengthScales);
  const { covariance, pairKernel, pairRadial, pairSquaredDiffs } = workspace;
  fillCovariance(inputs, n, dims, hyper, invSq, covariance, gradient ? pairKernel : null, gradient ? pairRadial : null);
  const factor = choleskyWithJitter(covariance, n, workspace.lower);
  if (!factor) {
    gradient?.fill(0);
    return Infinity;
  }
  const lower = factor.lower;
  const alpha = solveUpperTransposedInPlace(lower, n, solveLowerInPlace(lower, n, Float64Array.from(y)));
  let value = 0.5 * n * LOG_2PI;
  for (let i = 0; i < n; i++) value += 0.5 * y[i] * alpha[i] + Math.log(lower[i * n + i]);
  if (!gradient) return value;

  // ∂(−log p)/∂θ_j = −½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j); W = ααᵀ − K⁻¹ is symmetric, so sum pairs twice.
  const inverse = inverseFromCholesky(lower, n);
  const { amplitude, noise } = hyper;
  let dAmplitude = 0;
  let dNoise = 0;
  for (let i = 0; i < n; i++) {
    const wii = alpha[i] * alpha[i] - inverse[i * n + i];
    dAmplitude += wii * amplitude;
    dNoise += wii * noise;
  }
  const dLength = new Float64Array(dims);
  let pair = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const wij = 2 * (alpha[i] * alpha[j] - inverse[i * n + j]);
      dAmplitude += wij * amplitude * pairKernel[pair];
      const lengthWeight = wij * amplitude * pairRadial[pair];
      const base = pair * dims;
      for (let d = 0; d < dims; d++) dLength[d] += lengthWeight * pairSquaredDiffs[base + d] * invSq[d];
      pair++;
    }
  }
  gradient[0] = -0.5 * dAmplitude;
  for (let d = 0; d < dims; d++) gradient[1 + d] = -0.5 * dLength[d];
  gradient[dims + 1] = -0.5 * dNoise;
  return value;
}

interface LikelihoodWorkspace {
  covariance: Float64Array;
  lower: Float64Array;
  pairKernel: Float64Array;
  pairRadial: Float64Array;
  /** (x_id − x_jd)² per pair i<j, dims entries each. Filled by prepareWorkspace. */
  pairSquaredDiffs: Float64Array;
}

function createWorkspace(n: number, dims: number, inputs?: Float64Array): LikelihoodWorkspace {
  const pairs = (n * (n - 1)) / 2;
  const workspace: LikelihoodWorkspace = {
    covariance: new Float64Array(n * n),
    lower: new Float64Array(n * n),
    pairKernel: new Float64Array(pairs),
    pairRadial: new Float64Array(pairs),
    pairSquaredDiffs: new Float64Array(pairs * dims),
  };
  if (inputs) {
    let pair = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        for (let d = 0; d < dims; d++) {
          const diff = inputs[i * dims + d] - inputs[j * dims + d];
          workspace.pairSquaredDiffs[pair * dims + d] = diff * diff;
        }
        pair++;
      }
    }
  }
  return workspace;
}

/** Workspace with the pairwise squared differences of `inputs` precomputed (needed for gradients). */
export function likelihoodWorkspace(inputs: Float64Array, n: number, dims: number): LikelihoodWorkspace {
  return createWorkspace(n, dims, inputs);
}

function hyperparameterBounds(dims: number): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(dims + 2);
  const upper = new Float64Array(dims + 2);
  const set = (index: number, [low, high]: readonly [number, number]): void => {
    lower[index] = Math.log(low);
    upper[index] = Math.log(high);
  };
  set(0, HYPERPARAMETER_BOUNDS.amplitude);
  for (let d = 0; d < dims; d++) set(1 + d, HYPERPARAMETER_BOUNDS.lengthScale);
  set(dims + 1, HYPERPARAMETER_BOUNDS.noise);
  return { lower, upper };
}

function fitHyperparameters(inputs: Float64Array, dims: number, y: Float64Array, options: GpFitOptions): GpHyperparameters {
  const n = y.length;
  const restarts = options.restarts ?? 1;
  const screenedStarts = options.screenedStarts ?? 10;
  const workspace = createWorkspace(n, dims, inputs);
  const { lower, upper } = hyperparameterBounds(dims);
  const objective = (theta: Float64Array, gradient: Float64Array): number =>
    negativeLogMarginalLikelihood(inputs, dims, y, theta, gradient, workspace);
  const valueAt = (theta: Float64Array): number => negativeLogMarginalLikelihood(inputs, dims, y, theta, null, workspace);

  // Random starts come from the middle of the bounds (in log space): the extremes are almost never the
  // optimum, and L-BFGS gets there anyway if they are. Screening by likelihood is a Cholesky each, while an
  // L-BFGS run costs ~30 likelihood-and-gradient evaluations, so only the most promising are run.
  const defaultStart = encodeTheta({ ...DEFAULT_START, lengthScales: new Array<number>(dims).fill(1) });
  const screened: { theta: Float64Array; value: number }[] = [{ theta: defaultStart, value: valueAt(defaultStart) }];
  for (let s = 0; s < screenedStarts; s++) {
    const theta = new Float64Array(dims + 2);
    theta[0] = options.rng.uniform(Math.log(0.1), Math.log(10));
    for (let d = 0; d < dims; d++) theta[1 + d] = options.rng.uniform(Math.log(0.05), Math.log(5));
    theta[dims + 1] = options.rng.uniform(Math.log(1e-6), Math.log(1e-1));
    screened.push({ theta, value: valueAt(theta) });
  }
  screened.sort((a, b) => a.value - b.value);
  const starts = screened.slice(0, restarts).map((s) => s.theta);
  if (options.warmStart) starts.unshift(encodeTheta(options.warmStart));

  let best: { theta: Float64Array; value: number } | undefined;
  for (const start of starts) {
    // Loose tolerances: the acquisition barely changes once the likelihood is within ~1e-6 of its optimum.
    const result = minimizeBounded(objective, start, lower, upper, {
      maxIterations: options.maxIterations ?? 60,
      relativeTolerance: 1e-7,
      projectedGradientTolerance: 1e-4,
    });
    if (Number.isFinite(result.value) && (!best || result.value < best.value)) best = { theta: result.x, value: result.value };
  }
  return decodeTheta(best ? best.theta : screened[0].theta, dims);
}
