import { definePolicy, type ClusterView } from '../policy.js';
import { effectiveLoad } from '../router-state.js';

/** Minimum EffectiveLoad; strict `<` scan so ties go to the lowest index. */
export function leastLoadedIndex(cluster: ClusterView): number {
  let best = 0;
  let bestLoad = effectiveLoad(cluster, 0);
  for (let i = 1; i < cluster.numInstances; i++) {
    const load = effectiveLoad(cluster, i);
    if (load < bestLoad) {
      bestLoad = load;
      best = i;
    }
  }
  return best;
}

export const leastLoadedRouting = definePolicy({
  axis: 'routing',
  name: 'least-loaded',
  description: 'the instance with the lowest EffectiveLoad (queue + batch + pending)',
  params: {},
  create: () => ({ lastScores: null, route: (_req, cluster) => leastLoadedIndex(cluster) }),
});
