// Earliest-deadline-first priority (`--priority-policy edf`, use with `--scheduler priority-fcfs`).
//
// Every SLO class gets a TTFT budget; a request's deadline is its arrival time plus its class budget, and the request
// with the earliest deadline (the least slack) is served first. Unlike slo-tiered (fixed per-tier bases plus an age
// bonus), EDF needs no base/age/threshold tuning and is starvation-free by construction: a sheddable request is
// overtaken by a later critical one only while it is younger than the difference of the two budgets, so the
// worst-case crossover time is exactly `sheddable-budget − critical-budget`. Priorities are static per request
// (−deadline in µs, always finite); priority schedulers serve the highest priority first.
import type { ParamTable, PriorityModule, RequestView } from 'servesim';

// The built-ins' class grouping: 'critical'; 'standard' or '' (no class); every other name is sheddable.
const tierOf = (sloClass: string): 0 | 1 | 2 =>
  sloClass === 'critical' ? 0 : sloClass === 'standard' || sloClass === '' ? 1 : 2;

const params = {
  'critical-budget': { type: 'int64', default: 50_000, min: 0, help: 'TTFT budget (µs) of critical requests' },
  'standard-budget': { type: 'int64', default: 200_000, min: 0, help: 'TTFT budget (µs) of standard and unclassified requests' },
  'sheddable-budget': { type: 'int64', default: 500_000, min: 0, help: 'TTFT budget (µs) of every other class (sheddable, batch, …)' },
} as const satisfies ParamTable;

const policy: PriorityModule<typeof params> = {
  axis: 'priority',
  name: 'edf',
  description: 'earliest deadline first: priority = -(arrival + TTFT budget of the class)',
  params,
  create(p) {
    const budgets = [p['critical-budget'], p['standard-budget'], p['sheddable-budget']];
    return {
      compute: (req: RequestView) => -(req.arrivalTime + budgets[tierOf(req.sloClass)]!),
    };
  },
};

export default policy;
