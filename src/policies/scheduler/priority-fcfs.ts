import type { SchedulerFactory } from './types.js';

/** Priority descending, then arrival ascending, then ID ascending. */
export const createPriorityFcfs: SchedulerFactory = (idRank) => ({
  compare(a, b) {
    if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
    if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
    return idRank[a.index] - idRank[b.index];
  },
});
