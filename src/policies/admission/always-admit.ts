import { definePolicy } from '../policy.js';

export const alwaysAdmit = definePolicy({
  axis: 'admission',
  name: 'always-admit',
  description: 'admit every request',
  params: {},
  create: () => ({ admit: () => true, ignoresState: true }),
});
