// `seed_allocation: racing`: the same GP optimiser, but the simulation budget (n-calls × seeds) is spent adaptively
// across seeds. The space-filling design is evaluated on every seed; after that each proposal is raced: it is run on
// one seed, then another, and dropped as soon as its estimated score is unlikely to beat the best fully evaluated
// point. A dropped point costs one or two simulations instead of three, so the budget buys more proposals.
//
// Why this works here: the seed noise of the lab's metrics is mostly a per-seed shift (seed 43's workload is heavier
// than seed 42's for every configuration). The score on a subset K of seeds therefore predicts the all-seed score once
// the subset's offset is known; the offset (median of score_K − score over the fully evaluated points) and the spread
// of what it leaves unexplained are measured on this run's own fully evaluated points, from the good half only (where
// penalties do not dominate). A dropped point is told to the GP at its offset-corrected estimate, so every simulation
// informs the model. Only fully evaluated points can be the result: the best score is always a mean over all seeds.
//
// Determinism: proposals, seed order and promotion decisions depend only on the random state and the metrics
// returned, never on --jobs or completion order. Resume re-runs the same procedure against the trial store (every
// finished evaluation is read back, not re-simulated), which reproduces the interrupted run's trace exactly.
import { ServesimError } from '../errors.js';
import type { Point } from '../optimize/space.js';
import type { SeedEvaluation } from './evaluate.js';
import { meanMetrics, scorePoint, type PenaltyMode } from './objective.js';
import {
  bestPointSummary,
  initialPointsOf,
  searchSpaceOf,
  runKeyOf,
  workloadDigest,
  type OptimizeDependencies,
  type OptimizeResult,
  type OptimizeSettings,
  type RunSettingsRecord,
  type TracePoint,
} from './optimize.js';
import { paramsOfPoint, pointOfParams } from './runargs.js';
import type { Constraint, Objective, ParamValues, Strategy } from './strategy.js';

/** How a strategy spends its simulations: every point on every seed (default), or raced across seeds. */
export type SeedAllocation = 'all' | 'racing';
export const SEED_ALLOCATIONS: readonly SeedAllocation[] = ['all', 'racing'];

export function seedAllocationOption(text: string): SeedAllocation {
  if (!(SEED_ALLOCATIONS as readonly string[]).includes(text)) {
    throw new ServesimError(`--seed-allocation: expected ${SEED_ALLOCATIONS.join(' or ')}, got "${text.slice(0, 40)}"`);
  }
  return text as SeedAllocation;
}

/** The summary line of a raced run (undefined for a run that evaluated every point on every seed). */
export function racingSummaryLine(result: OptimizeResult): string | undefined {
  if (!('points_dropped' in result)) return undefined;
  const r = result as RacingResult;
  return (
    `seed racing: ${r.simulations_total} simulations, ${r.trace.length} points proposed, ${r.points_full} on every seed, ` +
    `${r.points_dropped} dropped early (their scores in the trace are estimates)`
  );
}

/**
 * A point is promoted to its next seed while the probability that its all-seed score beats the incumbent, under a
 * normal error with the measured spread, is at least 10 % (z = 1.2816): keeping a point that cannot win costs one
 * simulation, dropping one that would have won costs the run's result.
 */
export const PROMOTION_Z = 1.2816;
/** Fully evaluated points needed before offsets are trusted; before that every point goes to every seed. */
const MIN_CALIBRATION_POINTS = 6;

export interface RacingTracePoint extends TracePoint {
  /** Seeds this point was simulated on (all of them when promoted to the end). */
  seeds_evaluated: number[];
  /** True when `score` is the offset-corrected estimate from a subset of seeds (a dropped point). */
  estimated: boolean;
}

export interface RacingResult extends OptimizeResult {
  trace: RacingTracePoint[];
  /** Simulations the run used (evaluations read back from the store count too): at most n-calls × seeds. */
  simulations_total: number;
  /** Points evaluated on every seed / dropped early. */
  points_full: number;
  points_dropped: number;
}

