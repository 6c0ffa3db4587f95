import { definePolicy } from '../policy.js';

/** 1 − KV utilization, from the (possibly stale) snapshot. */
export const kvUtilizationScorer = definePolicy({
  axis: 'scorer',
  name: 'kv-utilization',
  description: '1 - KV utilisation of each instance',
  params: {},
  create: () => ({
    score(_req, cluster, out) {
      for (let i = 0; i < cluster.numInstances; i++) out[i] = 1 - cluster.kvUtilization[i]!;
    },
  }),
});
