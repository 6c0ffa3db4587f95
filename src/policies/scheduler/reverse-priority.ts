import { definePolicy } from '../policy.js';

/** Priority ascending (a deliberately bad policy), then arrival ascending, then ID ascending. */
export const reversePriorityScheduler = definePolicy({
  axis: 'scheduler',
  name: 'reverse-priority',
  description: 'lowest priority first (a deliberately bad policy)',
  params: {},
  create(_params, ctx) {
    const idRank = ctx.idRank();
    return {
      compare(a, b) {
        if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
        if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
        return idRank[a.index] - idRank[b.index];
      },
    };
  },
});
