// Latency distributions for the report. The trial store and the lab's JSON outputs keep only aggregate metrics, so
// the report re-simulates the stored `run` argv of each strategy on its seeds (the simulator is deterministic: the
// same argv and seed give the same requests and latencies) and keeps a small quantile sample of each ECDF.
import type { LatencySamples } from '../lab/latency-samples.js';
import type { MetricValues } from '../lab/metrics.js';
import { inProcessPool, workerPool, type EvaluationPool } from '../lab/pool.js';
import { createProgress } from '../lab/progress.js';
import { createSimulationRunner } from '../lab/backend.js';
import type { EcdfSeries } from './charts.js';

/** One simulation to repeat: a strategy on one seed. */
export interface SimulationRef {
  argv: readonly string[];
  cwd: string;
}

export interface SeedRun {
  seed: number;
  samples: LatencySamples;
  metrics: MetricValues;
}

/** Points kept per ECDF curve: enough for a smooth step curve, small enough for a light HTML file. */
export const ECDF_POINTS = 200;

export function createPool(jobs: number): EvaluationPool {
  if (jobs === 1) {
    const run = createSimulationRunner();
    return inProcessPool(async (task) => run(task), 1);
  }
  return workerPool(jobs);
}

/**
 * Runs each distinct simulation once (progress on stderr) and answers every reference with its samples; the keys
 * of `refs` are the caller's (e.g. "row 3 / seed 42").
 */
export async function resimulate(
  refs: ReadonlyMap<string, SimulationRef>,
  options: { jobs: number; write: (text: string) => void; bar: boolean },
): Promise<Map<string, { samples: LatencySamples; metrics: MetricValues }>> {
  const distinct = new Map<string, SimulationRef>();
  for (const ref of refs.values()) distinct.set(simulationKey(ref), ref);
  const progress = createProgress({ label: 'report: re-simulating', unit: 'simulations', total: distinct.size, bar: options.bar, write: options.write, plainIntervalMs: 2000 });
  const pool = createPool(Math.max(1, Math.min(options.jobs, distinct.size)));
  let done = 0;
  try {
    const results = new Map(
      await Promise.all(
        [...distinct].map(async ([key, ref]) => {
          const outcome = await pool.evaluate({ argv: [...ref.argv], cwd: ref.cwd, samples: true });
          progress.update(++done);
          return [key, { samples: outcome.samples ?? {}, metrics: outcome.metrics }] as const;
        }),
      ),
    );
    return new Map([...refs].map(([key, ref]) => [key, results.get(simulationKey(ref))!]));
  } finally {
    progress.stop();
    await pool.close();
  }
}

function simulationKey(ref: SimulationRef): string {
  return JSON.stringify([ref.cwd, ref.argv]);
}

/** At most `maxPoints` points of the ECDF of `sorted` (ascending): evenly spaced ranks, always the first and last. */
export function downsampleEcdf(sorted: readonly number[], maxPoints = ECDF_POINTS): Array<{ ms: number; p: number }> {
  const n = sorted.length;
  if (n === 0) return [];
  if (n <= maxPoints) return sorted.map((ms, i) => ({ ms, p: (i + 1) / n }));
  const points: Array<{ ms: number; p: number }> = [];
  for (let k = 0; k < maxPoints; k++) {
    const i = Math.round((k * (n - 1)) / (maxPoints - 1));
    points.push({ ms: sorted[i]!, p: (i + 1) / n });
  }
  return points;
}

const METRICS = [
  { label: 'TTFT', samples: 'ttft_ms', p99: 'ttft_p99_ms' },
  { label: 'E2E', samples: 'e2e_ms', p99: 'e2e_p99_ms' },
] as const;

/**
 * ECDF series of one strategy, pooled over its seeds (every request of every seed counts once), per SLO class and
 * metric, with each seed's P99 as the simulator computes it (the metric the ledger and the optimiser report).
 */
export function ecdfSeries(series: string, runs: readonly SeedRun[], classes: readonly string[], maxPoints = ECDF_POINTS): EcdfSeries[] {
  const out: EcdfSeries[] = [];
  for (const metric of METRICS) {
    for (const cls of classes) {
      const pooled = runs.flatMap((r) => r.samples[cls]?.[metric.samples] ?? []).sort((a, b) => a - b);
      if (pooled.length === 0) continue;
      const p99 = runs
        .map((r) => ({ seed: r.seed, ms: r.metrics[`${cls}_${metric.p99}`] ?? NaN }))
        .filter((m) => Number.isFinite(m.ms));
      out.push({ series, cls, metric: metric.label, points: downsampleEcdf(pooled, maxPoints), p99 });
    }
  }
  return out;
}

/** SLO classes present in any run, in the usual order (critical, standard, sheddable, then others). */
export function classesOf(runs: readonly SeedRun[]): string[] {
  const order = ['critical', 'standard', 'sheddable'];
  const present = new Set(runs.flatMap((r) => Object.keys(r.samples)));
  return [...order.filter((c) => present.has(c)), ...[...present].filter((c) => !order.includes(c)).sort()];
}
