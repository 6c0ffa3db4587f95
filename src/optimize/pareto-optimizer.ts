// Ask/tell multi-objective (and constrained) Bayesian optimiser: one GP per objective and per constraint on the
// existing GaussianProcess, acquisition = expected hypervolume improvement × probability of feasibility.
//
// Why EHVI: it is the acquisition of choice in the literature and in BoTorch (qEHVI/qNEHVI); it is Pareto
// compliant (it only rewards points that would extend the dominated region), needs no weights, and is exact
// and cheap for the handful of objectives a strategy has (see ehvi.ts: a box decomposition of the
// non-dominated region makes it a sum of products of closed-form terms, in any number of objectives). ParEGO
// (random Chebyshev scalarisations fed to single-objective EI) is cheaper but models one scalarisation at a time
// and is consistently weaker in the comparisons of Daulton et al. 2020. With one objective EHVI is exactly EI
// at the best feasible value, so nObjectives = 1 with constraints is constrained EI (Gardner et al. 2014,
// Gelbart et al. 2014): EI × Π_k P(c_k(x) ≤ 0), each constraint modelled by its own GP; while no feasible point
// is known the acquisition is the probability of feasibility alone.
//
// Units: objectives are scaled per objective to the current feasible Pareto front (ideal → 0, nadir → 1; when a
// front is a single value in some objective, that objective's range over every observation, or 1, is used) and
// the reference point of the acquisition is 1 + referenceMargin (default 1.1) in every scaled objective — the
// front's nadir plus 10 % of its extent, BoTorch's default heuristic. Points worse than that in some objective
// earn nothing, so the search extends and fills the current front rather than rewarding merely "not awful".
//
// Batches (ask(q), q > 1) use the Kriging believer: after choosing a point, every model is conditioned on it at
// its predicted mean (hyperparameters kept), and if its predicted constraints are met the predicted objective
// vector joins the front for the next slot. The believer shrinks the uncertainty and the EHVI near the
// pending points, so the slots spread out, deterministically.
//
// Reproducibility contract (as Optimizer's): ask(q) is a pure function of (options, observations told, q). Every
// random stream is derived from (randomState, purpose, observation count, batch slot / model index), and each GP
// fit is warm-started from the fit on one fewer observation, a chain refilled in order after a bulk tell (resume),
// so it too depends on the observations alone.

import { ServesimError } from '../errors.js';
import { normalCdf, normalPdf } from './acquisition.js';
import { HypervolumeBoxes } from './ehvi.js';
import { GaussianProcess, type GpHyperparameters } from './gp.js';
import { nonDominatedIndices } from './pareto.js';
import { optionChecks } from './options.js';
import { candidateSet, initialDesign, initialPoint, randomUnknownPoint, refineContinuous, samePoint } from './proposal.js';
import { Rng, StreamPurpose } from './random.js';
import { type Dimension, type Point, SearchSpace } from './space.js';

export interface ParetoOptimizerOptions {
  /** Observations before the GPs take over; until then points come from a Latin hypercube. Default 10. */
  nInitial?: number;
  /** Points the caller tells before its first ask (see OptimizerOptions.nGiven). Default 0. */
  nGiven?: number;
  /** Seed of every random choice. Default 0. */
  randomState?: number;
  /** Constraint values told with each observation (feasible iff every one is ≤ 0). Default 0. */
  nConstraints?: number;
  /** Candidates scored per proposal (random from the priors plus perturbations of front points). Default 1 000. */
  nCandidates?: number;
  /** Share of the candidates drawn near front points. Default 0.3. */
  localCandidateShare?: number;
  /** Best candidates refined by L-BFGS over the real dimensions. Default 3. */
  nRefine?: number;
  /** GP hyperparameter searches from screened random starts, besides the default start. Default 1. */
  gpRestarts?: number;
  /** Reference point of the acquisition: nadir + this × the front's extent, per objective. Default 0.1. */
  referenceMargin?: number;
  /**
   * A fixed reference point instead, in objective units (one value per objective): the worst value of each
   * objective still worth anything, e.g. a baseline's. Recommended with 4 or more objectives (see below).
   */
  referencePoint?: readonly number[];
}

