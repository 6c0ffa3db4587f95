import { ServesimError } from '../../errors.js';
import type { RoutingContext } from '../routing/types.js';
import { sortedNames } from '../registry.js';
import { createKvUtilizationScorer } from './kv-utilization.js';
import { createLoadBalanceScorer } from './load-balance.js';
import { createPrefixAffinityScorer } from './prefix-affinity.js';
import { createQueueDepthScorer } from './queue-depth.js';
import { createSloPriorityScorer } from './slo-priority.js';
import type { Scorer, ScorerFactory } from './types.js';

export type { Scorer, ScorerFactory } from './types.js';

export const scorers: Readonly<Record<string, ScorerFactory>> = {
  'prefix-affinity': createPrefixAffinityScorer,
  'queue-depth': createQueueDepthScorer,
  'load-balance': createLoadBalanceScorer,
  'kv-utilization': createKvUtilizationScorer,
  'slo-priority': createSloPriorityScorer,
};

export const scorerNames = sortedNames(scorers);

export function createScorer(name: string, ctx: RoutingContext): Scorer {
  const factory = Object.prototype.hasOwnProperty.call(scorers, name) ? scorers[name] : undefined;
  if (factory === undefined) {
    throw new ServesimError(`Invalid --routing-scorers: unknown scorer "${name}"; valid: ${scorerNames.join(', ')}`);
  }
  return factory(ctx);
}
