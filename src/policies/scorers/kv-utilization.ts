import type { ScorerFactory } from './types.js';

/** 1 − KV utilization, from the (possibly stale) snapshot. */
export const createKvUtilizationScorer: ScorerFactory = () => ({
  score(_req, state, out) {
    for (let i = 0; i < state.numInstances; i++) out[i] = 1 - state.kvUtilization[i];
  },
});
