import { definePolicy } from '../policy.js';
import { SloTier, sloTier } from '../slo-class.js';
import { SLO_TIER_PARAMS, ageBonus } from './slo-tier-params.js';

/** slo-tiered whose tier bases collapse towards the sheddable base when the WaitQ is short. */
export const loadAdaptivePriority = definePolicy({
  axis: 'priority',
  name: 'load-adaptive',
  description: 'slo-tiered, differentiating the tiers only as the wait queue grows',
  params: {
    ...SLO_TIER_PARAMS,
    low: {
      flag: 'load-adaptive-low',
      type: 'int',
      default: 2,
      min: 0,
      help: 'queue depth with minimal differentiation',
    },
    high: {
      flag: 'load-adaptive-high',
      type: 'int',
      default: 15,
      min: 0,
      help: 'queue depth with full differentiation',
    },
  },
  check: ({ low, high }) =>
    low > high ? `--load-adaptive-low (${low}) must be <= --load-adaptive-high (${high})` : undefined,
  create(params) {
    const { low, high, baseCritical: critical, baseStandard: standard, baseSheddable: sheddable } = params;
    let loadFactor = 0;
    return {
      observeQueueLength(length) {
        if (high > low) {
          const lf = (length - low) / (high - low);
          loadFactor = lf < 0 ? 0 : lf > 1 ? 1 : lf;
        } else {
          loadFactor = length > 0 ? 1 : 0;
        }
      },
      compute(req, now) {
        const tier = sloTier(req.sloClass);
        const base =
          tier === SloTier.Critical
            ? sheddable + loadFactor * (critical - sheddable)
            : tier === SloTier.Standard
              ? sheddable + loadFactor * (standard - sheddable)
              : sheddable;
        return base + ageBonus(params, tier, now - req.arrivalTime);
      },
    };
  },
});
