import { lookup, sortedNames } from '../registry.js';
import { createFcfs } from './fcfs.js';
import { createPriorityFcfs } from './priority-fcfs.js';
import { createReversePriority } from './reverse-priority.js';
import { createSjf } from './sjf.js';
import type { Scheduler, SchedulerFactory } from './types.js';

export type { Scheduler, SchedulerFactory } from './types.js';

export const schedulers: Readonly<Record<string, SchedulerFactory>> = {
  fcfs: createFcfs,
  'priority-fcfs': createPriorityFcfs,
  sjf: createSjf,
  'reverse-priority': createReversePriority,
};

export const schedulerNames = sortedNames(schedulers);

export function createScheduler(name: string, idRank: Int32Array): Scheduler {
  return lookup('scheduler', schedulers, name, 'fcfs')(idRank);
}
