// SLO class groups (policies.md §9): empty counts as standard, batch/background as sheddable.

export const SloTier = { Critical: 0, Standard: 1, Sheddable: 2 } as const;
export type SloTier = (typeof SloTier)[keyof typeof SloTier];

/** Tier used by slo-tiered / load-adaptive priorities and the router bridge. */
export function sloTier(sloClass: string): SloTier {
  if (sloClass === 'critical') return SloTier.Critical;
  if (sloClass === 'standard' || sloClass === '') return SloTier.Standard;
  return SloTier.Sheddable;
}

export function isSheddableClass(sloClass: string): boolean {
  return sloClass === 'sheddable' || sloClass === 'batch' || sloClass === 'background';
}
