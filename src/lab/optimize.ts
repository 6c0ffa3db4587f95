// `optimize`: Bayesian optimisation of a strategy's parameters, every call averaged over the same seeds.
//
// Determinism: the proposals depend only on the random state and the scores told, never on --jobs or on the order in
// which evaluations finish. A strategy's `initial_points` come first (calls 1…k, evaluated concurrently); the
// initial space-filling points do not depend on any score either, so they are asked as one batch (its size is
// n-initial minus the design calls already done, independent of --jobs) and evaluated concurrently; after that the
// loop is strictly sequential (ask → evaluate all seeds concurrently → tell). Observations are told and stored in
// call order.
//
// Several objectives, or hard constraints (`requirements`), make the run multi-objective: each call tells the
// ParetoOptimizer the vector of objective means over the tuning seeds (maximised ones negated) and the scaled mean
// per-seed slack of every constraint (relative-constraints.ts); the strategies the constraints compare with are
// evaluated once per tuning seed before the first call (through the same evaluator and store). The same determinism
// holds: told vectors depend only on the stored evaluations, and are stored with the observation so --resume re-tells
// exactly what a killed run told. One objective without hard constraints is the scalar path above, unchanged.
//
// Calls are numbered from 1 wherever a user sees them (summary, --output's best_call and trace, `trials --run`,
// `export --call`); the store keeps the 0-based index (observations.call_index = call − 1).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ServesimError } from '../errors.js';
import type { Dimension, Point } from '../optimize/space.js';
import type { SeedEvaluation, StrategyEvaluator } from './evaluate.js';
import { meanMetrics, metricValue, scorePoint, type SeedScore } from './objective.js';
import { evaluateRequirement, requirementTargets } from './relative-constraints.js';
import { buildFront, hypervolumeTracker, type FrontPoint, type HypervolumeSettings } from './pareto.js';
import type { MetricValues } from './metrics.js';
import { buildRunArgv, formatArgv, normalizeParamValue, parameterArgs, paramsOfPoint, pointOfParams } from './runargs.js';
import { tellObservation, type AskTellOptimizer, type OptimizeSettings, type VectorAskTellOptimizer, type VectorOptimizerFactory, type OptimizerFactory } from './optimizers.js';
import type { TrialStore } from './store.js';
import { defaultParameterValues, type Objective, type ParamValues, type Strategy } from './strategy.js';

export {
  gpOptimizerFactory,
  paretoOptimizerFactory,
  tellObservation,
  type AskTellOptimizer,
  type MetricAwareOptimizer,
  type OptimizerFactory,
  type OptimizeSettings,
  type VectorAskTellOptimizer,
  type VectorOptimizerFactory,
} from './optimizers.js';

/** Whether `optimize` searches a front (or models constraints) rather than minimising one score. */
export function isVectorRun(strategy: Strategy): boolean {
  return (strategy.objectives?.length ?? 1) > 1 || (strategy.requirements?.length ?? 0) > 0;
}

/** The objectives a run reports: `objectives:`, or the single `objective:`. */
export function objectivesOf(strategy: Strategy): Objective[] {
  return strategy.objectives ?? (strategy.objective ? [strategy.objective] : []);
}

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
  /** For multi-objective or constrained strategies (isVectorRun). */
  createVectorOptimizer?: VectorOptimizerFactory;
  /** The strategies hard constraints compare with and the hypervolume's references, by absolute file. */
  strategies?: ReadonlyMap<string, Strategy>;
  /** Reference strategy files of the hypervolume (pareto.ts: the first normalises; default: call 1's means). */
  hypervolumeReferences?: readonly string[];
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
  /** Vector runs: each objective's mean over the tuning seeds, natural sign. */
  objectives?: number[];
  /** Vector runs: each hard constraint's scaled mean slack (≤ 0 satisfied). */
  constraints?: number[];
  feasible?: boolean;
  /** Vector runs: hypervolume of the feasible front after this call (normalised space, see hypervolume). */
  hypervolume?: number;
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
  /** Vector runs: the objectives, hard constraints, front and hypervolume settings. */
  objectives?: Objective[];
  requirements?: string[];
  front?: FrontPoint[];
  hypervolume?: HypervolumeSettings;
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
  if (!strategy.objective) throw new ServesimError(`strategy ${strategy.file}: objective: required for optimize (or objectives:)`);
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
  /** The strategies that steer its proposals — constraint targets and, with several objectives, the references
   * fixing the acquisition's reference point (part of the run key); absent when there are none. */
  related_strategies?: Strategy[];
}

