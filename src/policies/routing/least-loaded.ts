import { effectiveLoad, type RouterState } from '../router-state.js';
import type { RoutingPolicyFactory } from './types.js';

/** Minimum EffectiveLoad; strict `<` scan so ties go to the lowest index. */
export function leastLoadedIndex(state: RouterState): number {
  let best = 0;
  let bestLoad = effectiveLoad(state, 0);
  for (let i = 1; i < state.numInstances; i++) {
    const load = effectiveLoad(state, i);
    if (load < bestLoad) {
      bestLoad = load;
      best = i;
    }
  }
  return best;
}

export const createLeastLoaded: RoutingPolicyFactory = () => ({
  lastScores: null,
  route: (_req, state) => leastLoadedIndex(state),
});
