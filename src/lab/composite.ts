// The lab's side of composite BO (src/optimize/composite.ts): a strategy's outputs are its objective metric and its
// constraint metrics, averaged over the seeds, and the known score function is the strategy's own on-means scoring.
import { ServesimError } from '../errors.js';
import { CompositeOptimizer } from '../optimize/composite.js';
import type { Point } from '../optimize/space.js';
import type { SeedEvaluation } from './evaluate.js';
import { meanMetrics, scoreSeed } from './objective.js';
import type { AskTellOptimizer, OptimizerFactory } from './optimize.js';
import type { Strategy } from './strategy.js';

/** An ask/tell optimiser that also wants the evaluations behind each score. */
export interface EvaluationAwareOptimizer extends AskTellOptimizer {
  tellEvaluations(x: Point, score: number, evaluations: readonly SeedEvaluation[]): void;
}

export function isEvaluationAware(optimizer: AskTellOptimizer): optimizer is EvaluationAwareOptimizer {
  return typeof (optimizer as Partial<EvaluationAwareOptimizer>).tellEvaluations === 'function';
}

export function compositeOptimizerFactory(strategy: Strategy): OptimizerFactory {
  const objective = strategy.objective;
  if (!objective) throw new ServesimError(`strategy ${strategy.file}: objective: required for optimize`);
  if (strategy.penalties !== 'on_means' && strategy.constraints.length > 0) {
    throw new ServesimError(`strategy ${strategy.file}: the composite model needs penalties: on_means (its score is a function of the mean metrics)`);
  }
  const metrics = [objective.metric, ...strategy.constraints.map((c) => c.metric)];
  const score = (outputs: readonly number[]) => {
    const values: Record<string, number> = {};
    metrics.forEach((m, i) => (values[m] = outputs[i]!));
    return scoreSeed(objective, strategy.constraints, values, NaN).score;
  };
  return (space, settings, context) => {
    const inner = new CompositeOptimizer(space, { nInitial: settings.nInitial, nGiven: context?.nGiven ?? 0, randomState: settings.randomState }, score);
    return {
      ask: (count: number) => inner.ask(count),
      tell: () => {
        throw new Error('composite optimiser: tell through tellEvaluations');
      },
      tellEvaluations: (x: Point, told: number, evaluations: readonly SeedEvaluation[]) => {
        const means = meanMetrics(evaluations.map((e) => e.metrics));
        inner.tell(x, told, metrics.map((m) => means[m]!));
      },
    } satisfies EvaluationAwareOptimizer;
  };
}
