import { definePolicy, type ClusterView } from '../policy.js';
import { effectiveLoad } from '../router-state.js';

/** Min-max normalized inverse EffectiveLoad: (max − L_i) / (max − min); all equal → 1.0. */
export function queueDepthScores(cluster: ClusterView, out: Float64Array): void {
  const n = cluster.numInstances;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const load = effectiveLoad(cluster, i);
    out[i] = load;
    if (load < min) min = load;
    if (load > max) max = load;
  }
  for (let i = 0; i < n; i++) out[i] = max === min ? 1.0 : (max - out[i]!) / (max - min);
}

export const queueDepthScorer = definePolicy({
  axis: 'scorer',
  name: 'queue-depth',
  description: 'min-max normalised inverse EffectiveLoad',
  params: {},
  create: () => ({ score: (_req, cluster, out) => queueDepthScores(cluster, out) }),
});
