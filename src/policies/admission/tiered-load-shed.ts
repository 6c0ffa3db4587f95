import { definePolicy } from '../policy.js';
import { effectiveLoad } from '../router-state.js';
import { SloTier, sloTier } from '../slo-class.js';

/**
 * slo-gated with a threshold per tier: sheddable requests are rejected above one average EffectiveLoad, standard
 * requests above a higher one; critical requests are always admitted.
 */
export const tieredLoadShed = definePolicy({
  axis: 'admission',
  name: 'tiered-load-shed',
  description: 'reject sheddable, then standard requests as the average instance load passes per-tier thresholds',
  params: {
    sheddable: {
      flag: 'tiered-shed-sheddable',
      type: 'float',
      default: 8,
      min: 0,
      help: 'reject sheddable requests above this average EffectiveLoad',
    },
    standard: {
      flag: 'tiered-shed-standard',
      type: 'float',
      default: 32,
      min: 0,
      help: 'reject standard requests above this average EffectiveLoad',
    },
  },
  check: ({ sheddable, standard }) =>
    sheddable > standard ? `--tiered-shed-sheddable (${sheddable}) must be <= --tiered-shed-standard (${standard})` : undefined,
  create({ sheddable, standard }) {
    const thresholds = [Infinity, standard, sheddable];
    return {
      admit(req, cluster) {
        const threshold = thresholds[sloTier(req.sloClass)]!;
        if (threshold === Infinity) return true;
        let total = 0;
        for (let i = 0; i < cluster.numInstances; i++) total += effectiveLoad(cluster, i);
        return !(total / cluster.numInstances > threshold);
      },
    };
  },
});
