import { effectiveLoad } from '../router-state.js';
import type { AdmissionPolicyFactory } from './types.js';

/** Sheddable/batch/background requests are rejected while the average EffectiveLoad exceeds the threshold. */
export const createSloGated: AdmissionPolicyFactory = (config) => {
  const threshold = config.sloGatedThreshold;
  return {
    admit(req, state) {
      const cls = req.sloClass;
      if (cls === 'critical' || cls === 'standard' || cls === '') return true;
      let total = 0;
      for (let i = 0; i < state.numInstances; i++) total += effectiveLoad(state, i);
      const average = total / state.numInstances;
      return !(average > threshold);
    },
  };
};
