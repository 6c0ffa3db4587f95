// `optimize --warm-start-from RUN`: the points an earlier optimisation run evaluated become the new run's first
// calls, like `initial_points`. With the same seeds they are read back from the trial store (no simulation), so a
// changed search (a narrower range, another --n-calls) starts from everything the earlier run learnt.
import { ServesimError } from '../errors.js';
import type { TrialStore } from './store.js';
import { resolveInitialPoints, type ParamValue, type Strategy } from './strategy.js';

/**
 * `strategy` with run `runId`'s points (in call order, without repeats) appended to its initial points. A parameter
 * the run did not search takes its default; a point outside the strategy's ranges is an error naming its call.
 */
export function withWarmStart(strategy: Strategy, store: TrialStore, runId: number): Strategy {
  const where = `--warm-start-from ${runId}`;
  if (store.getRun(runId) === undefined) {
    const ids = store.runs().map((r) => r.id);
    throw new ServesimError(`${where}: the trial store has no optimisation run ${runId} (${ids.length === 0 ? 'it has none' : `its runs: ${ids.join(', ')}`})`);
  }
  if (strategy.parameters.length === 0) throw new ServesimError(`${where}: ${strategy.name} searches no parameters`);
  const names = new Set(strategy.parameters.map((p) => p.name));
  const seen = new Set<string>();
  const points: Array<Record<string, ParamValue>> = [];
  const calls: number[] = [];
  for (const observation of store.observations(runId)) {
    const point = Object.fromEntries(Object.entries(observation.params).filter(([name]) => names.has(name)));
    const key = JSON.stringify(point);
    if (seen.has(key)) continue;
    seen.add(key);
    points.push(point);
    calls.push(observation.callIndex + 1);
  }
  if (points.length === 0) throw new ServesimError(`${where}: run ${runId} has no evaluated calls`);
  if (points.every((p) => Object.keys(p).length === 0)) {
    throw new ServesimError(`${where}: run ${runId} searched none of ${strategy.name}'s parameters (${[...names].join(', ')})`);
  }
  const resolved = resolveInitialPoints(points, strategy.parameters, (path, message) => {
    const index = Number(/\[(\d+)\]/.exec(path)?.[1] ?? 0);
    throw new ServesimError(`${where}: call ${calls[index]}: ${message}`);
  });
  return { ...strategy, initialPoints: [...(strategy.initialPoints ?? []), ...resolved] };
}
