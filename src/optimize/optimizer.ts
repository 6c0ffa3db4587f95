// Ask/tell Bayesian optimiser (scikit-optimize's Optimizer with a GP, normalised space and gp_minimize's
// defaults). One departure: the GP is fitted to monotonically warped objective values (see outputWarp), which
// keeps a heavy upper tail of bad scores from washing out the model where the good points are.
//
// Reproducibility contract: what `ask(q)` returns is a pure function of (options, the observations told so
// far, q). Every random stream is derived from (randomState, purpose, observation count, batch slot), and every
// model is defined by the observation count it is fitted to. Consequences:
//  - a fixed randomState gives the same run every time;
//  - telling a new Optimizer the stored observations of an interrupted run and asking again gives exactly the
//    proposals the uninterrupted run would have made;
//  - calling ask() twice without telling in between returns the same points.
// Two pieces of state carry over from step to step, and both are defined by replaying counts in order:
//  - each GP hyperparameter search is warm-started from the fit on one fewer observation;
//  - gp_hedge's gains: for every count k since the model took over, the portfolio's proposals under the model
//    on the first k observations, scored by the model on the first k + 1 (skopt's update; the score is the
//    predicted mean in the model's normalised, warped units, so the hedge does not depend on the objective's
//    units as skopt's does).
// A sequential ask/tell loop computes all of that anyway; after a bulk tell (resume, or a batch of q > 1) the
// next ask fills in the missing steps, which costs about as much as the asks it stands in for.

import { ServesimError } from '../errors.js';
import {
  acquisitionCost,
  type AcquisitionFunction,
  type AcquisitionName,
  type AcquisitionParameters,
  HEDGE_PORTFOLIO,
  softmax,
} from './acquisition.js';
import { GaussianProcess, type GpHyperparameters, type GpModelSummary } from './gp.js';
import { optionChecks } from './options.js';
import { candidateSet, initialDesign, initialPoint, randomUnknownPoint, refineContinuous, samePoint } from './proposal.js';
import { Rng, StreamPurpose } from './random.js';
import { type Dimension, type Point, type PointValue, SearchSpace } from './space.js';

export interface OptimizerOptions {
  /** Observations needed before the GP takes over; until then points come from a Latin hypercube. Default 10. */
  nInitial?: number;
  /**
   * Points the caller tells before its first ask (a strategy's `initial_points`): the Latin-hypercube design of
   * nInitial points follows them, and the GP takes over after nGiven + nInitial observations (skopt's x0). Default 0.
   */
  nGiven?: number;
  /** Seed of every random choice. Default 0. */
  randomState?: number;
  /** Default 'gp_hedge'. */
  acqFunc?: AcquisitionFunction;
  /** EI/PI improvement margin, in objective units. Default 0.01. */
  xi?: number;
  /** LCB exploration weight. Default 1.96. */
  kappa?: number;
  /** Random candidates scored per acquisition maximisation. Default 5 000. */
  nCandidates?: number;
  /**
   * Share of the candidates drawn near the best observations rather than from the priors. Default 0.2. Helps
   * exploitation in higher dimensions, and is the only local search integer dimensions get.
   */
  localCandidateShare?: number;
  /** Best candidates refined by L-BFGS over the real dimensions. Default 5. */
  nRefine?: number;
  /** GP hyperparameter searches from the best screened random starts, besides the warm start. Default 1. */
  gpRestarts?: number;
  /** gp_hedge's softmax temperature. Default 1. */
  hedgeEta?: number;
}

/** Where a proposed point came from. */
export type ProposalSource = 'initial' | AcquisitionName;

export interface Proposal {
  x: Point;
  source: ProposalSource;
}

export interface OptimizeResult {
  /** Best point observed. */
  x: Point;
  /** Objective value at x. */
  fun: number;
  /** Every observed point, in the order told. */
  xIters: Point[];
  funIters: number[];
  /** Hyperparameters of each GP fitted, by observation count. */
  models: GpModelSummary[];
}

const ACQUISITION_FUNCTIONS: readonly AcquisitionFunction[] = ['gp_hedge', 'EI', 'PI', 'LCB'];
/** Best observations that local candidates are drawn around. */
const LOCAL_INCUMBENTS = 5;
/** Fitted models kept: the current one and the previous one (needed for gp_hedge's update). */
const MODEL_CACHE_SIZE = 3;

