import type { SchedulerFactory } from './types.js';

/** Priority ascending (a deliberately bad policy), then arrival ascending, then ID ascending. */
export const createReversePriority: SchedulerFactory = (idRank) => ({
  compare(a, b) {
    if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
    if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
    return idRank[a.index] - idRank[b.index];
  },
});
