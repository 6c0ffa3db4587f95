// Evaluating strategy points: argv per seed → trial store lookup → (pool) simulation → store.
import { dirname } from 'node:path';
import { ServesimError } from '../errors.js';
import { SIMULATOR_VERSION } from '../version.js';
import type { MetricValues } from './metrics.js';
import type { EvalOutcome, EvaluationPool } from './pool.js';
import { buildRunArgv, configHash } from './runargs.js';
import type { TrialStore } from './store.js';
import type { ParamValues, Strategy } from './strategy.js';

export interface SeedEvaluation {
  seed: number;
  argv: string[];
  metrics: MetricValues;
  wallMs: number;
  /** Read back from the trial store (or shared with an identical evaluation in flight) instead of simulated. */
  cached: boolean;
}

export interface EvaluatorOptions {
  pool: EvaluationPool;
  store?: TrialStore;
  /** Overrides the simulator identity used as the store key (tests). */
  simVersion?: string;
  /** Called after every evaluation finishes or is read back, in completion order. */
  onEvaluation?: (evaluation: SeedEvaluation, strategy: Strategy) => void;
}

/** The directory a strategy's relative paths (fixed_args, workload_spec) resolve against. */
export function strategyDirectory(strategy: Pick<Strategy, 'file'>): string {
  return strategy.file === '' ? process.cwd() : dirname(strategy.file);
}

/**
 * Runs evaluations through a pool with the trial store in front. Relative paths in a strategy's fixed_args are
 * resolved against the strategy file's directory, like its workload_spec.
 */
export class StrategyEvaluator {
  readonly simVersion: string;
  /** Counts for reporting: simulations actually run vs. answered from the store or an identical in-flight task. */
  simulated = 0;
  reused = 0;
  private readonly inFlight = new Map<string, Promise<EvalOutcome>>();

  constructor(private readonly options: EvaluatorOptions) {
    this.simVersion = options.simVersion ?? SIMULATOR_VERSION;
  }

  /** Evaluates a point on every seed (concurrently, up to the pool's size); results come back in seed order. */
  evaluatePoint(strategy: Strategy, params: ParamValues, seeds: readonly number[]): Promise<SeedEvaluation[]> {
    return Promise.all(seeds.map((seed) => this.evaluateSeed(strategy, params, seed)));
  }

  async evaluateSeed(strategy: Strategy, params: ParamValues, seed: number): Promise<SeedEvaluation> {
    const argv = buildRunArgv(strategy, params, seed);
    const cwd = strategyDirectory(strategy);
    const hash = configHash(argv, cwd);
    const key = { configHash: hash, seed, simVersion: this.simVersion };
    const { store } = this.options;

    const stored = store?.getEvaluation(key);
    if (stored) return this.finish({ seed, argv, metrics: stored.metrics, wallMs: stored.wallMs, cached: true }, strategy);

    const flightKey = `${hash}/${seed}`;
    const running = this.inFlight.get(flightKey);
    if (running) {
      const outcome = await running;
      return this.finish({ seed, argv, metrics: outcome.metrics, wallMs: outcome.wallMs, cached: true }, strategy);
    }
    // Name the failing strategy and seed: a ledger or optimisation runs many of them.
    const task = this.options.pool.evaluate({ argv, cwd }).catch((err: unknown) => {
      if (err instanceof ServesimError) throw new ServesimError(`strategy ${strategy.name}, seed ${seed}: ${err.message}`, err.exitCode);
      throw err;
    });
    this.inFlight.set(flightKey, task);
    try {
      const outcome = await task;
      // Committed immediately (autocommit): a kill after this line loses nothing.
      store?.putEvaluation({
        ...key,
        strategy: strategy.name,
        params,
        argv,
        metrics: outcome.metrics,
        wallMs: outcome.wallMs,
        createdAt: new Date().toISOString(),
      });
      return this.finish({ seed, argv, metrics: outcome.metrics, wallMs: outcome.wallMs, cached: false }, strategy);
    } finally {
      this.inFlight.delete(flightKey);
    }
  }

  private finish(evaluation: SeedEvaluation, strategy: Strategy): SeedEvaluation {
    if (evaluation.cached) this.reused++;
    else this.simulated++;
    this.options.onEvaluation?.(evaluation, strategy);
    return evaluation;
  }
}
