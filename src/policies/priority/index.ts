import type { PolicyConfig } from '../../types.js';
import { lookup, sortedNames } from '../registry.js';
import { createConstantPriority } from './constant.js';
import { createInvertedSloPriority } from './inverted-slo.js';
import { createLoadAdaptivePriority } from './load-adaptive.js';
import { createSloBasedPriority } from './slo-based.js';
import { createSloTieredPriority } from './slo-tiered.js';
import type { PriorityPolicy, PriorityPolicyFactory } from './types.js';

export type { PriorityPolicy, PriorityPolicyFactory } from './types.js';

export const priorityPolicies: Readonly<Record<string, PriorityPolicyFactory>> = {
  constant: createConstantPriority,
  'slo-based': createSloBasedPriority,
  'inverted-slo': createInvertedSloPriority,
  'slo-tiered': createSloTieredPriority,
  'load-adaptive': createLoadAdaptivePriority,
};

export const priorityPolicyNames = sortedNames(priorityPolicies);

/** One instance per simulator instance (load-adaptive keeps per-instance state). */
export function createPriorityPolicy(config: PolicyConfig['priority']): PriorityPolicy {
  return lookup('priority policy', priorityPolicies, config.policy, 'constant')(config);
}
