import { lookup, sortedNames } from '../registry.js';
import { createAlwaysBusiest } from './always-busiest.js';
import { createLeastLoaded } from './least-loaded.js';
import { createPrefixAffinityRouting } from './prefix-affinity.js';
import { createRoundRobin } from './round-robin.js';
import type { RoutingContext, RoutingPolicy, RoutingPolicyFactory } from './types.js';
import { createWeighted } from './weighted.js';

export type { RoutingContext, RoutingPolicy, RoutingPolicyFactory } from './types.js';
export { DEFAULT_SCORERS } from './weighted.js';

export const routingPolicies: Readonly<Record<string, RoutingPolicyFactory>> = {
  'round-robin': createRoundRobin,
  'least-loaded': createLeastLoaded,
  'always-busiest': createAlwaysBusiest,
  'prefix-affinity': createPrefixAffinityRouting,
  weighted: createWeighted,
};

export const routingPolicyNames = sortedNames(routingPolicies);

export function createRoutingPolicy(ctx: RoutingContext): RoutingPolicy {
  return lookup('routing policy', routingPolicies, ctx.config.policy, 'round-robin')(ctx);
}
