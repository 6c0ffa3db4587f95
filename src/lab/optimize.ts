// `optimize`: Bayesian optimisation of a strategy's parameters, every call averaged over the same seeds.
//
// Determinism: the proposals depend only on the random state and the scores told, never on --jobs or on the order in
// which evaluations finish. A strategy's `initial_points` come first (calls 1…k, evaluated concurrently); the
// initial space-filling points do not depend on any score either, so they are asked as one batch (its size is
// n-initial minus the design calls already done, independent of --jobs) and evaluated concurrently; after that the
// loop is strictly sequential (ask → evaluate all seeds concurrently → tell). Observations are told and stored in
// call order.
//
// Calls are numbered from 1 wherever a user sees them (summary, --output's best_call and trace, `trials --run`,
// `export --call`); the store keeps the 0-based index (observations.call_index = call − 1).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ServesimError } from '../errors.js';
import { Optimizer } from '../optimize/optimizer.js';
import type { Dimension, Point } from '../optimize/space.js';
import type { StrategyEvaluator } from './evaluate.js';
import { meanMetrics, scorePoint, type SeedScore } from './objective.js';
import type { MetricValues } from './metrics.js';
import { buildRunArgv, formatArgv, normalizeParamValue, parameterArgs, paramsOfPoint, pointOfParams } from './runargs.js';
import { optimizeWithSeedRacing } from './seed-racing.js';
import { tellObservation } from './composite.js';
import type { TrialStore } from './store.js';
import type { Objective, ParamValues, Strategy } from './strategy.js';

export interface OptimizeSettings {
  seeds: number[];
  nCalls: number;
  nInitial: number;
  randomState: number;
}

/** The slice of an ask/tell optimiser the lab needs (src/optimize's Optimizer satisfies it). */
export interface AskTellOptimizer {
  /** `count` points; each depends only on the observations told so far and its position in the batch. */
  ask(count: number): Point[] | Promise<Point[]>;
  tell(x: Point, y: number): void | Promise<void>;
}

/** The project's GP optimiser (src/optimize) with gp_minimize's defaults. */
export const gpOptimizerFactory: OptimizerFactory = (space, settings, context) =>
  new Optimizer(space, { nInitial: settings.nInitial, nGiven: context?.nGiven ?? 0, randomState: settings.randomState });

/** `nGiven`: points told before the first ask (the strategy's initial_points). */
export type OptimizerFactory = (space: Dimension[], settings: OptimizeSettings, context?: { nGiven: number }) => AskTellOptimizer;

export interface CallProgress {
  /** 1-based number of calls done. */
  done: number;
  total: number;
  score: number;
  best: number;
  /** True when the call was replayed from the store on --resume. */
  replayed: boolean;
}

export interface OptimizeDependencies {
  evaluator: StrategyEvaluator;
  createOptimizer: OptimizerFactory;
  store?: TrialStore;
  /** Continue the latest unfinished run with the same strategy and settings. */
  resume?: boolean;
  onCall?: (progress: CallProgress) => void;
  /** Messages for the user (stderr in the CLI). */
  log?: (message: string) => void;
}

export interface TracePoint {
  /** Call number, from 1. */
  call: number;
  params: ParamValues;
  score: number;
  best_so_far: number;
}

export interface OptimizeResult {
  strategy: string;
  run_id: number | null;
  settings: OptimizeSettings;
  objective: Objective;
  best_params: ParamValues;
  best_score: number;
  /** Call number (from 1, as the summary, `trials --run` and `export --call` number calls) of the best point. */
  best_call: number;
  best_per_seed: SeedScore[];
  best_mean_metrics: MetricValues;
  /** Flags of the best point (fixed + searched + derived), without --workload-spec and --seed. */
  best_args: string[];
  /** A full `servesim run` command for the best point on the first seed. */
  best_command: string;
  trace: TracePoint[];
  simulations_run: number;
  evaluations_reused: number;
  wall_time_s: number;
}

/** The strategy's parameters as optimiser dimensions (names are the parameter names). */
export function searchSpaceOf(strategy: Strategy): Dimension[] {
  return strategy.parameters.map((p): Dimension => {
    if (p.type === 'categorical') return { kind: 'categorical', name: p.name, categories: p.categories };
    return { kind: p.type, name: p.name, low: p.low, high: p.high, prior: p.prior };
  });
}