export interface ParetoPoint {
  x: Point;
  fun: number[];
}

/** Observations kept as local-search centres while nothing is feasible (the least violating ones). */
const LOCAL_INCUMBENTS = 5;
/** Mixed into the hyperparameter streams' seeds, so they differ from Optimizer's. */
const PARETO_MODELS = 0x9a7e;
/** Hyperparameter searches add screened random starts at every this many observation counts. */
const RESTART_INTERVAL = 5;

interface Settings {
  nInitial: number;
  nGiven: number;
  randomState: number;
  nConstraints: number;
  nCandidates: number;
  localCandidateShare: number;
  nRefine: number;
  gpRestarts: number;
  referenceMargin: number;
  referencePoint: readonly number[] | undefined;
}

/** Everything an ask at one observation count needs; a pure function of those observations. */
interface Step {
  count: number;
  objectiveModels: GaussianProcess[];
  constraintModels: GaussianProcess[];
  /** Per objective: scaled = (y − offset) / scale. */
  offset: number[];
  scale: number[];
  reference: number[];
  /** Scaled objective vectors of the feasible non-dominated observations. */
  front: number[][];
  /** Observation indices local candidates are drawn around. */
  incumbents: number[];
}

/** A proposal's acquisition: log(EHVI × PoF) (or log PoF while nothing is feasible). */
interface Acquisition {
  models: GaussianProcess[];
  constraints: GaussianProcess[];
  boxes: HypervolumeBoxes | undefined;
}

export class ParetoOptimizer {
  readonly space: SearchSpace;
  readonly nObjectives: number;
  private readonly settings: Settings;
  private readonly modelStart: number;
  private readonly initialDesign: Float64Array[];
  private readonly observedPoints: Point[] = [];
  private readonly observedTransformed: Float64Array[] = [];
  private readonly observedObjectives: number[][] = [];
  private readonly observedConstraints: number[][] = [];
  private cachedStep: Step | undefined;
  /** Fitted hyperparameters by observation count (objectives, then constraints): the warm-start chain. */
  private readonly fittedHyperparameters = new Map<number, GpHyperparameters[]>();

  constructor(space: SearchSpace | readonly Dimension[], nObjectives: number, options: ParetoOptimizerOptions = {}) {
    this.space = SearchSpace.from(space);
    if (!Number.isInteger(nObjectives) || nObjectives < 1) {
      throw new ServesimError(`ParetoOptimizer: nObjectives must be a positive integer, got ${String(nObjectives)}`);
    }
    this.nObjectives = nObjectives;
    this.settings = validateOptions(options);
    const reference = this.settings.referencePoint;
    if (reference && (reference.length !== nObjectives || reference.some((r) => typeof r !== 'number' || !Number.isFinite(r)))) {
      throw new ServesimError(`ParetoOptimizer option referencePoint must be ${nObjectives} finite numbers, got [${reference.join(', ')}]`);
    }
    this.modelStart = Math.max(this.settings.nGiven + this.settings.nInitial, 2);
    this.initialDesign = initialDesign(this.space, this.settings.nInitial, this.settings.randomState);
  }

  get observationCount(): number {
    return this.observedObjectives.length;
  }

