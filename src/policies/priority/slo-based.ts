import type { PriorityPolicyFactory } from './types.js';

const AGE_WEIGHT = 1e-6;

/** Older requests first: 0 + 1e-6·age. */
export const createSloBasedPriority: PriorityPolicyFactory = () => ({
  compute: (req, now) => 0 + AGE_WEIGHT * (now - req.arrivalTime),
});
