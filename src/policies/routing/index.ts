import { alwaysBusiestRouting } from './always-busiest.js';
import { leastLoadedRouting } from './least-loaded.js';
import { prefixAffinityRouting } from './prefix-affinity.js';
import { roundRobinRouting } from './round-robin.js';
import { weightedRouting } from './weighted.js';

export const routingModules = [roundRobinRouting, leastLoadedRouting, alwaysBusiestRouting, prefixAffinityRouting, weightedRouting] as const;
