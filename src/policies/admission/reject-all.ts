import { definePolicy } from '../policy.js';

export const rejectAll = definePolicy({
  axis: 'admission',
  name: 'reject-all',
  description: 'reject every request',
  params: {},
  create: () => ({ admit: () => false, ignoresState: true }),
});