interface Settings {
  nInitial: number;
  nGiven: number;
  randomState: number;
  acqFunc: AcquisitionFunction;
  xi: number;
  kappa: number;
  nCandidates: number;
  localCandidateShare: number;
  nRefine: number;
  gpRestarts: number;
  hedgeEta: number;
}

export class Optimizer {
  readonly space: SearchSpace;
  private readonly settings: Settings;
  /** Observation count from which the GP proposes points (a GP on fewer than 2 points is meaningless). */
  private readonly modelStart: number;
  private readonly initialDesign: Float64Array[];
  private readonly observedPoints: Point[] = [];
  private readonly observedTransformed: Float64Array[] = [];
  private readonly observedValues: number[] = [];
  private readonly models = new Map<number, GaussianProcess>();
  private readonly modelSummaries = new Map<number, GpModelSummary>();
  /** Portfolio proposals at observation count k, kept until gp_hedge has scored them. */
  private readonly stepProposals = new Map<number, Float64Array[]>();
  private readonly hedgeGains: number[];
  /** gp_hedge's gains include the steps at observation counts below this. */
  private hedgeAccountedThrough: number;

  constructor(space: SearchSpace | readonly Dimension[], options: OptimizerOptions = {}) {
    this.space = SearchSpace.from(space);
    this.settings = validateOptions(options);
    this.modelStart = Math.max(this.settings.nGiven + this.settings.nInitial, 2);
    this.hedgeAccountedThrough = this.modelStart;
    this.hedgeGains = HEDGE_PORTFOLIO.map(() => 0);
    this.initialDesign = initialDesign(this.space, this.settings.nInitial, this.settings.randomState);
  }

  get observationCount(): number {
    return this.observedValues.length;
  }

  /** gp_hedge's accumulated gains, in HEDGE_PORTFOLIO order (as of the last ask). */
  get gains(): readonly number[] {
    return [...this.hedgeGains];
  }

  /** Next point to evaluate. */
  ask(): Point;
  /** `count` points to evaluate in parallel (constant liar: pending points are assumed to score the best y). */
  ask(count: number): Point[];
  ask(count?: number): Point | Point[] {
    const proposals = this.askWithSources(count ?? 1);
    return count === undefined ? proposals[0].x : proposals.map((p) => p.x);
  }

  /** Like ask(count), also saying which acquisition function (or the initial design) produced each point. */
  askWithSources(count = 1): Proposal[] {
    if (!Number.isInteger(count) || count < 1) throw new ServesimError(`ask: count must be a positive integer, got ${count}`);
    const n = this.observationCount;
    const pending: Float64Array[] = [];
    const sources: ProposalSource[] = [];
    if (n < this.modelStart) {
      for (let slot = 0; slot < count; slot++) {
        pending.push(this.initialPoint(n + slot, pending));
        sources.push('initial');
      }
    } else {
      const hedging = this.settings.acqFunc === 'gp_hedge';
      if (hedging) this.accountHedgeGains(n);
      const model = this.modelAt(n);
      const firstChoice = this.chooseAcquisition(n, 0);
      pending.push(this.proposalsAt(n)[hedging ? HEDGE_PORTFOLIO.indexOf(firstChoice) : 0]);
      sources.push(firstChoice);
      const lie = this.warpAt(n).apply(Math.min(...this.observedValues));
      for (let slot = 1; slot < count; slot++) {
        const liarModel = model.conditionedOn(pending, pending.map(() => lie));
        const acquisition = this.chooseAcquisition(n, slot);
        const rng = Rng.derived(this.settings.randomState, StreamPurpose.candidates, n, slot);
        pending.push(this.propose([acquisition], liarModel, rng, pending)[0]);
        sources.push(acquisition);
      }
    }
    return pending.map((z, i) => ({ x: this.space.inverseTransform(z), source: sources[i] }));
  }

