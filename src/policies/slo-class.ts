// SLO classes: the one place that says which class names form which group. An empty class counts as standard.

export const SloTier = { Critical: 0, Standard: 1, Sheddable: 2 } as const;
export type SloTier = (typeof SloTier)[keyof typeof SloTier];

/**
 * Tier for priorities, slo-gated admission and the router bridge: critical; standard or ''; every other name
 * (sheddable, batch, background, and unknown names) is sheddable.
 */
export function sloTier(sloClass: string): SloTier {
  if (sloClass === 'critical') return SloTier.Critical;
  if (sloClass === 'standard' || sloClass === '') return SloTier.Standard;
  return SloTier.Sheddable;
}

/**
 * The narrower group used by the slo-priority scorer and per-class prefill thresholds: only the names sheddable,
 * batch and background (an unknown name is neither critical nor sheddable there).
 */
export function isNamedSheddableClass(sloClass: string): boolean {
  return sloClass === 'sheddable' || sloClass === 'batch' || sloClass === 'background';
}
