import { leastLoadedIndex } from './least-loaded.js';
import type { RoutingPolicyFactory } from './types.js';

/**
 * Standalone prefix-affinity (policies.md §4.2): the key covers the whole block-aligned prompt (last block hash),
 * or the whole prompt when it is shorter than one block, so it rarely hits (quirk 9). Unknown keys route
 * least-loaded and are remembered forever.
 */
export const createPrefixAffinityRouting: RoutingPolicyFactory = (ctx) => {
  const targets = new Map<number, number>();
  return {
    lastScores: null,
    route(req, state) {
      const key = ctx.affinityKey(req);
      const known = targets.get(key);
      if (known !== undefined && known < state.numInstances) return known;
      const target = leastLoadedIndex(state);
      targets.set(key, target);
      return target;
    },
  };
};