interface FullPoint {
  score: number;
  /** Its evaluations in settings.seeds order (subset scores are recomputed from their metrics). */
  evaluations: SeedEvaluation[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Score of a point from some of its seeds only, with the strategy's own rule (objective + penalties). */
function subsetScore(objective: Objective, constraints: readonly Constraint[], mode: PenaltyMode, evaluations: readonly SeedEvaluation[]): number {
  return scorePoint(objective, constraints, mode, evaluations).score;
}

/**
 * What a subset of seeds says about the all-seed score, learnt from the fully evaluated points: the offset to remove
 * and the spread left. Uses the better half of the points (at least MIN_CALIBRATION_POINTS) because the decision
 * that matters is near the incumbent.
 */
export function subsetCalibration(points: readonly FullPoint[], subsetScoreOf: (p: FullPoint) => number): { offset: number; spread: number } {
  const ranked = [...points].sort((a, b) => a.score - b.score);
  const good = ranked.slice(0, Math.max(MIN_CALIBRATION_POINTS, Math.ceil(ranked.length / 2)));
  const differences = good.map((p) => subsetScoreOf(p) - p.score);
  const offset = median(differences);
  // 1.4826 × MAD estimates a normal σ and ignores a few odd points.
  const spread = 1.4826 * median(differences.map((d) => Math.abs(d - offset)));
  return { offset, spread };
}

/** Knobs for experiments (bench/iter8.mjs); `optimize` uses the defaults. */
export interface RacingTuning {
  /** Promotion threshold in spreads above the incumbent. Default PROMOTION_Z. */
  promotionZ?: number;
}

export async function optimizeWithSeedRacing(
  strategy: Strategy,
  settings: OptimizeSettings,
  deps: OptimizeDependencies,
  objective: Objective,
  tuning: RacingTuning = {},
): Promise<RacingResult> {
  const promotionZ = tuning.promotionZ ?? PROMOTION_Z;
  const started = performance.now();
  const seeds = settings.seeds;
  const budget = settings.nCalls * seeds.length;
  const space = searchSpaceOf(strategy);
  const given = initialPointsOf(strategy);
  const optimizer = deps.createOptimizer(space, settings, { nGiven: given.length });
  const { store, evaluator } = deps;
  const simulatedBefore = evaluator.simulated;
  const reusedBefore = evaluator.reused;
  const score = (evaluations: readonly SeedEvaluation[]) => subsetScore(objective, strategy.constraints, strategy.penalties, evaluations);

  const runKey = store ? runKeyOf(strategy, settings) : '';
  let runId: number | null = null;
  let storedCalls = 0;
  if (store) {
    const record = { ...settings, strategy, workload_sha256: workloadDigest(strategy) } satisfies RunSettingsRecord;
    const previous = deps.resume ? store.findUnfinishedRun(runKey) : undefined;
    if (previous) {
      runId = previous.id;
      store.setRunSettings(previous.id, record);
      storedCalls = store.observations(previous.id).length;
      deps.log?.(`resuming run ${previous.id} of ${strategy.name}: ${storedCalls} call(s) already done (seed racing re-runs them from the store)`);
    } else {
      if (deps.resume) deps.log?.(`no unfinished run of ${strategy.name} with these settings; starting a new one`);
      runId = store.createRun(strategy.name, runKey, record).id;
    }
  }

  const toParams = (x: Point): ParamValues => paramsOfPoint(strategy, x);
  const toPoint = (params: ParamValues): Point => pointOfParams(strategy, params);

  const trace: RacingTracePoint[] = [];
  const full: FullPoint[] = [];
  let best = { score: Infinity, call: -1, params: {} as ParamValues };
  let used = 0;
  let dropped = 0;
  let call = 0;

  const record = async (params: ParamValues, evaluations: SeedEvaluation[], told: number, estimated: boolean) => {
    if (!estimated && told < best.score) best = { score: told, call: call + 1, params };
    // A resumed run re-derives its first calls from the store; they are already recorded.
    if (call >= storedCalls) {
      store?.addObservation(runId!, { callIndex: call, params, score: told, meanMetrics: meanMetrics(evaluations.map((e) => e.metrics)) });
    }
    await optimizer.tell(toPoint(params), told);
    trace.push({ call: call + 1, params, score: told, best_so_far: best.score, seeds_evaluated: evaluations.map((e) => e.seed), estimated });
    // Progress in call-equivalents (simulations ÷ seeds), so a bar sized for n-calls ends full.
    deps.onCall?.({ done: Math.floor(used / seeds.length), total: settings.nCalls, score: told, best: best.score, replayed: call < storedCalls });
    call++;
  };
  const recordFull = async (params: ParamValues, evaluations: SeedEvaluation[]) => {
    const total = score(evaluations);
    full.push({ score: total, evaluations });
    await record(params, evaluations, total, false);
  };

  try {
    // The design (initial_points, then the optimiser's space-filling points) on every seed: it calibrates the offsets.
    const designEnd = given.length + settings.nInitial;
    while (call < designEnd && used + seeds.length <= budget) {
      const batch =
        call < given.length ? given.slice(call) : (await optimizer.ask(designEnd - call)).map(toParams);
      const affordable = batch.slice(0, Math.floor((budget - used) / seeds.length));
      const pending = affordable.map((params) => evaluator.evaluatePoint(strategy, params, seeds));
      for (const p of pending) p.catch(() => undefined);
      for (const [i, params] of affordable.entries()) {
        const evaluations = await pending[i]!;
        used += seeds.length;
        await recordFull(params, evaluations);
      }
    }

    // Racing: one proposal at a time, seed by seed, while a full evaluation still fits in the budget.
    while (used + seeds.length <= budget) {
      const [x] = await optimizer.ask(1);
      const params = toParams(x!);
      const calibrated = full.length >= MIN_CALIBRATION_POINTS;
      // Seeds in the order that predicts the all-seed score best (smallest spread first), ties by seed order.
      const order = calibrated
        ? seeds
            .map((seed, i) => ({ seed, i, spread: subsetCalibration(full, (p) => score([p.evaluations[i]!])).spread }))
            .sort((a, b) => a.spread - b.spread || a.i - b.i)
        : seeds.map((seed, i) => ({ seed, i, spread: 0 }));
      const evaluations: SeedEvaluation[] = [];
      let droppedAt: number | undefined;
      for (let k = 0; k < order.length; k++) {
        evaluations.push(await evaluator.evaluateSeed(strategy, params, order[k]!.seed));
        used++;
        if (!calibrated || k === order.length - 1) continue;
        const indices = order.slice(0, k + 1).map((o) => o.i);
        // The subset's score of each full point, with the strategy's own rule on those seeds' metrics.
        const { offset, spread } = subsetCalibration(full, (p) => score(indices.map((i) => p.evaluations[i]!)));
        const estimate = score(evaluations) - offset;
        if (estimate > best.score + promotionZ * spread) {
          droppedAt = estimate;
          break;
        }
      }
      if (droppedAt !== undefined) {
        dropped++;
        await record(params, evaluations, droppedAt, true);
      } else {
        const inSeedOrder = seeds.map((seed) => evaluations.find((e) => e.seed === seed)!);
        await recordFull(params, inSeedOrder);
      }
    }
  } catch (err) {
    if (store && runId !== null) store.setRunStatus(runId, 'failed');
    throw err;
  }
  if (best.call < 0) throw new ServesimError(`--n-calls: ${settings.nCalls} calls cannot evaluate one point on all ${seeds.length} seeds`);

  const bestSummary = await bestPointSummary(strategy, seeds, objective, best, evaluator);
  const result: RacingResult = {
    strategy: strategy.name,
    run_id: runId,
    settings,
    ...bestSummary,
    trace,
    simulations_run: evaluator.simulated - simulatedBefore,
    evaluations_reused: evaluator.reused - reusedBefore,
    simulations_total: used,
    points_full: full.length,
    points_dropped: dropped,
    wall_time_s: (performance.now() - started) / 1000,
  };
  if (store && runId !== null) store.setRunStatus(runId, 'done', { best_params: best.params, best_score: best.score });
  return result;
}
