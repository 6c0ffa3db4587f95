import { ServesimError } from '../../errors.js';
import type { AdmissionPolicyFactory } from './types.js';

/** Bucket of prompt tokens refilled continuously (policies.md §3); starts full at time 0. */
export const createTokenBucket: AdmissionPolicyFactory = (config) => {
  const capacity = config.tokenBucketCapacity;
  const refillRate = config.tokenBucketRefillRate;
  if (!(Number.isFinite(capacity) && capacity > 0) || !(Number.isFinite(refillRate) && refillRate > 0)) {
    throw new ServesimError(
      `token-bucket requires finite positive capacity and refill rate, got capacity=${capacity} refill-rate=${refillRate}`,
    );
  }
  let tokens = capacity;
  let lastRefill = 0;
  return {
    admit(req, state) {
      const now = state.clock;
      if (now > lastRefill) {
        tokens = Math.min(capacity, tokens + ((now - lastRefill) * refillRate) / 1e6);
        lastRefill = now;
      }
      const cost = req.inputTokens.length;
      if (tokens >= cost) {
        tokens -= cost;
        return true;
      }
      return false;
    },
  };
};
