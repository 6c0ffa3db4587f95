import { definePolicy } from '../policy.js';

export const roundRobinRouting = definePolicy({
  axis: 'routing',
  name: 'round-robin',
  description: 'instances in turn',
  params: {},
  create(_params, ctx) {
    let counter = 0;
    return {
      lastScores: null,
      route() {
        const target = counter % ctx.numInstances;
        counter++;
        return target;
      },
    };
  },
});