  /** Records observations: one point and value, or parallel arrays of them (e.g. re-told from a trial store). */
  tell(point: readonly PointValue[], value: number): void;
  tell(points: readonly (readonly PointValue[])[], values: readonly number[]): void;
  tell(pointOrPoints: readonly PointValue[] | readonly (readonly PointValue[])[], valueOrValues: number | readonly number[]): void {
    const batch = Array.isArray(valueOrValues);
    const points = (batch ? pointOrPoints : [pointOrPoints]) as readonly (readonly PointValue[])[];
    const values = (batch ? valueOrValues : [valueOrValues]) as readonly number[];
    if (!Array.isArray(points) || points.length !== values.length) {
      throw new ServesimError(`tell: got ${points.length} points but ${values.length} values`);
    }
    // Validate everything before storing anything, so a bad entry leaves the optimiser unchanged.
    const transformed = points.map((p, i) => {
      if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
        throw new ServesimError(`tell: objective value must be a finite number, got ${values[i]}`);
      }
      return this.space.transform(p);
    });
    points.forEach((p, i) => {
      this.observedPoints.push([...p]);
      this.observedTransformed.push(transformed[i]);
      this.observedValues.push(values[i]);
    });
  }

  result(): OptimizeResult {
    if (this.observationCount === 0) throw new ServesimError('no observations yet');
    let best = 0;
    this.observedValues.forEach((v, i) => {
      if (v < this.observedValues[best]) best = i;
    });
    return {
      x: [...this.observedPoints[best]],
      fun: this.observedValues[best],
      xIters: this.observedPoints.map((p) => [...p]),
      funIters: [...this.observedValues],
      models: [...this.modelSummaries.entries()].sort(([a], [b]) => a - b).map(([, s]) => s),
    };
  }

  /** The point for observation `index` before the model (see proposal.ts's initialPoint). */
  private initialPoint(index: number, pending: readonly Float64Array[]): Float64Array {
    return initialPoint(this.space, this.initialDesign, index, this.settings.nGiven, this.settings.randomState, (z) => this.isKnown(z, pending));
  }

  /** GP fitted to the first `count` observations (cached). */
  private modelAt(count: number): GaussianProcess {
    const cached = this.models.get(count);
    if (cached) return cached;
    const warp = this.warpAt(count);
    const model = GaussianProcess.fit(this.observedTransformed.slice(0, count), this.observedValues.slice(0, count).map(warp.apply), {
      rng: Rng.derived(this.settings.randomState, StreamPurpose.hyperparameterStarts, count),
      restarts: this.settings.gpRestarts,
      warmStart: count > this.modelStart ? this.hyperparametersAt(count - 1) : undefined,
    });
    this.models.set(count, model);
    this.modelSummaries.set(count, model.summary());
    while (this.models.size > MODEL_CACHE_SIZE) this.models.delete(Math.min(...this.models.keys()));
    return model;
  }

  /**
   * Hyperparameters of the fit on the first `count` observations. Each fit is warm-started from the previous
   * count's, so a missing link (after a bulk tell) is filled in by fitting every count since the last known
   * one, in order: the chain, and so every proposal, depends on the observations alone.
   */
  private hyperparametersAt(count: number): GpHyperparameters {
    let first = count;
    while (first > this.modelStart && !this.modelSummaries.has(first - 1)) first--;
    for (let k = first; k <= count; k++) if (!this.modelSummaries.has(k)) this.modelAt(k);
    return this.modelSummaries.get(count)!.hyperparameters;
  }

  /** The unbatched proposal(s) at observation count k: one per portfolio member under gp_hedge. */
  private proposalsAt(count: number): Float64Array[] {
    const cached = this.stepProposals.get(count);
    if (cached) return cached;
    const acquisitions = this.settings.acqFunc === 'gp_hedge' ? HEDGE_PORTFOLIO : [this.settings.acqFunc];
    const rng = Rng.derived(this.settings.randomState, StreamPurpose.candidates, count, 0);
    const proposals = this.propose(acquisitions, this.modelAt(count), rng, [], count);
    // Only gp_hedge needs past steps' proposals (until it has scored them); otherwise keep just this one.
    if (this.settings.acqFunc !== 'gp_hedge') this.stepProposals.clear();
    this.stepProposals.set(count, proposals);
    return proposals;
  }

  /** Brings gp_hedge's gains up to date with every step below observation count `count`. */
  private accountHedgeGains(count: number): void {
    for (let k = this.hedgeAccountedThrough; k < count; k++) {
      const proposals = this.proposalsAt(k);
      const nextModel = this.modelAt(k + 1);
      // Reward each acquisition by how low the better-informed model now expects its proposal to be, in
      // standard deviations of the observed values (skopt uses raw units, which makes the softmax a hard argmax
      // after a step or two for objectives measured in large units).
      const { mean: offset, scale } = nextModel.normalization;
      proposals.forEach((z, a) => (this.hedgeGains[a] -= (nextModel.predict(z).mean - offset) / scale));
      this.stepProposals.delete(k);
    }
    this.hedgeAccountedThrough = Math.max(this.hedgeAccountedThrough, count);
  }

  private chooseAcquisition(count: number, slot: number): AcquisitionName {
    if (this.settings.acqFunc !== 'gp_hedge') return this.settings.acqFunc;
    const probabilities = softmax(this.hedgeGains.map((g) => this.settings.hedgeEta * g));
    const u = Rng.derived(this.settings.randomState, StreamPurpose.hedgeChoice, count, slot).next();
    let cumulative = 0;
    for (let a = 0; a < probabilities.length; a++) {
      cumulative += probabilities[a];
      if (u < cumulative) return HEDGE_PORTFOLIO[a];
    }
    return HEDGE_PORTFOLIO[HEDGE_PORTFOLIO.length - 1];
  }

  /**
   * Minimises each acquisition cost under `model`: score nCandidates candidates (samples from the priors plus
   * perturbations of the best observations, all valid points), refine the best few by
   * L-BFGS over the real dimensions (integer and categorical columns stay at the candidate's valid values),
   * and return the best result that is neither an observation nor pending (falling back down the ranking).
   * Only the first `observed` observations count as known (the model's own data when replaying gp_hedge).
   */
  private propose(
    acquisitions: readonly AcquisitionName[],
    model: GaussianProcess,
    rng: Rng,
    pending: readonly Float64Array[],
    observed = this.observationCount,
  ): Float64Array[] {
    const size = this.space.transformedSize;
    const count = this.settings.nCandidates;
    // Local candidates: perturbations of the best few observations.
    const incumbents = this.observedValues
      .slice(0, observed)
      .map((value, index) => ({ value, index }))
      .sort((a, b) => a.value - b.value || a.index - b.index)
      .slice(0, LOCAL_INCUMBENTS)
      .map(({ index }) => this.observedTransformed[index]);
    const candidates = candidateSet(this.space, rng, count, this.settings.localCandidateShare, incumbents);
    const { mean, std } = model.predictBatch(candidates, count);
    // The model is fitted to warped values: the incumbent and the EI/PI margin are converted to match.
    const warp = this.warpAt(observed);
    const parameters: AcquisitionParameters = {
      bestObserved: warp.apply(Math.min(...this.observedValues.slice(0, observed))),
      xi: this.settings.xi * warp.slopeAtMinimum,
      kappa: this.settings.kappa,
    };
    const costs = new Float64Array(count);
    return acquisitions.map((acquisition) => {
      for (let c = 0; c < count; c++) costs[c] = acquisitionCost(acquisition, mean[c], std[c], parameters).value;
      // Spare ranked candidates beyond the refined ones, in case the refined optima are all known points.
      const ranked = smallestIndices(costs, this.settings.nRefine + 20);
      const refined = ranked.slice(0, this.settings.nRefine).map((c) => {
        const start = candidates.slice(c * size, (c + 1) * size);
        return this.refine(acquisition, model, parameters, start, costs[c]);
      });
      refined.sort((a, b) => a.cost - b.cost);
      const options = [
        ...refined.map((r) => r.z),
        ...ranked.slice(this.settings.nRefine).map((c) => candidates.slice(c * size, (c + 1) * size)),
      ];
      for (const z of options) {
        const snapped = this.space.snap(z);
        if (!this.isKnown(snapped, pending, observed)) return snapped;
      }
      const fallbackRng = Rng.derived(this.settings.randomState, StreamPurpose.duplicateFallback, observed, pending.length);
      const fallback = randomUnknownPoint(this.space, fallbackRng, (z) => this.isKnown(z, pending, observed));
      return fallback.found ? fallback.z : this.space.snap(options[0]);
    });
  }

  /** L-BFGS on the acquisition cost over the real (continuous) columns, starting from a candidate. */
  private refine(
    acquisition: AcquisitionName,
    model: GaussianProcess,
    parameters: AcquisitionParameters,
    start: Float64Array,
    startCost: number,
  ): { z: Float64Array; cost: number } {
    const dMean = new Float64Array(start.length);
    const dStd = new Float64Array(start.length);
    return refineContinuous(this.space, start, startCost, (z, gradient) => {
      const { mean, std } = model.predictWithGradient(z, dMean, dStd);
      const cost = acquisitionCost(acquisition, mean, std, parameters);
      for (let k = 0; k < z.length; k++) gradient[k] = cost.dMean * dMean[k] + cost.dStd * dStd[k];
      return cost.value;
    });
  }

  /** The output warp of the model on the first `count` observations (a pure function of their values). */
  private warpAt(count: number): OutputWarp {
    return outputWarp(this.observedValues.slice(0, count));
  }

  private isKnown(z: Float64Array, pending: readonly Float64Array[], observed = this.observationCount): boolean {
    for (let i = 0; i < observed; i++) if (samePoint(z, this.observedTransformed[i])) return true;
    return pending.some((p) => samePoint(z, p));
  }
}

