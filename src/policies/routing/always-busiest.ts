import { definePolicy } from '../policy.js';
import { effectiveLoad } from '../router-state.js';

/** Maximum EffectiveLoad (a deliberately bad policy); strict `>` scan, ties to the lowest index. */
export const alwaysBusiestRouting = definePolicy({
  axis: 'routing',
  name: 'always-busiest',
  description: 'the most loaded instance (a deliberately bad policy)',
  params: {},
  create: () => ({
    lastScores: null,
    route(_req, cluster) {
      let best = 0;
      let bestLoad = effectiveLoad(cluster, 0);
      for (let i = 1; i < cluster.numInstances; i++) {
        const load = effectiveLoad(cluster, i);
        if (load > bestLoad) {
          bestLoad = load;
          best = i;
        }
      }
      return best;
    },
  }),
});
