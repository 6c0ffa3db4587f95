import { definePolicy } from '../policy.js';
import { effectiveLoad } from '../router-state.js';

export const loadBalanceScorer = definePolicy({
  axis: 'scorer',
  name: 'load-balance',
  description: '1 / (1 + EffectiveLoad) of each instance',
  params: {},
  create: () => ({
    score(_req, cluster, out) {
      for (let i = 0; i < cluster.numInstances; i++) out[i] = 1 / (1 + effectiveLoad(cluster, i));
    },
  }),
});
