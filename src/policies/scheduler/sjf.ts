import { definePolicy } from '../policy.js';

/** Prompt length ascending, then arrival ascending, then ID ascending. */
export const sjfScheduler = definePolicy({
  axis: 'scheduler',
  name: 'sjf',
  description: 'shortest prompt first',
  params: {},
  create(_params, ctx) {
    const idRank = ctx.idRank();
    return {
      compare(a, b) {
        const byLength = a.inputLength - b.inputLength;
        if (byLength !== 0) return byLength;
        if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
        return idRank[a.index] - idRank[b.index];
      },
    };
  },
});
