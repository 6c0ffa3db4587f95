import { definePolicy } from '../policy.js';
import { leastLoadedIndex } from './least-loaded.js';

/**
 * Standalone prefix-affinity: the key covers the whole block-aligned prompt (last block), or the whole prompt when
 * it is shorter than one block, so it rarely hits (docs/reference-quirks.md, quirk 9). Unknown keys route
 * least-loaded and are remembered forever.
 */
export const prefixAffinityRouting = definePolicy({
  axis: 'routing',
  name: 'prefix-affinity',
  description: 'the instance that first served the same block-aligned prompt, else least-loaded',
  params: {},
  create(_params, ctx) {
    const targets = new Map<number, number>();
    ctx.retainIds?.((mark) => {
      for (const key of targets.keys()) mark(key);
    });
    return {
      lastScores: null,
      route(req, cluster) {
        const key = ctx.affinityKey(req);
        const known = targets.get(key);
        if (known !== undefined && known < cluster.numInstances) return known;
        const target = leastLoadedIndex(cluster);
        targets.set(key, target);
        return target;
      },
    };
  },
});
