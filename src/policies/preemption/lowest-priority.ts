import { definePolicy } from '../policy.js';

/** The first running request with the lowest priority (what --slo-preemption selects). */
export const lowestPriorityPreemption = definePolicy({
  axis: 'preemption',
  name: 'lowest-priority',
  description: 'evict the lowest-priority running request (first one on ties); --slo-preemption selects it',
  params: {},
  create: () => ({
    victim(running, count) {
      if (count === 1) return 0;
      let victim = 0;
      let lowest = running[0]!.priority;
      for (let i = 1; i < count; i++) {
        if (running[i]!.priority < lowest) {
          lowest = running[i]!.priority;
          victim = i;
        }
      }
      return victim;
    },
  }),
});
