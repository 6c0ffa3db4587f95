import { definePolicy } from '../policy.js';
import { effectiveLoad } from '../router-state.js';
import { SloTier, sloTier } from '../slo-class.js';

/** Sheddable-tier requests are rejected while the average EffectiveLoad exceeds the threshold. */
export const sloGated = definePolicy({
  axis: 'admission',
  name: 'slo-gated',
  description: 'reject sheddable-tier requests while the average instance load exceeds a threshold',
  params: {
    threshold: {
      flag: 'slo-gated-threshold',
      type: 'float',
      default: 8.0,
      min: 0,
      help: 'reject sheddable work above this average EffectiveLoad',
    },
  },
  create({ threshold }) {
    return {
      admit(req, cluster) {
        if (sloTier(req.sloClass) !== SloTier.Sheddable) return true;
        let total = 0;
        for (let i = 0; i < cluster.numInstances; i++) total += effectiveLoad(cluster, i);
        return !(total / cluster.numInstances > threshold);
      },
    };
  },
});
