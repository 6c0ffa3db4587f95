// gp_minimize-style driver over the ask/tell Optimizer.

import { ServesimError } from '../errors.js';
import { type OptimizeResult, Optimizer, type OptimizerOptions, type ProposalSource } from './optimizer.js';
import type { Dimension, Point, SearchSpace } from './space.js';

export interface IterationInfo {
  /** 1-based count of objective evaluations made by this minimize call. */
  iteration: number;
  x: Point;
  y: number;
  /** Which acquisition function (or the initial design) proposed x. */
  source: ProposalSource;
  /** Best over every observation so far, initial points included. */
  bestX: Point;
  bestY: number;
  elapsedMs: number;
}

export interface MinimizeOptions extends OptimizerOptions {
  /** Objective evaluations to make (initialPoints are not counted). */
  nCalls: number;
  /** Points evaluated concurrently (constant-liar batches). Default 1. */
  batchSize?: number;
  /** Already-known observations (e.g. from a trial store), told before the first ask. */
  initialPoints?: readonly { x: Point; y: number }[];
  /** Called after each evaluation; returning true stops the run (as a skopt callback returning True). */
  onIteration?: (info: IterationInfo) => void | boolean | Promise<void | boolean>;
}

export type Objective = (x: Point) => number | Promise<number>;

/** Minimises `objective` over `space` by GP-based Bayesian optimisation. */
export async function minimize(
  objective: Objective,
  space: SearchSpace | readonly Dimension[],
  options: MinimizeOptions,
): Promise<OptimizeResult> {
  const { nCalls, batchSize = 1, initialPoints = [], onIteration, ...optimizerOptions } = options;
  if (!Number.isInteger(nCalls) || nCalls < 0) throw new ServesimError(`minimize: nCalls must be an integer >= 0, got ${nCalls}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ServesimError(`minimize: batchSize must be a positive integer, got ${batchSize}`);
  }
  const optimizer = new Optimizer(space, optimizerOptions);
  if (initialPoints.length > 0) {
    optimizer.tell(
      initialPoints.map((p) => p.x),
      initialPoints.map((p) => p.y),
    );
  }
  if (nCalls === 0 && initialPoints.length === 0) throw new ServesimError('minimize: nothing to do (nCalls = 0 and no initialPoints)');

  const startedAt = performance.now();
  let best: { x: Point; fun: number } | undefined = initialPoints.length > 0 ? optimizer.result() : undefined;
  let evaluations = 0;
  let stopped = false;
  while (evaluations < nCalls && !stopped) {
    const proposals = optimizer.askWithSources(Math.min(batchSize, nCalls - evaluations));
    const values = await Promise.all(proposals.map(async ({ x }) => objective([...x])));
    values.forEach((y, i) => {
      if (typeof y !== 'number' || !Number.isFinite(y)) {
        throw new ServesimError(`minimize: objective returned ${String(y)} at [${proposals[i].x.join(', ')}]; it must return a finite number`);
      }
    });
    // Tell the whole batch before any callback can stop the run, so no evaluated point is lost.
    optimizer.tell(
      proposals.map((p) => p.x),
      values,
    );
    for (let i = 0; i < proposals.length; i++) {
      evaluations++;
      if (!best || values[i] < best.fun) best = { x: proposals[i].x, fun: values[i] };
      if (!onIteration) continue;
      const answer = await onIteration({
        iteration: evaluations,
        x: [...proposals[i].x],
        y: values[i],
        source: proposals[i].source,
        bestX: [...best.x],
        bestY: best.fun,
        elapsedMs: performance.now() - startedAt,
      });
      if (answer === true) stopped = true;
    }
  }
  return optimizer.result();
}