interface OutputWarp {
  apply: (y: number) => number;
  /** d apply / dy at the smallest value: converts objective-unit margins (xi) near the incumbent. */
  slopeAtMinimum: number;
}

/**
 * Monotone output warp the GP is fitted to: y ↦ log(1 + (y − min)/s), s = median − min of the values (the
 * range, or 1, if that is 0). Up to the median the slope drops by at most half; a heavy upper tail (e.g. failed
 * configurations scoring 10× the good ones) is compressed logarithmically, so it no longer dominates the
 * normalised output scale and flattens the model where the good points are. Monotone, so the incumbent is
 * unchanged.
 */
function outputWarp(values: readonly number[]): OutputWarp {
  if (values.length === 0) return { apply: (y) => y, slopeAtMinimum: 1 };
  const sorted = [...values].sort((a, b) => a - b);
  const min = sorted[0];
  const range = sorted[sorted.length - 1] - min;
  let s = sorted[Math.floor((sorted.length - 1) / 2)] - min;
  if (!(s > 0)) s = range > 0 ? range : 1;
  return { apply: (y) => Math.log1p(Math.max(y - min, 0) / s), slopeAtMinimum: 1 / s };
}

/** Indices of the `k` smallest entries, ascending (ties by index): O(n·k) worst case, ~O(n) in practice. */
function smallestIndices(values: Float64Array, k: number): number[] {
  const chosen: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (chosen.length === k && v >= values[chosen[k - 1]]) continue;
    let position = chosen.length === k ? k - 1 : chosen.length;
    while (position > 0 && values[chosen[position - 1]] > v) position--;
    chosen.splice(position, 0, i);
    if (chosen.length > k) chosen.pop();
  }
  return chosen;
}

