import { SloTier, sloTier } from '../slo-class.js';
import type { PolicyConfig } from '../../types.js';
import type { PriorityPolicyFactory } from './types.js';

/** Age bonus past the class threshold: max(0, w·(age − thr(class))). */
export function ageBonus(config: PolicyConfig['priority'], tier: SloTier, age: number): number {
  const threshold =
    tier === SloTier.Critical ? 0 : tier === SloTier.Standard ? config.sloThresholdStandard : config.sloThresholdSheddable;
  return Math.max(0, config.sloAgeWeight * (age - threshold));
}

export const createSloTieredPriority: PriorityPolicyFactory = (config) => {
  const bases = [config.sloBaseCritical, config.sloBaseStandard, config.sloBaseSheddable];
  return {
    compute(req, now) {
      const tier = sloTier(req.sloClass);
      return bases[tier] + ageBonus(config, tier, now - req.arrivalTime);
    },
  };
};