export function validateSettings(strategy: Strategy, settings: OptimizeSettings): Objective {
  if (!strategy.objective) throw new ServesimError(`strategy ${strategy.file}: objective: required for optimize`);
  if (strategy.parameters.length === 0) {
    throw new ServesimError(`strategy ${strategy.file}: parameters: optimize needs at least one parameter to search`);
  }
  if (!Number.isInteger(settings.nCalls) || settings.nCalls < 1) {
    throw new ServesimError(`--n-calls: expected an integer >= 1, got ${settings.nCalls}`);
  }
  if (!Number.isInteger(settings.nInitial) || settings.nInitial < 1 || settings.nInitial > settings.nCalls) {
    throw new ServesimError(`--n-initial: expected an integer in [1, --n-calls=${settings.nCalls}], got ${settings.nInitial}`);
  }
  if (!Number.isSafeInteger(settings.randomState)) {
    throw new ServesimError(`--random-state: expected an integer, got ${settings.randomState}`);
  }
  if (settings.seeds.length === 0) throw new ServesimError('--seeds: at least one seed is needed');
  const given = strategy.initialPoints?.length ?? 0;
  if (given + settings.nInitial > settings.nCalls) {
    throw new ServesimError(
      `--n-calls: expected at least ${given + settings.nInitial} (${given} initial_points of ${strategy.name} + --n-initial ${settings.nInitial}), got ${settings.nCalls}`,
    );
  }
  return strategy.objective;
}

/** What an optimisation run records as its settings in the store: enough to list it and to export any of its calls. */
export interface RunSettingsRecord extends OptimizeSettings {
  /** The strategy as optimised (after extends and --set), paths absolute; absent in stores written before it was kept. */
  strategy?: Strategy;
  /** sha256 of the workload file's content when the run started. */
  workload_sha256?: string;
}

export function workloadDigest(strategy: Strategy): string {
  return createHash('sha256').update(readFileSync(strategy.workloadSpec)).digest('hex');
}

/** The strategy's initial points, restricted to and normalised for its parameters. */
export function initialPointsOf(strategy: Strategy): ParamValues[] {
  return (strategy.initialPoints ?? []).map((point) => {
    const params: ParamValues = {};
    for (const p of strategy.parameters) params[p.name] = normalizeParamValue(p, point[p.name]!);
    return params;
  });
}

/**
 * Identity of an optimisation for --resume: the strategy's effective content (including the workload file's bytes)
 * and every setting that changes the proposals. --n-calls is left out so a finished or killed run can be extended.
 */
export function runKeyOf(strategy: Strategy, settings: OptimizeSettings): string {
  const { file: _file, ...content } = strategy;
  const workload = workloadDigest(strategy);
  return createHash('sha256')
    .update(JSON.stringify({ content, workload, seeds: settings.seeds, nInitial: settings.nInitial, randomState: settings.randomState }))
    .digest('hex');
}