function runSettingsRecord(strategy: Strategy, settings: OptimizeSettings, related: readonly Strategy[]): RunSettingsRecord {
  return { ...settings, strategy, workload_sha256: workloadDigest(strategy), ...(related.length > 0 ? { related_strategies: [...related] } : {}) };
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
 * `related`: the strategies that steer the proposals (constraint targets, reference-point references) — their
 * content changes what the optimiser is told (absent from the key when there are none, so other runs keep theirs).
 */
export function runKeyOf(strategy: Strategy, settings: OptimizeSettings, related: readonly Strategy[] = []): string {
  const identity = (s: Strategy) => {
    const { file: _file, ...content } = s;
    return { content, workload: workloadDigest(s) };
  };
  const { content, workload } = identity(strategy);
  return createHash('sha256')
    .update(
      JSON.stringify({
        content,
        workload,
        seeds: settings.seeds,
        nInitial: settings.nInitial,
        randomState: settings.randomState,
        ...(related.length > 0 ? { related: related.map(identity) } : {}),
      }),
    )
    .digest('hex');
}

/** The strategies that steer the proposals (constraint targets, then `more`), loaded (deps.strategies), deduplicated. */
function relatedStrategies(strategy: Strategy, loaded: ReadonlyMap<string, Strategy> | undefined, more: readonly string[]): Strategy[] {
  return [...new Set([...requirementTargets(strategy.requirements ?? []), ...more])].map((file) => {
    const target = loaded?.get(file);
    if (!target) throw new Error(`optimize: strategy ${file} was not loaded`);
    return target;
  });
}

/** Every point on every seed; `optimizeStrategy` (optimize-strategy.ts) is the entry that also races seeds. */
export async function optimizeEverySeed(
  strategy: Strategy,
  settings: OptimizeSettings,
  deps: OptimizeDependencies,
): Promise<OptimizeResult> {
  const started = performance.now();
  const objective = validateSettings(strategy, settings);
  if (isVectorRun(strategy) && strategy.surrogate === 'composite') {
    throw new ServesimError(`strategy ${strategy.file}: surrogate: composite works on one scored objective; this strategy has several objectives or hard constraints`);
  }
  const space = searchSpaceOf(strategy);
  const given = initialPointsOf(strategy);
  const vector = isVectorRun(strategy);
  const objectives = objectivesOf(strategy);
  const requirements = strategy.requirements ?? [];
  if (vector && !deps.createVectorOptimizer) throw new Error('optimize: a multi-objective or constrained strategy needs createVectorOptimizer');
  const { store, evaluator } = deps;
  const simulatedBefore = evaluator.simulated;
  const reusedBefore = evaluator.reused;

  const hypervolumeReferences = vector ? (deps.hypervolumeReferences ?? []) : [];
  // With several objectives the references also fix the acquisition's reference point (below), so they steer the
  // proposals like the constraint targets do.
  const steeringReferences = objectives.length > 1 ? hypervolumeReferences : [];
  const related = relatedStrategies(strategy, deps.strategies, steeringReferences);
  const runKey = store ? runKeyOf(strategy, settings, related) : '';
  let runId: number | null = null;
  let replay: Array<{ params: ParamValues; score: number; outcome: CallOutcome; means: MetricValues }> = [];
  if (store) {
    const previous = deps.resume ? store.findUnfinishedRun(runKey) : undefined;
    if (previous) {
      runId = previous.id;
      // Same strategy and proposals (same run key); --n-calls may have grown, and older stores lack the strategy.
      store.setRunSettings(previous.id, runSettingsRecord(strategy, settings, related));
      replay = store.observations(previous.id).map((o) => ({
        params: o.params,
        score: o.score,
        outcome: storedOutcome(o, objectives, vector),
        means: o.meanMetrics,
      }));
      deps.log?.(`resuming run ${previous.id} of ${strategy.name}: ${replay.length} call(s) already done`);
    } else {
      if (deps.resume) deps.log?.(`no unfinished run of ${strategy.name} with these settings; starting a new one`);
      else if (store.findUnfinishedRun(runKey)) {
        deps.log?.(`an unfinished run of ${strategy.name} with these settings exists; --resume continues it (stored evaluations are reused either way)`);
      }
      runId = store.createRun(strategy.name, runKey, runSettingsRecord(strategy, settings, related)).id;
    }
  }

  const toParams = (x: Point): ParamValues => paramsOfPoint(strategy, x);
  const toPoint = (params: ParamValues): Point => pointOfParams(strategy, params);

  // The strategies hard constraints compare with (and the hypervolume's references), once per tuning seed, before
  // any call.
  const targetFiles = [...requirementTargets(requirements), ...hypervolumeReferences];
  const targetEvaluations = new Map<string, SeedEvaluation[]>();
  for (const file of new Set(targetFiles)) {
    const target = deps.strategies?.get(file);
    if (!target) throw new Error(`optimize: strategy ${file} was not loaded`);
    targetEvaluations.set(file, await evaluator.evaluatePoint(target, defaultParameterValues(target), settings.seeds));
  }

  /** What one call tells the optimiser, from its evaluations (deterministic: seed order, fixed summation order). */
  const assess = (evaluations: SeedEvaluation[]): { score: number; means: MetricValues; outcome: CallOutcome } => {
    const { score } = scorePoint(objective, strategy.constraints, strategy.penalties, evaluations);
    const means = meanMetrics(evaluations.map((e) => e.metrics));
    if (!vector) return { score, means, outcome: { objectives: [score], constraints: [] } };
    // Every objective must be defined on every seed (as the single objective is in scorePoint).
    for (const e of evaluations) for (const o of objectives) metricValue(e.metrics, o.metric, e.seed, 'objective');
    const constraints = requirements.map(
      (r) => evaluateRequirement(r, evaluations, r.target.kind === 'strategy' ? targetEvaluations.get(r.target.file) : undefined).scaledSlack,
    );
    return { score: vectorScore(objectives, means, score), means, outcome: { objectives: toldObjectives(objectives, means, score), constraints } };
  };

  const hypervolume = vector
    ? hypervolumeTracker(
        objectives,
        hypervolumeReferences.map((file) => ({ file, means: meanMetrics(targetEvaluations.get(file)!.map((e) => e.metrics)) })),
      )
    : undefined;
  // The acquisition's reference point (ParetoOptimizer's referencePoint, recommended with 4+ objectives): the
  // hypervolume's, in told units — the worst reference + 10 % of the first reference's value in every objective.
  const referencePoint = steeringReferences.length > 0 ? hypervolume!.toldReferencePoint() : undefined;
  const optimizer: VectorAskTellOptimizer = vector
    ? deps.createVectorOptimizer!(space, settings, {
        nGiven: given.length,
        // A single objective with hard constraints keeps its penalties in the one told value (its score).
        nObjectives: objectives.length,
        nConstraints: requirements.length,
        ...(referencePoint ? { referencePoint } : {}),
      })
    : scalarAsVector(deps.createOptimizer(space, settings, { nGiven: given.length }));
  const observed: Array<{ call: number; params: ParamValues; outcome: CallOutcome; means: MetricValues }> = [];

  const trace: TracePoint[] = [];
  let best = { score: Infinity, call: -1, params: {} as ParamValues, feasible: false };
  // `call` is the 0-based index here; users see call + 1.
  const record = (call: number, params: ParamValues, score: number, replayed: boolean, outcome: CallOutcome, means: MetricValues) => {
    const feasible = outcome.constraints.every((c) => c <= 0);
    // The best point: the lowest score among feasible calls (any call until one is feasible).
    if ((feasible && !best.feasible) || (feasible === best.feasible && score < best.score)) best = { score, call: call + 1, params, feasible };
    const point: TracePoint = { call: call + 1, params, score, best_so_far: best.score };
    if (vector) {
      observed.push({ call: call + 1, params, outcome, means });
      point.objectives = objectives.map((o) => means[o.metric]!);
      point.constraints = outcome.constraints;
      point.feasible = feasible;
      point.hypervolume = hypervolume!.add(means, feasible);
    }
    trace.push(point);
    deps.onCall?.({ done: call + 1, total: settings.nCalls, score, best: best.score, replayed });
  };

  try {
    // Re-tell what a killed run already learnt. The optimiser's proposals depend only on the observations told so
    // far, so the continuation is the same as if the run had never stopped.
    const replayCount = Math.min(replay.length, settings.nCalls);
    for (let call = 0; call < replayCount; call++) {
      const { params, score, outcome, means } = replay[call]!;
      await optimizer.tell(toPoint(params), outcome.objectives, outcome.constraints, means);
      record(call, params, score, true, outcome, means);
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
        const { score, means, outcome } = assess(evaluations);
        store?.addObservation(runId!, { callIndex: call, params, score, meanMetrics: means, ...(vector ? outcome : {}) });
        await optimizer.tell(toPoint(params), outcome.objectives, outcome.constraints, means);
        record(call, params, score, false, outcome, means);
        call++;
      }
    }
  } catch (err) {
    if (store && runId !== null) store.setRunStatus(runId, 'failed');
    throw err;
  }

  const bestSummary = await bestPointSummary(strategy, settings.seeds, objective, best, evaluator);
  const result: OptimizeResult = {
    strategy: strategy.name,
    run_id: runId,
    settings,
    ...bestSummary,
    trace,
    ...(vector
      ? {
          objectives,
          ...(requirements.length > 0 ? { requirements: requirements.map((r) => r.text) } : {}),
          front: await buildFront(observed, objectives, async (params) => {
            const evaluations = await evaluator.evaluatePoint(strategy, params, settings.seeds);
            return {
              perSeed: evaluations.map((e) => e.metrics),
              requirements: requirements.map((r) =>
                evaluateRequirement(r, evaluations, r.target.kind === 'strategy' ? targetEvaluations.get(r.target.file) : undefined),
              ),
              args: [...strategy.fixedArgs, ...parameterArgs(strategy, params)],
            };
          }),
          hypervolume: hypervolume!.settings(),
        }
      : {}),
    simulations_run: evaluator.simulated - simulatedBefore,
    evaluations_reused: evaluator.reused - reusedBefore,
    wall_time_s: (performance.now() - started) / 1000,
  };
  if (store && runId !== null) store.setRunStatus(runId, 'done', { best_params: best.params, best_score: best.score });
  return result;
}

