import { definePolicy } from '../policy.js';

/** The scorer pipeline used when --routing-scorers is not given. */
export const DEFAULT_SCORERS: ReadonlyArray<{ name: string; weight: number }> = [
  { name: 'prefix-affinity', weight: 3 },
  { name: 'queue-depth', weight: 2 },
  { name: 'kv-utilization', weight: 2 },
];

/** Scorer pipeline: composite = Σ clamp01(score)·normalized weight, argmax from instance 0. */
export const weightedRouting = definePolicy({
  axis: 'routing',
  name: 'weighted',
  description: 'argmax of the weighted --routing-scorers pipeline',
  composesScorers: true,
  params: {},
  create(_params, ctx) {
    const scorers = ctx.scorers.map((s) => s.scorer);
    const weights = Float64Array.from(ctx.scorers, (s) => s.weight);
    const observers = scorers.filter((scorer) => scorer.observe !== undefined);
    const n = ctx.numInstances;
    const composite = new Float64Array(n);
    const dimension = new Float64Array(n);
    return {
      lastScores: composite,
      route(req, cluster) {
        composite.fill(0);
        for (let s = 0; s < scorers.length; s++) {
          scorers[s]!.score(req, cluster, dimension);
          const w = weights[s]!;
          for (let i = 0; i < n; i++) {
            const v = dimension[i]!;
            composite[i] += (v < 0 ? 0 : v > 1 ? 1 : v) * w;
          }
        }
        let best = 0;
        let bestScore = -1;
        for (let i = 0; i < n; i++) {
          if (composite[i]! > bestScore) {
            bestScore = composite[i]!;
            best = i;
          }
        }
        for (let s = 0; s < observers.length; s++) observers[s]!.observe!(req, best);
        return best;
      },
    };
  },
});
