import { effectiveLoad } from '../router-state.js';
import type { ScorerFactory } from './types.js';

export const createLoadBalanceScorer: ScorerFactory = () => ({
  score(_req, state, out) {
    for (let i = 0; i < state.numInstances; i++) out[i] = 1 / (1 + effectiveLoad(state, i));
  },
});
