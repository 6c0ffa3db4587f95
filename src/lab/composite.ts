// The lab's side of composite BO (src/optimize/composite.ts), `surrogate: composite` in a strategy: the outputs are
// the objective metric and the constraint metrics averaged over the seeds, and the known score function is the
// strategy's own on-means scoring (objective + Σ weight × hinge on the means).
import { ServesimError } from '../errors.js';
import { CompositeOptimizer, type CompositeOptimizerOptions } from '../optimize/composite.js';
import type { Point } from '../optimize/space.js';
import type { MetricValues } from './metrics.js';
import { constraintViolation } from './objective.js';
import { gpOptimizerFactory, type MetricAwareOptimizer, type OptimizerFactory } from './optimizers.js';
import type { Strategy } from './strategy.js';

export type Surrogate = 'gp' | 'composite';
export const SURROGATES: readonly Surrogate[] = ['gp', 'composite'];

export function surrogateOption(text: string): Surrogate {
  if (!(SURROGATES as readonly string[]).includes(text)) {
    throw new ServesimError(`--surrogate: expected ${SURROGATES.join(' or ')}, got "${text.slice(0, 40)}"`);
  }
  return text as Surrogate;
}

/** The optimiser `optimize` uses for a strategy: its `surrogate` (default gp, today's optimiser). */
export function optimizerFactoryFor(strategy: Strategy): OptimizerFactory {
  return strategy.surrogate === 'composite' ? compositeOptimizerFactory(strategy) : gpOptimizerFactory;
}

/** `tuning`: the composite optimiser's knobs for experiments (bench/iter8.mjs); `optimize` uses the defaults. */
export function compositeOptimizerFactory(strategy: Strategy, tuning: Pick<CompositeOptimizerOptions, 'nCandidates' | 'nSamples'> = {}): OptimizerFactory {
  const objective = strategy.objective;
  if (!objective) throw new ServesimError(`strategy ${strategy.file}: objective: required for optimize`);
  if (strategy.penalties !== 'on_means' && strategy.constraints.length > 0) {
    throw new ServesimError(
      `strategy ${strategy.file}: surrogate: composite models the mean metrics, so its constraints need penalties: on_means, got per_seed`,
    );
  }
  if (strategy.seedAllocation === 'racing') {
    throw new ServesimError(`strategy ${strategy.file}: surrogate: composite needs every point on every seed; use seed_allocation: all`);
  }
  const metrics = [objective.metric, ...strategy.constraints.map((c) => c.metric)];
  const constraints = strategy.constraints;
  const sign = objective.direction === 'minimize' ? 1 : -1;
  // scoreSeed's arithmetic in the same order (bit-identical), without building a metrics record: this runs for every
  // Monte-Carlo sample of every candidate (≈ 500 000 times per proposal).
  const score = (outputs: readonly number[]) => {
    let penalty = 0;
    for (let i = 0; i < constraints.length; i++) penalty += constraints[i]!.weight * constraintViolation(constraints[i]!, outputs[i + 1]!);
    return sign * outputs[0]! + penalty;
  };
  return (space, settings, context) => {
    const inner = new CompositeOptimizer(
      space,
      { ...tuning, nInitial: settings.nInitial, nGiven: context?.nGiven ?? 0, randomState: settings.randomState },
      score,
    );
    return {
      ask: (count: number) => inner.ask(count),
      tell: () => {
        throw new Error('the composite optimiser learns from metrics: tell it through tellMetrics');
      },
      tellMetrics: (x: Point, told: number, meanMetrics: MetricValues) => inner.tell(x, told, metrics.map((m) => meanMetrics[m]!)),
    } satisfies MetricAwareOptimizer;
  };
}
