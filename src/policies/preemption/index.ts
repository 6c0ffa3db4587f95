import { batchTailPreemption } from './batch-tail.js';
import { lowestPriorityPreemption } from './lowest-priority.js';

export const preemptionModules = [batchTailPreemption, lowestPriorityPreemption] as const;
