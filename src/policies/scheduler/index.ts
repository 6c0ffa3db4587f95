import { fcfsScheduler } from './fcfs.js';
import { priorityFcfsScheduler } from './priority-fcfs.js';
import { reversePriorityScheduler } from './reverse-priority.js';
import { sjfScheduler } from './sjf.js';

export const schedulerModules = [fcfsScheduler, priorityFcfsScheduler, sjfScheduler, reversePriorityScheduler] as const;
