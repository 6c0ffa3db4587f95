// Shortest-remaining-prompt-first scheduler (`--scheduler shortest-remaining`): the worked example of
// docs/writing-a-policy.md.
//
// Every step the instance stable-sorts its wait queue with `compare`. This scheduler puts first the request with the
// fewest prompt tokens still to prefill (`inputTokens.length - progressIndex`; a request restarted after a
// preemption counts its whole prompt again), ties by arrival time and then by request index, so the order is total
// and the same on every run. With `--shortest-remaining.critical-first` critical requests go ahead of all others,
// and the rule above orders each of the two groups.
import type { ParamTable, RequestView, Scheduler, SchedulerModule } from 'servesim';

const params = {
  'critical-first': {
    type: 'bool',
    default: false,
    help: 'serve critical requests before every other class, shortest remaining prompt first within each group',
  },
} as const satisfies ParamTable;

/** Prompt tokens still to prefill (0 once the prompt is done). */
const remaining = (req: RequestView): number => Math.max(0, req.inputTokens.length - req.progressIndex);

const scheduler: SchedulerModule<typeof params> = {
  axis: 'scheduler',
  name: 'shortest-remaining',
  description: 'fewest remaining prompt tokens first, then arrival, then request index',
  params,
  create(p): Scheduler {
    const criticalFirst = p['critical-first'];
    return {
      compare(a: RequestView, b: RequestView): number {
        if (criticalFirst) {
          const aCritical = a.sloClass === 'critical';
          if (aCritical !== (b.sloClass === 'critical')) return aCritical ? -1 : 1;
        }
        const byRemaining = remaining(a) - remaining(b);
        if (byRemaining !== 0) return byRemaining;
        if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime - b.arrivalTime;
        return a.index - b.index;
      },
    };
  },
};

export default scheduler;
