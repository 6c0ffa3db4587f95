import type { PriorityPolicyFactory } from './types.js';

const AGE_WEIGHT = 1e-6;

/** Newer requests first (a deliberately bad policy): 0 − 1e-6·age. */
export const createInvertedSloPriority: PriorityPolicyFactory = () => ({
  compute: (req, now) => 0 - AGE_WEIGHT * (now - req.arrivalTime),
});
