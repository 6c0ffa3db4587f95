// The real evaluator: `run` flags → resolved config (helper of `servesim run`) → simulate() → named metrics.
import { resolveRunConfig, RunConfigCache } from '../config/resolve-run.js';
import { simulate } from '../cluster/simulate.js';
import { latencySamples } from './latency-samples.js';
import { extractMetrics } from './metrics.js';
import type { EvalOutcome, EvalTask } from './pool.js';

/**
 * A synchronous simulation runner with its own resolution cache (defaults file, generated workloads per
 * spec, seed and request count), so repeated evaluations of one workload generate it once per runner.
 */
export function createSimulationRunner(): (task: EvalTask) => EvalOutcome {
  const cache = new RunConfigCache();
  return (task) => {
    const started = performance.now();
    const resolved = resolveRunConfig(task.argv, { cwd: task.cwd, cache });
    const result = simulate(resolved.sim);
    const wallMs = performance.now() - started;
    return { metrics: extractMetrics(result), wallMs, ...(task.samples ? { samples: latencySamples(result) } : {}) };
  };
}