  /** `count` points to evaluate (in parallel, if count > 1). */
  ask(count: number): Point[] {
    if (!Number.isInteger(count) || count < 1) throw new ServesimError(`ask: count must be a positive integer, got ${count}`);
    const n = this.observationCount;
    const pending: Float64Array[] = [];
    if (n < this.modelStart) {
      for (let slot = 0; slot < count; slot++) pending.push(this.initialPoint(n + slot, pending));
      return pending.map((z) => this.space.inverseTransform(z));
    }
    const step = this.stepAt(n);
    const front = step.front.map((f) => [...f]);
    let acquisition: Acquisition = {
      models: step.objectiveModels,
      constraints: step.constraintModels,
      boxes: this.feasibleCount() > 0 ? new HypervolumeBoxes(front, step.reference) : undefined,
    };
    for (let slot = 0; slot < count; slot++) {
      const rng = Rng.derived(this.settings.randomState, StreamPurpose.candidates, n, slot);
      const z = this.propose(step, acquisition, rng, pending);
      pending.push(z);
      if (slot + 1 === count) break;
      // Kriging believer: every model (hyperparameters kept) conditions on the pending points at its base means.
      const believed = (models: GaussianProcess[]): GaussianProcess[] =>
        models.map((m) => m.conditionedOn(pending, pending.map((p) => m.predict(p).mean)));
      const objectiveMeans = step.objectiveModels.map((m) => m.predict(z).mean);
      const feasible = step.constraintModels.every((m) => m.predict(z).mean <= 0);
      if (feasible) front.push(objectiveMeans.map((y, j) => (y - step.offset[j]) / step.scale[j]));
      acquisition = {
        models: believed(step.objectiveModels),
        constraints: believed(step.constraintModels),
        boxes: acquisition.boxes || feasible ? new HypervolumeBoxes(paretoFilter(front), step.reference) : undefined,
      };
    }
    return pending.map((z) => this.space.inverseTransform(z));
  }

