// The optimisers `optimize` drives, behind the slices of the ask/tell interface the lab needs: a scalar one (the GP
// optimiser, or the composite surrogate that also learns from each call's mean metrics) and a vector one
// (multi-objective and constrained, src/optimize/pareto-optimizer.ts).
import { Optimizer } from '../optimize/optimizer.js';
import { ParetoOptimizer } from '../optimize/pareto-optimizer.js';
import type { Dimension, Point } from '../optimize/space.js';
import type { MetricValues } from './metrics.js';

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

/** The vector counterpart: minimised objectives and constraint values (feasible iff all ≤ 0) per observation. */
export interface VectorAskTellOptimizer {
  ask(count: number): Point[] | Promise<Point[]>;
  /** `means`: the call's mean metrics, for optimisers that model them (`surrogate: composite`). */
  tell(x: Point, objectives: number[], constraints: number[], means?: MetricValues): void | Promise<void>;
}

export type VectorOptimizerFactory = (
  space: Dimension[],
  settings: OptimizeSettings,
  context: { nGiven: number; nObjectives: number; nConstraints: number; referencePoint?: number[] },
) => VectorAskTellOptimizer;

/** The project's multi-objective GP optimiser (EHVI × probability of feasibility, src/optimize/pareto-optimizer.ts). */
export const paretoOptimizerFactory: VectorOptimizerFactory = (space, settings, context) =>
  new ParetoOptimizer(space, context.nObjectives, {
    nInitial: settings.nInitial,
    nGiven: context.nGiven,
    randomState: settings.randomState,
    nConstraints: context.nConstraints,
    ...(context.referencePoint ? { referencePoint: context.referencePoint } : {}),
  });

/** An ask/tell optimiser that also learns from the mean metrics behind each score. */
export interface MetricAwareOptimizer extends AskTellOptimizer {
  tellMetrics(x: Point, score: number, meanMetrics: MetricValues): void;
}

/** Tells an observation, with its mean metrics to an optimiser that models them. */
export async function tellObservation(optimizer: AskTellOptimizer, x: Point, score: number, meanMetrics: MetricValues): Promise<void> {
  const aware = optimizer as Partial<MetricAwareOptimizer>;
  if (typeof aware.tellMetrics === 'function') aware.tellMetrics(x, score, meanMetrics);
  else await optimizer.tell(x, score);
}
