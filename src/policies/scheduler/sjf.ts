import type { SchedulerFactory } from './types.js';

/** Prompt length ascending, then arrival ascending, then ID ascending. */
export const createSjf: SchedulerFactory = (idRank) => ({
  compare(a, b) {
    const byLength = a.inputTokens.length - b.inputTokens.length;
    if (byLength !== 0) return byLength;
    if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
    return idRank[a.index] - idRank[b.index];
  },
});