/** What one call tells the optimiser: minimised objectives and constraint values (empty for scalar runs). */
interface CallOutcome {
  objectives: number[];
  constraints: number[];
}

/** A scalar optimiser behind the vector interface: it is told the one score. */
function scalarAsVector(optimizer: AskTellOptimizer): VectorAskTellOptimizer {
  return {
    ask: (count) => optimizer.ask(count),
    tell: (x, objectives, _constraints, means) => (means ? tellObservation(optimizer, x, objectives[0]!, means) : optimizer.tell(x, objectives[0]!)),
  };
}

/** Minimised objective values: means over the tuning seeds, maximised ones negated; one objective keeps its penalties. */
function toldObjectives(objectives: readonly Objective[], means: MetricValues, score: number): number[] {
  if (objectives.length === 1) return [score];
  return objectives.map((o) => (o.direction === 'minimize' ? means[o.metric]! : -means[o.metric]!));
}

/** The store's (and trace's) scalar for a vector call: the first objective, minimised (with penalties if single). */
function vectorScore(objectives: readonly Objective[], means: MetricValues, score: number): number {
  return toldObjectives(objectives, means, score)[0]!;
}

function storedOutcome(
  o: { callIndex: number; objectives?: number[]; constraints?: number[]; score: number },
  objectives: readonly Objective[],
  vector: boolean,
): CallOutcome {
  if (!vector) return { objectives: [o.score], constraints: [] };
  if (!o.objectives || o.objectives.length !== objectives.length) {
    throw new ServesimError(`--resume: stored call ${o.callIndex + 1} lacks its objective vector; start a new run without --resume`);
  }
  return { objectives: o.objectives, constraints: o.constraints ?? [] };
}

/**
 * The best point's part of a result: its per-seed scores and metrics (all its evaluations are in the store or were
 * just run, so this is cheap), its flags and a `servesim run` command for its first seed.
 */
export async function bestPointSummary(
  strategy: Strategy,
  seeds: readonly number[],
  objective: Objective,
  best: { params: ParamValues; score: number; call: number },
  evaluator: StrategyEvaluator,
): Promise<Pick<OptimizeResult, 'objective' | 'best_params' | 'best_score' | 'best_call' | 'best_per_seed' | 'best_mean_metrics' | 'best_args' | 'best_command'>> {
  const bestEvaluations = await evaluator.evaluatePoint(strategy, best.params, seeds);
  return {
    objective,
    best_params: best.params,
    best_score: best.score,
    best_call: best.call,
    best_per_seed: scorePoint(objective, strategy.constraints, strategy.penalties, bestEvaluations).perSeed,
    best_mean_metrics: meanMetrics(bestEvaluations.map((e) => e.metrics)),
    best_args: [...strategy.fixedArgs, ...parameterArgs(strategy, best.params)],
    best_command: `servesim run ${formatArgv(buildRunArgv(strategy, best.params, seeds[0]!))}`,
  };
}