  /** Records one evaluation: objective values (all minimised) and, with nConstraints > 0, constraint values (≤ 0 is met). */
  tell(x: Point, objectives: readonly number[], constraints: readonly number[] = []): void {
    const transformed = this.space.transform(x);
    if (!Array.isArray(objectives) || objectives.length !== this.nObjectives) {
      throw new ServesimError(`tell: expected ${this.nObjectives} objective values, got ${describeArray(objectives)}`);
    }
    if (!Array.isArray(constraints) || constraints.length !== this.settings.nConstraints) {
      throw new ServesimError(`tell: expected ${this.settings.nConstraints} constraint values, got ${describeArray(constraints)}`);
    }
    for (const v of [...objectives, ...constraints]) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ServesimError(`tell: values must be finite numbers, got ${String(v)}`);
    }
    this.observedPoints.push([...x]);
    this.observedTransformed.push(transformed);
    this.observedObjectives.push([...objectives]);
    this.observedConstraints.push([...constraints]);
  }

  /** Non-dominated feasible observations, in observation order (the first of identical objective vectors). */
  front(): ParetoPoint[] {
    return this.frontIndices().map((i) => ({ x: [...this.observedPoints[i]], fun: [...this.observedObjectives[i]] }));
  }

  /** Every observation told, in order. */
  observations(): { x: Point; fun: number[]; constraints: number[]; feasible: boolean }[] {
    return this.observedPoints.map((x, i) => ({
      x: [...x],
      fun: [...this.observedObjectives[i]],
      constraints: [...this.observedConstraints[i]],
      feasible: this.isFeasible(i),
    }));
  }

  private isFeasible(i: number): boolean {
    return this.observedConstraints[i].every((c) => c <= 0);
  }

  private feasibleCount(count = this.observationCount): number {
    let feasible = 0;
    for (let i = 0; i < count; i++) if (this.isFeasible(i)) feasible++;
    return feasible;
  }

  /** Indices of the feasible non-dominated observations among the first `count`. */
  private frontIndices(count = this.observationCount): number[] {
    const feasible: number[] = [];
    for (let i = 0; i < count; i++) if (this.isFeasible(i)) feasible.push(i);
    return nonDominatedIndices(feasible.map((i) => this.observedObjectives[i])).map((k) => feasible[k]);
  }

  private initialPoint(index: number, pending: readonly Float64Array[]): Float64Array {
    return initialPoint(this.space, this.initialDesign, index, this.settings.nGiven, this.settings.randomState, (z) => this.isKnown(z, pending));
  }

  /**
   * GPs for every objective and constraint on the first `count` observations. Each hyperparameter search is
   * warm-started from the fit on one fewer observation (as Optimizer's), so a missing link after a bulk tell is
   * filled in by fitting every count since the last known one, in order: the chain depends on the observations
   * alone.
   */
  private modelsAt(count: number): [GaussianProcess[], GaussianProcess[]] {
    let first = count;
    while (first > this.modelStart && !this.fittedHyperparameters.has(first - 1)) first--;
    let models: GaussianProcess[] = [];
    for (let k = first; k <= count; k++) {
      const previous = this.fittedHyperparameters.get(k - 1);
      if (k < count && this.fittedHyperparameters.has(k)) continue;
      const inputs = this.observedTransformed.slice(0, k);
      const outputs = [
        ...Array.from({ length: this.nObjectives }, (_, j) => this.observedObjectives.slice(0, k).map((y) => y[j])),
        ...Array.from({ length: this.settings.nConstraints }, (_, c) => this.observedConstraints.slice(0, k).map((y) => y[c])),
      ];
      models = outputs.map((values, index) =>
        GaussianProcess.fit(inputs, values, {
          rng: Rng.derived(this.settings.randomState, StreamPurpose.hyperparameterStarts, k, PARETO_MODELS, index),
          // Random restarts only every few counts: the warm start tracks the optimum between them, and with a GP
          // per objective and constraint, fitting dominates the cost of an ask.
          restarts: (k - this.modelStart) % RESTART_INTERVAL === 0 ? this.settings.gpRestarts : 0,
          warmStart: k > this.modelStart ? previous?.[index] : undefined,
        }),
      );
      this.fittedHyperparameters.set(k, models.map((m) => m.hyperparameters));
    }
    return [models.slice(0, this.nObjectives), models.slice(this.nObjectives)];
  }

  /** Models, scaling and front for the first `count` observations (the last one cached). */
  private stepAt(count: number): Step {
    if (this.cachedStep?.count === count) return this.cachedStep;
    const [objectiveModels, constraintModels] = this.modelsAt(count);
    const frontIndices = this.frontIndices(count);
    const all = this.observedObjectives.slice(0, count);
    // Scale to the feasible front, or to the unconstrained front of everything while nothing is feasible.
    const basis = frontIndices.length > 0 ? frontIndices.map((i) => all[i]) : nonDominatedIndices(all).map((i) => all[i]);
    const offset: number[] = [];
    const scale: number[] = [];
    for (let j = 0; j < this.nObjectives; j++) {
      const low = Math.min(...basis.map((y) => y[j]));
      const high = Math.max(...basis.map((y) => y[j]));
      const everyLow = Math.min(...all.map((y) => y[j]));
      const everyHigh = Math.max(...all.map((y) => y[j]));
      offset.push(low);
      scale.push(high > low ? high - low : everyHigh > everyLow ? everyHigh - everyLow : 1);
    }
    const fixed = this.settings.referencePoint;
    const reference = fixed ? fixed.map((r, j) => (r - offset[j]) / scale[j]) : offset.map(() => 1 + this.settings.referenceMargin);
    let incumbents = frontIndices;
    if (incumbents.length === 0) {
      const violation = (i: number): number => this.observedConstraints[i].reduce((s, c) => s + Math.max(c, 0), 0);
      incumbents = Array.from({ length: count }, (_, i) => i)
        .sort((a, b) => violation(a) - violation(b) || a - b)
        .slice(0, LOCAL_INCUMBENTS);
    }
    const step: Step = {
      count,
      objectiveModels,
      constraintModels,
      offset,
      scale,
      reference,
      front: frontIndices.map((i) => all[i].map((y, j) => (y - offset[j]) / scale[j])),
      incumbents,
    };
    this.cachedStep = step;
    return step;
  }

  /**
   * Maximises the acquisition: score nCandidates candidates (priors + perturbations of the incumbents), refine
   * the best few by L-BFGS over the real columns, and return the best that is neither observed nor pending.
   */
  private propose(step: Step, acquisition: Acquisition, rng: Rng, pending: readonly Float64Array[]): Float64Array {
    const size = this.space.transformedSize;
    const count = this.settings.nCandidates;
    const centres = step.incumbents.map((i) => this.observedTransformed[i]);
    const candidates = candidateSet(this.space, rng, count, this.settings.localCandidateShare, centres);
    const scores = this.scoreBatch(step, acquisition, candidates, count);
    const ranked = Array.from({ length: count }, (_, c) => c)
      .filter((c) => scores[c] > -Infinity)
      .sort((a, b) => scores[b] - scores[a] || a - b)
      .slice(0, this.settings.nRefine + 20);
    const refined = ranked.slice(0, this.settings.nRefine).map((c) => this.refine(step, acquisition, candidates.slice(c * size, (c + 1) * size), scores[c]));
    refined.sort((a, b) => b.score - a.score);
    const options = [...refined.map((r) => r.z), ...ranked.slice(this.settings.nRefine).map((c) => candidates.slice(c * size, (c + 1) * size))];
    for (const z of options) {
      const snapped = this.space.snap(z);
      if (!this.isKnown(snapped, pending)) return snapped;
    }
    const fallbackRng = Rng.derived(this.settings.randomState, StreamPurpose.duplicateFallback, step.count, pending.length);
    return randomUnknownPoint(this.space, fallbackRng, (z) => this.isKnown(z, pending)).z;
  }

  /** log(EHVI × PoF) of each candidate (−∞ where it underflows). */
  private scoreBatch(step: Step, acquisition: Acquisition, candidates: Float64Array, count: number): Float64Array {
    const d = this.nObjectives;
    const scores = new Float64Array(count);
    for (const model of acquisition.constraints) {
      const { mean, std } = model.predictBatch(candidates, count);
      for (let c = 0; c < count; c++) scores[c] += logNormalCdf(-mean[c] / std[c]);
    }
    const { boxes } = acquisition;
    if (!boxes) return scores;
    const predictions = acquisition.models.map((m) => m.predictBatch(candidates, count));
    const mean = new Float64Array(d);
    const std = new Float64Array(d);
    const tables = boxes.tables();
    for (let c = 0; c < count; c++) {
      if (scores[c] === -Infinity) continue;
      for (let j = 0; j < d; j++) {
        mean[j] = (predictions[j].mean[c] - step.offset[j]) / step.scale[j];
        std[j] = predictions[j].std[c] / step.scale[j];
      }
      scores[c] += Math.log(boxes.expectedImprovement(mean, std, undefined, tables));
    }
    return scores;
  }

  /** L-BFGS on −log(EHVI × PoF) over the real columns, from a candidate. */
  private refine(step: Step, acquisition: Acquisition, start: Float64Array, startScore: number): { z: Float64Array; score: number } {
    if (!Number.isFinite(startScore)) return { z: start, score: startScore };
    const d = this.nObjectives;
    const width = start.length;
    const dMean = new Float64Array(width);
    const dStd = new Float64Array(width);
    const mean = new Float64Array(d);
    const std = new Float64Array(d);
    const meanGradients = Array.from({ length: d }, () => new Float64Array(width));
    const stdGradients = Array.from({ length: d }, () => new Float64Array(width));
    const ehviGradient = new Float64Array(2 * d);
    const tables = acquisition.boxes?.tables();
    const cost = (z: Float64Array, gradient: Float64Array): number => {
      gradient.fill(0);
      let logScore = 0;
      for (const model of acquisition.constraints) {
        const p = model.predictWithGradient(z, dMean, dStd);
        const u = -p.mean / p.std;
        const logCdf = logNormalCdf(u);
        if (logCdf === -Infinity) return Infinity;
        logScore += logCdf;
        // d log Φ(u) = φ(u)/Φ(u) du,  du = −dμ/σ − u dσ/σ; the cost is −log score.
        const ratio = Math.exp(Math.log(normalPdf(u)) - logCdf);
        for (let k = 0; k < width; k++) gradient[k] -= (ratio * (-dMean[k] - u * dStd[k])) / p.std;
      }
      if (acquisition.boxes && tables) {
        for (let j = 0; j < d; j++) {
          const p = acquisition.models[j].predictWithGradient(z, meanGradients[j], stdGradients[j]);
          mean[j] = (p.mean - step.offset[j]) / step.scale[j];
          std[j] = p.std / step.scale[j];
        }
        const ehvi = acquisition.boxes.expectedImprovement(mean, std, ehviGradient, tables);
        if (!(ehvi > 0)) return Infinity;
        logScore += Math.log(ehvi);
        for (let j = 0; j < d; j++) {
          const gm = ehviGradient[j] / (ehvi * step.scale[j]);
          const gs = ehviGradient[d + j] / (ehvi * step.scale[j]);
          for (let k = 0; k < width; k++) gradient[k] -= gm * meanGradients[j][k] + gs * stdGradients[j][k];
        }
      }
      return -logScore;
    };
    const result = refineContinuous(this.space, start, -startScore, cost);
    return { z: result.z, score: -result.cost };
  }

  private isKnown(z: Float64Array, pending: readonly Float64Array[]): boolean {
    for (const p of this.observedTransformed) if (samePoint(z, p)) return true;
    return pending.some((p) => samePoint(z, p));
  }
}