function validateOptions(options: OptimizerOptions): Settings {
  const settings: Settings = {
    nInitial: options.nInitial ?? 10,
    nGiven: options.nGiven ?? 0,
    randomState: options.randomState ?? 0,
    acqFunc: options.acqFunc ?? 'gp_hedge',
    xi: options.xi ?? 0.01,
    kappa: options.kappa ?? 1.96,
    nCandidates: options.nCandidates ?? 5_000,
    localCandidateShare: options.localCandidateShare ?? 0.2,
    nRefine: options.nRefine ?? 5,
    gpRestarts: options.gpRestarts ?? 1,
    hedgeEta: options.hedgeEta ?? 1,
  };
  const check = optionChecks(settings, 'optimizer');
  check.integer('nInitial', 0);
  check.integer('nGiven', 0);
  check.integer('nCandidates', 1);
  check.integer('nRefine', 0);
  check.integer('gpRestarts', 0);
  check.safeInteger('randomState');
  check.nonNegative('xi');
  check.nonNegative('kappa');
  check.nonNegative('hedgeEta');
  check.unitInterval('localCandidateShare');
  if (!ACQUISITION_FUNCTIONS.includes(settings.acqFunc)) {
    throw new ServesimError(`optimizer option acqFunc must be one of ${ACQUISITION_FUNCTIONS.join(', ')}, got ${String(settings.acqFunc)}`);
  }
  return settings;
}
