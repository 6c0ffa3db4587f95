import { effectiveLoad } from '../router-state.js';
import type { RoutingPolicyFactory } from './types.js';

/** Maximum EffectiveLoad (a deliberately bad policy); strict `>` scan, ties to the lowest index. */
export const createAlwaysBusiest: RoutingPolicyFactory = () => ({
  lastScores: null,
  route(_req, state) {
    let best = 0;
    let bestLoad = effectiveLoad(state, 0);
    for (let i = 1; i < state.numInstances; i++) {
      const load = effectiveLoad(state, i);
      if (load > bestLoad) {
        bestLoad = load;
        best = i;
      }
    }
    return best;
  },
});
