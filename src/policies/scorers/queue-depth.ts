import { effectiveLoad, type RouterState } from '../router-state.js';
import type { ScorerFactory } from './types.js';

/** Min-max normalized inverse EffectiveLoad: (max − L_i) / (max − min); all equal → 1.0. */
export function queueDepthScores(state: RouterState, out: Float64Array): void {
  const n = state.numInstances;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const load = effectiveLoad(state, i);
    out[i] = load;
    if (load < min) min = load;
    if (load > max) max = load;
  }
  for (let i = 0; i < n; i++) out[i] = max === min ? 1.0 : (max - out[i]) / (max - min);
}

export const createQueueDepthScorer: ScorerFactory = () => ({
  score: (_req, state, out) => queueDepthScores(state, out),
});
