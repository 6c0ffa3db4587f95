import type { ScorerSpec } from '../../types.js';
import { createScorer, type Scorer } from '../scorers/index.js';
import type { RoutingPolicyFactory } from './types.js';

export const DEFAULT_SCORERS: readonly ScorerSpec[] = [
  { name: 'prefix-affinity', weight: 3 },
  { name: 'queue-depth', weight: 2 },
  { name: 'kv-utilization', weight: 2 },
];

/** Scorer pipeline (policies.md §4.1): composite = Σ clamp01(score)·normalized weight, argmax from instance 0. */
export const createWeighted: RoutingPolicyFactory = (ctx) => {
  const specs = ctx.config.scorers.length > 0 ? ctx.config.scorers : DEFAULT_SCORERS;
  let weightSum = 0;
  for (const spec of specs) weightSum += spec.weight;
  const scorers: Scorer[] = specs.map((spec) => createScorer(spec.name, ctx));
  const weights = Float64Array.from(specs, (spec) => spec.weight / weightSum);
  const observers = scorers.filter((scorer) => scorer.observe !== undefined);
  const n = ctx.numInstances;
  const composite = new Float64Array(n);
  const dimension = new Float64Array(n);
  return {
    lastScores: composite,
    route(req, state) {
      composite.fill(0);
      for (let s = 0; s < scorers.length; s++) {
        scorers[s].score(req, state, dimension);
        const w = weights[s];
        for (let i = 0; i < n; i++) {
          const v = dimension[i];
          composite[i] += (v < 0 ? 0 : v > 1 ? 1 : v) * w;
        }
      }
      let best = 0;
      let bestScore = -1;
      for (let i = 0; i < n; i++) {
        if (composite[i] > bestScore) {
          bestScore = composite[i];
          best = i;
        }
      }
      for (let s = 0; s < observers.length; s++) observers[s].observe!(req, best);
      return best;
    },
  };
};
