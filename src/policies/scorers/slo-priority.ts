import { isSheddableClass } from '../slo-class.js';
import { queueDepthScores } from './queue-depth.js';
import type { ScorerFactory } from './types.js';

/** Queue-depth score pulled towards 0.5 by a per-class bias: bias·q + (1 − bias)·0.5. */
export const createSloPriorityScorer: ScorerFactory = (ctx) => {
  const criticalBias = ctx.config.sloScorerBiasCritical;
  const sheddableBias = ctx.config.sloScorerBiasSheddable;
  return {
    score(req, state, out) {
      queueDepthScores(state, out);
      const cls = req.sloClass;
      const bias = cls === 'critical' ? criticalBias : isSheddableClass(cls) ? sheddableBias : 0.5;
      for (let i = 0; i < state.numInstances; i++) out[i] = bias * out[i] + (1 - bias) * 0.5;
    },
  };
};
