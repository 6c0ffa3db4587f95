import type { ScorerFactory } from './types.js';

/** Router-side approximate prefix cache per instance (policies.md §5). */
export const ROUTER_PREFIX_INDEX_CAPACITY = 10000;

/**
 * Score = leading prompt blocks found in the instance's router-side index / number of full blocks.
 * The index is an LRU by last-touch stamp; since stamps only grow, a Set in touch order (oldest first) is exact.
 */
export const createPrefixAffinityScorer: ScorerFactory = (ctx) => {
  const indexes: Array<Set<number>> = [];
  for (let i = 0; i < ctx.numInstances; i++) indexes.push(new Set<number>());
  return {
    score(req, state, out) {
      const ids = ctx.prefixIds(req);
      const total = ids.length;
      for (let i = 0; i < state.numInstances; i++) {
        if (total === 0) {
          out[i] = 0;
          continue;
        }
        const index = indexes[i];
        let matched = 0;
        while (matched < total && index.has(ids[matched])) matched++;
        out[i] = matched / total;
      }
    },
    observe(req, target) {
      const ids = ctx.prefixIds(req);
      const index = indexes[target];
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k];
        if (index.has(id)) {
          index.delete(id);
        } else if (index.size >= ROUTER_PREFIX_INDEX_CAPACITY) {
          // Evict the smallest stamp = least recently touched = first in iteration order.
          const oldest = index.values().next().value as number;
          index.delete(oldest);
        }
        index.add(id);
      }
    },
  };
};
