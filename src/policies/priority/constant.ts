import { definePolicy } from '../policy.js';

export const constantPriority = definePolicy({
  axis: 'priority',
  name: 'constant',
  description: 'every request has priority 0',
  params: {},
  create: () => ({ compute: () => 0, alwaysZero: true }),
});
