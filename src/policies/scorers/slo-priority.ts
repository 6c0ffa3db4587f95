import { definePolicy } from '../policy.js';
import { isNamedSheddableClass } from '../slo-class.js';
import { queueDepthScores } from './queue-depth.js';

/** Queue-depth score pulled towards 0.5 by a per-class bias: bias·q + (1 − bias)·0.5. */
export const sloPriorityScorer = definePolicy({
  axis: 'scorer',
  name: 'slo-priority',
  description: 'queue-depth score, trusted more for critical requests and less for sheddable ones',
  params: {
    biasCritical: {
      flag: 'slo-scorer-bias-critical',
      type: 'float',
      default: 0.9,
      min: 0,
      max: 1,
      help: 'slo-priority scorer bias for critical requests',
    },
    biasSheddable: {
      flag: 'slo-scorer-bias-sheddable',
      type: 'float',
      default: 0.2,
      min: 0,
      max: 1,
      help: 'slo-priority scorer bias for sheddable requests',
    },
  },
  create({ biasCritical, biasSheddable }) {
    return {
      score(req, cluster, out) {
        queueDepthScores(cluster, out);
        const cls = req.sloClass;
        const bias = cls === 'critical' ? biasCritical : isNamedSheddableClass(cls) ? biasSheddable : 0.5;
        for (let i = 0; i < cluster.numInstances; i++) out[i] = bias * out[i]! + (1 - bias) * 0.5;
      },
    };
  },
});