export async function optimizeStrategy(
  strategy: Strategy,
  settings: OptimizeSettings,
  deps: OptimizeDependencies,
): Promise<OptimizeResult> {
  const started = performance.now();
  const objective = validateSettings(strategy, settings);
  if (strategy.seedAllocation === 'racing') return optimizeWithSeedRacing(strategy, settings, deps, objective);
  const space = searchSpaceOf(strategy);
  const given = initialPointsOf(strategy);
  const optimizer = deps.createOptimizer(space, settings, { nGiven: given.length });
  const { store, evaluator } = deps;
  const simulatedBefore = evaluator.simulated;
  const reusedBefore = evaluator.reused;

  const runKey = store ? runKeyOf(strategy, settings) : '';
  let runId: number | null = null;
  let replay: Array<{ params: ParamValues; score: number; meanMetrics: MetricValues }> = [];
  if (store) {
    const previous = deps.resume ? store.findUnfinishedRun(runKey) : undefined;
    if (previous) {
      runId = previous.id;
      // Same strategy and proposals (same run key); --n-calls may have grown, and older stores lack the strategy.
      store.setRunSettings(previous.id, { ...settings, strategy, workload_sha256: workloadDigest(strategy) } satisfies RunSettingsRecord);
      replay = store.observations(previous.id).map((o) => ({ params: o.params, score: o.score, meanMetrics: o.meanMetrics }));
      deps.log?.(`resuming run ${previous.id} of ${strategy.name}: ${replay.length} call(s) already done`);
    } else {
      if (deps.resume) deps.log?.(`no unfinished run of ${strategy.name} with these settings; starting a new one`);
      else if (store.findUnfinishedRun(runKey)) {
        deps.log?.(`an unfinished run of ${strategy.name} with these settings exists; --resume continues it (stored evaluations are reused either way)`);
      }
      runId = store.createRun(strategy.name, runKey, { ...settings, strategy, workload_sha256: workloadDigest(strategy) } satisfies RunSettingsRecord).id;
    }
  }

  const toParams = (x: Point): ParamValues => paramsOfPoint(strategy, x);
  const toPoint = (params: ParamValues): Point => pointOfParams(strategy, params);

  const trace: TracePoint[] = [];
  let best = { score: Infinity, call: -1, params: {} as ParamValues };
  // `call` is the 0-based index here; users see call + 1.
  const record = (call: number, params: ParamValues, score: number, replayed: boolean) => {
    if (score < best.score) best = { score, call: call + 1, params };
    trace.push({ call: call + 1, params, score, best_so_far: best.score });
    deps.onCall?.({ done: call + 1, total: settings.nCalls, score, best: best.score, replayed });
  };

  try {
    // Re-tell what a killed run already learnt. The optimiser's proposals depend only on the observations told so
    // far, so the continuation is the same as if the run had never stopped.
    const replayCount = Math.min(replay.length, settings.nCalls);
    for (let call = 0; call < replayCount; call++) {
      const { params, score, meanMetrics: means } = replay[call]!;
      await tellObservation(optimizer, toPoint(params), score, means);
      record(call, params, score, true);
    }
    let call = replayCount;
    const designEnd = Math.min(given.length + settings.nInitial, settings.nCalls);
    while (call < settings.nCalls) {
      const initialLeft = designEnd - call;
      // The strategy's initial points first (none of them depends on a score), then the optimiser's.
      const batch =
        call < given.length
          ? given.slice(call, Math.min(given.length, settings.nCalls))
          : (await optimizer.ask(initialLeft > 0 ? initialLeft : 1)).map(toParams);
      // Every seed of every point of the batch goes to the pool at once; results are consumed in call order.
      const pending = batch.map((params) => evaluator.evaluatePoint(strategy, params, settings.seeds));
      // A failure is reported when its call's turn comes; until then it must not count as unhandled.
      for (const p of pending) p.catch(() => undefined);
      for (const [i, params] of batch.entries()) {
        const evaluations = await pending[i]!;
        const { score } = scorePoint(objective, strategy.constraints, strategy.penalties, evaluations);
        const means = meanMetrics(evaluations.map((e) => e.metrics));
        store?.addObservation(runId!, { callIndex: call, params, score, meanMetrics: means });
        await tellObservation(optimizer, toPoint(params), score, means);
        record(call, params, score, false);
        call++;
      }
    }
  } catch (err) {
    if (store && runId !== null) store.setRunStatus(runId, 'failed');
    throw err;
  }

  // The best point's per-seed details: all its evaluations are in the store or were just run, so this is cheap.
  const bestEvaluations = await evaluator.evaluatePoint(strategy, best.params, settings.seeds);
  const bestPerSeed = scorePoint(objective, strategy.constraints, strategy.penalties, bestEvaluations).perSeed;
  const bestArgs = [...strategy.fixedArgs, ...parameterArgs(strategy, best.params)];
  const result: OptimizeResult = {
    strategy: strategy.name,
    run_id: runId,
    settings,
    objective,
    best_params: best.params,
    best_score: best.score,
    best_call: best.call,
    best_per_seed: bestPerSeed,
    best_mean_metrics: meanMetrics(bestEvaluations.map((e) => e.metrics)),
    best_args: bestArgs,
    best_command: `servesim run ${formatArgv(buildRunArgv(strategy, best.params, settings.seeds[0]!))}`,
    trace,
    simulations_run: evaluator.simulated - simulatedBefore,
    evaluations_reused: evaluator.reused - reusedBefore,
    wall_time_s: (performance.now() - started) / 1000,
  };
  if (store && runId !== null) store.setRunStatus(runId, 'done', { best_params: best.params, best_score: best.score });
  return result;
}
