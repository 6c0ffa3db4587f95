import { definePolicy } from '../policy.js';

const AGE_WEIGHT = 1e-6;

/** Newer requests first (a deliberately bad policy): 0 − 1e-6·age. */
export const invertedSloPriority = definePolicy({
  axis: 'priority',
  name: 'inverted-slo',
  description: 'newer requests first (a deliberately bad policy)',
  params: {},
  create: () => ({ compute: (req, now) => 0 - AGE_WEIGHT * (now - req.arrivalTime) }),
});
