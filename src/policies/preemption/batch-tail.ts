import { definePolicy } from '../policy.js';

/** vLLM's choice: the most recently admitted running request. */
export const batchTailPreemption = definePolicy({
  axis: 'preemption',
  name: 'batch-tail',
  description: 'evict the most recently admitted running request (vLLM)',
  params: {},
  create: () => ({ victim: (_running, count) => count - 1 }),
});
