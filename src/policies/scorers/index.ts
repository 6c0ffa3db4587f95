import { kvUtilizationScorer } from './kv-utilization.js';
import { loadBalanceScorer } from './load-balance.js';
import { prefixAffinityScorer } from './prefix-affinity.js';
import { queueDepthScorer } from './queue-depth.js';
import { sloPriorityScorer } from './slo-priority.js';

export const scorerModules = [prefixAffinityScorer, queueDepthScorer, loadBalanceScorer, kvUtilizationScorer, sloPriorityScorer] as const;
