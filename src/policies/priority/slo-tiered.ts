import { definePolicy } from '../policy.js';
import { sloTier } from '../slo-class.js';
import { SLO_TIER_PARAMS, ageBonus, tierBases } from './slo-tier-params.js';

export const sloTieredPriority = definePolicy({
  axis: 'priority',
  name: 'slo-tiered',
  description: 'per-tier base priority plus an age bonus past the tier threshold',
  params: SLO_TIER_PARAMS,
  create(params) {
    const bases = tierBases(params);
    return {
      compute(req, now) {
        const tier = sloTier(req.sloClass);
        return bases[tier] + ageBonus(params, tier, now - req.arrivalTime);
      },
    };
  },
});
