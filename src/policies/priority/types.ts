import type { PolicyConfig, SimRequest } from '../../types.js';

export interface PriorityPolicy {
  /** Priority of a queued request at step time `now` (age = now − ArrivalTime, µs). */
  compute(req: SimRequest, now: number): number;
  /** Load-adaptive only: WaitQ length at the start of the step, before batch formation. */
  observeQueueLength?(length: number): void;
  /** True when compute() is identically 0 (lets the instance skip the per-step pass over the WaitQ). */
  readonly alwaysZero?: boolean;
}

export type PriorityPolicyFactory = (config: PolicyConfig['priority']) => PriorityPolicy;
