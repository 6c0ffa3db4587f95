import type { PriorityPolicyFactory } from './types.js';

export const createConstantPriority: PriorityPolicyFactory = () => ({ compute: () => 0, alwaysZero: true });
