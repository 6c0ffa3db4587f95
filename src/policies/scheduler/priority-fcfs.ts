import { definePolicy } from '../policy.js';

/** Priority descending, then arrival ascending, then ID ascending. */
export const priorityFcfsScheduler = definePolicy({
  axis: 'scheduler',
  name: 'priority-fcfs',
  description: 'highest priority first, then earliest arrival',
  params: {},
  create(_params, ctx) {
    const idRank = ctx.idRank();
    return {
      compare(a, b) {
        if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
        if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
        return idRank[a.index] - idRank[b.index];
      },
    };
  },
});
