import type { SimRequest } from '../../types.js';

/**
 * Orders the WaitQ at every step (stable sort). `idRank[req.index]` is the rank of the request ID in byte-wise
 * string order, so the final `ID` tie-break is an integer comparison.
 */
export interface Scheduler {
  /** null = keep enqueue order (fcfs): no sort at all. */
  readonly compare: ((a: SimRequest, b: SimRequest) => number) | null;
}

export type SchedulerFactory = (idRank: Int32Array) => Scheduler;
