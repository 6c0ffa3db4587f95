import { definePolicy } from '../policy.js';

/** Bucket of prompt tokens refilled continuously; starts full at time 0. */
export const tokenBucket = definePolicy({
  axis: 'admission',
  name: 'token-bucket',
  description: 'admit while a bucket of prompt tokens, refilled continuously, covers the prompt',
  params: {
    capacity: {
      flag: 'token-bucket-capacity',
      type: 'float',
      default: 10000,
      min: 0,
      exclusiveMin: true,
      help: 'token-bucket capacity in prompt tokens',
    },
    refillRate: {
      flag: 'token-bucket-refill-rate',
      type: 'float',
      default: 1000,
      min: 0,
      exclusiveMin: true,
      help: 'token-bucket refill rate in tokens per second',
    },
  },
  create({ capacity, refillRate }) {
    let tokens = capacity;
    let lastRefill = 0;
    return {
      admit(req, cluster) {
        const now = cluster.clock;
        if (now > lastRefill) {
          tokens = Math.min(capacity, tokens + ((now - lastRefill) * refillRate) / 1e6);
          lastRefill = now;
        }
        const cost = req.inputLength;
        if (tokens >= cost) {
          tokens -= cost;
          return true;
        }
        return false;
      },
    };
  },
});
