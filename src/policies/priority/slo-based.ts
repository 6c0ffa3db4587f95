import { definePolicy } from '../policy.js';

const AGE_WEIGHT = 1e-6;

/** Older requests first: 0 + 1e-6·age. */
export const sloBasedPriority = definePolicy({
  axis: 'priority',
  name: 'slo-based',
  description: 'older requests first (1e-6 per µs of age)',
  params: {},
  create: () => ({ compute: (req, now) => 0 + AGE_WEIGHT * (now - req.arrivalTime) }),
});
