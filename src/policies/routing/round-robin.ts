import type { RoutingPolicyFactory } from './types.js';

export const createRoundRobin: RoutingPolicyFactory = (ctx) => {
  let counter = 0;
  return {
    lastScores: null,
    route() {
      const target = counter % ctx.numInstances;
      counter++;
      return target;
    },
  };
};
