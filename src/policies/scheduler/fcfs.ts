import type { SchedulerFactory } from './types.js';

export const createFcfs: SchedulerFactory = () => ({ compare: null });
