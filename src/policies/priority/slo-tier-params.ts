// Parameters shared by the SLO-tier priority policies (slo-tiered, load-adaptive) and the router's SLO priority
// bridge: one declaration, so they are one flag each whichever policy reads them.
import type { ParamValues } from '../params.js';
import { SloTier } from '../slo-class.js';

export const SLO_TIER_PARAMS = {
  baseCritical: { flag: 'slo-base-critical', type: 'float', default: 10.0, help: 'base priority of critical requests' },
  baseStandard: { flag: 'slo-base-standard', type: 'float', default: 5.0, help: 'base priority of standard requests' },
  baseSheddable: { flag: 'slo-base-sheddable', type: 'float', default: 1.0, help: 'base priority of sheddable requests' },
  ageWeight: {
    flag: 'slo-age-weight',
    type: 'float',
    default: 1e-5,
    min: 0,
    help: 'priority gained per µs of age beyond the class threshold',
  },
  thresholdStandard: {
    flag: 'slo-threshold-standard',
    type: 'int64',
    default: 100_000,
    min: 0,
    help: 'age (µs) after which standard requests gain priority',
  },
  thresholdSheddable: {
    flag: 'slo-threshold-sheddable',
    type: 'int64',
    default: 200_000,
    min: 0,
    help: 'age (µs) after which sheddable requests gain priority',
  },
} as const;

export type SloTierParams = ParamValues<typeof SLO_TIER_PARAMS>;

/** Age bonus past the class threshold: max(0, w·(age − thr(class))). */
export function ageBonus(params: SloTierParams, tier: SloTier, age: number): number {
  const threshold =
    tier === SloTier.Critical ? 0 : tier === SloTier.Standard ? params.thresholdStandard : params.thresholdSheddable;
  return Math.max(0, params.ageWeight * (age - threshold));
}

/** Base priority per tier, indexed by SloTier. */
export function tierBases(params: SloTierParams): [number, number, number] {
  return [params.baseCritical, params.baseStandard, params.baseSheddable];
}
