import { SloTier, sloTier } from '../slo-class.js';
import { ageBonus } from './slo-tiered.js';
import type { PriorityPolicyFactory } from './types.js';

/** slo-tiered whose class bases collapse towards the sheddable base when the WaitQ is short. */
export const createLoadAdaptivePriority: PriorityPolicyFactory = (config) => {
  const low = config.loadAdaptiveLow;
  const high = config.loadAdaptiveHigh;
  const critical = config.sloBaseCritical;
  const standard = config.sloBaseStandard;
  const sheddable = config.sloBaseSheddable;
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
      return base + ageBonus(config, tier, now - req.arrivalTime);
    },
  };
};