/** Drives a ParetoOptimizer over `objective` (all objectives minimised) for nCalls evaluations, one at a time. */
export async function paretoMinimize(
  objective: (x: Point) => readonly number[] | Promise<readonly number[]>,
  space: SearchSpace | readonly Dimension[],
  options: { nCalls: number; nInitial?: number; randomState?: number } & Omit<ParetoOptimizerOptions, 'nConstraints' | 'nGiven'>,
): Promise<{ front: ParetoPoint[]; xIters: Point[]; funIters: number[][] }> {
  const { nCalls, ...optimizerOptions } = options;
  if (!Number.isInteger(nCalls) || nCalls < 1) throw new ServesimError(`paretoMinimize: nCalls must be a positive integer, got ${String(nCalls)}`);
  // The number of objectives is known once the objective has answered; the first point comes from the initial
  // design, which does not depend on it.
  const first = new ParetoOptimizer(space, 1, optimizerOptions).ask(1)[0];
  const firstValues = await evaluate(objective, first);
  const optimizer = new ParetoOptimizer(space, firstValues.length, optimizerOptions);
  optimizer.tell(first, firstValues);
  const xIters: Point[] = [[...first]];
  const funIters: number[][] = [[...firstValues]];
  while (xIters.length < nCalls) {
    const [x] = optimizer.ask(1);
    const values = await evaluate(objective, x);
    optimizer.tell(x, values);
    xIters.push([...x]);
    funIters.push([...values]);
  }
  return { front: optimizer.front(), xIters, funIters };
}

