// Evaluating a strategy on several seeds where a seed may fail (a reference-crash condition, a bad combination of
// flags at one grid point) without the others being lost: the ledger records such seeds in its rows.
import { ServesimError } from '../errors.js';
import { strategyDirectory, type SeedEvaluation, type StrategyEvaluator } from './evaluate.js';
import type { MetricValues } from './metrics.js';
import { defaultParameterValues, type Strategy } from './strategy.js';

export interface SeedFailure {
  seed: number;
  error: string;
}

/** What one strategy's evaluations gave: metrics for the seeds that ran (in seed order), errors for those that failed. */
export interface SeedOutcomes {
  seeds: number[];
  metrics: MetricValues[];
  failures: SeedFailure[];
  /**
   * The `run` argv of each seed that ran (parallel to `seeds`) and the directory its relative paths resolve against;
   * absent in outcomes built from metrics alone (tests).
   */
  argv?: string[][];
  cwd?: string;
}

/**
 * Evaluates `strategy` at its default parameters on every seed. A user-facing error (ServesimError) fails only its
 * seed; anything else (a bug, a dead worker) is rethrown.
 */
export async function settleSeeds(evaluator: StrategyEvaluator, strategy: Strategy, seeds: readonly number[]): Promise<SeedOutcomes> {
  const params = defaultParameterValues(strategy);
  const settled = await Promise.allSettled(seeds.map((seed) => evaluator.evaluateSeed(strategy, params, seed)));
  const outcome: SeedOutcomes = { seeds: [], metrics: [], failures: [], argv: [], cwd: strategyDirectory(strategy) };
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      outcome.seeds.push(seeds[i]!);
      outcome.metrics.push(result.value.metrics);
      outcome.argv!.push(result.value.argv);
    } else if (result.reason instanceof ServesimError) {
      outcome.failures.push({ seed: seeds[i]!, error: result.reason.message });
    } else {
      throw result.reason;
    }
  });
  return outcome;
}

/** Outcomes of a strategy whose every seed ran (`evaluations` in the order of `seeds`). */
export function completeOutcomes(strategy: Pick<Strategy, 'file'>, seeds: readonly number[], evaluations: readonly SeedEvaluation[]): SeedOutcomes {
  return { seeds: [...seeds], metrics: evaluations.map((e) => e.metrics), failures: [], argv: evaluations.map((e) => e.argv), cwd: strategyDirectory(strategy) };
}

/** Metrics of `outcome` on `seeds` (each must be among the outcome's seeds), in that order. */
export function metricsOnSeeds(outcome: SeedOutcomes, seeds: readonly number[]): MetricValues[] {
  return seeds.map((seed) => outcome.metrics[outcome.seeds.indexOf(seed)]!);
}

/** The seeds every outcome ran, in the order of the first. */
export function commonSeeds(outcomes: readonly SeedOutcomes[]): number[] {
  if (outcomes.length === 0) return [];
  return outcomes[0]!.seeds.filter((seed) => outcomes.every((o) => o.seeds.includes(seed)));
}
