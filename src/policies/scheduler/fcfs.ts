import { definePolicy } from '../policy.js';

export const fcfsScheduler = definePolicy({
  axis: 'scheduler',
  name: 'fcfs',
  description: 'serve the wait queue in enqueue order',
  params: {},
  create: () => ({ compare: null }),
});