async function evaluate(objective: (x: Point) => readonly number[] | Promise<readonly number[]>, x: Point): Promise<number[]> {
  const values = await objective([...x]);
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new ServesimError(`paretoMinimize: objective returned ${describeArray(values)} at [${x.join(', ')}]; it must return a non-empty array of finite numbers`);
  }
  return [...values];
}

/** Indices-free Pareto filter of objective vectors (first of identical ones kept). */
function paretoFilter(points: number[][]): number[][] {
  return nonDominatedIndices(points).map((i) => points[i]);
}

/** log Φ(u), accurate far into the lower tail (Mills-ratio asymptotics where Φ underflows). */
function logNormalCdf(u: number): number {
  if (u > -30) return Math.log(normalCdf(u));
  return -0.5 * u * u - Math.log(-u) - 0.5 * Math.log(2 * Math.PI);
}

function describeArray(value: unknown): string {
  return Array.isArray(value) ? `${value.length} (${value.join(', ')})` : String(value);
}

function validateOptions(options: ParetoOptimizerOptions): Settings {
  const settings: Settings = {
    nInitial: options.nInitial ?? 10,
    nGiven: options.nGiven ?? 0,
    randomState: options.randomState ?? 0,
    nConstraints: options.nConstraints ?? 0,
    nCandidates: options.nCandidates ?? 1_000,
    localCandidateShare: options.localCandidateShare ?? 0.3,
    nRefine: options.nRefine ?? 3,
    gpRestarts: options.gpRestarts ?? 1,
    referenceMargin: options.referenceMargin ?? 0.1,
    referencePoint: options.referencePoint ? [...options.referencePoint] : undefined,
  };
  const check = optionChecks(settings, 'ParetoOptimizer');
  check.integer('nInitial', 0);
  check.integer('nGiven', 0);
  check.integer('nConstraints', 0);
  check.integer('nCandidates', 1);
  check.integer('nRefine', 0);
  check.integer('gpRestarts', 0);
  check.safeInteger('randomState');
  check.unitInterval('localCandidateShare');
  check.positive('referenceMargin');
  return settings;
}
