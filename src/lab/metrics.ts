// Named scalar metrics of one simulation, as read by strategy objectives, constraints, compare and the ledger.
import { NUMERIC_BLOCK_KEYS } from '../metrics/block-keys.js';
import type { SimResult, SloMetrics } from '../types.js';

/** Metric name → value. Per-class metrics of a class absent from the run are NaN. */
export type MetricValues = Record<string, number>;

/** The SLO classes of the strategy-evolution workloads; per-class metrics exist for exactly these. */
export const SLO_CLASSES = ['critical', 'standard', 'sheddable'] as const;
export type SloClassName = (typeof SLO_CLASSES)[number];

/** Numeric keys of the cluster JSON block (docs/spec-notes.md, JSON metrics block), under their printed names; latencies are in ms. */
export const CLUSTER_BLOCK_METRICS = NUMERIC_BLOCK_KEYS;

/** Short names used by the seed's scripts and ledger. */
const ALIASES = {
  throughput_tps: 'tokens_per_sec',
  completed: 'completed_requests',
  injected: 'injected_requests',
  dropped: 'dropped_unservable',
  preemptions: 'preemption_count',
} as const satisfies Record<string, (typeof CLUSTER_BLOCK_METRICS)[number]>;

const RUN_COUNTER_METRICS = [
  'rejected', // admission rejections
  'priority_inversions',
  'hol_blocking_events',
  'preemption_rate',
  'cache_hit_rate',
  'kv_thrashing_rate',
] as const;

const PER_CLASS_SUFFIXES = ['ttft_p99_ms', 'ttft_mean_ms', 'e2e_p99_ms', 'e2e_mean_ms', 'completed'] as const;

export const PER_CLASS_METRICS: readonly string[] = SLO_CLASSES.flatMap((cls) =>
  PER_CLASS_SUFFIXES.map((suffix) => `${cls}_${suffix}`),
);

/** Every metric name a strategy may name, in a stable, documented order. */
export const METRIC_NAMES: readonly string[] = [
  ...CLUSTER_BLOCK_METRICS,
  ...Object.keys(ALIASES),
  ...RUN_COUNTER_METRICS,
  ...PER_CLASS_METRICS,
  'slo_gap',
];

const METRIC_NAME_SET = new Set(METRIC_NAMES);

export function isMetricName(name: string): boolean {
  return METRIC_NAME_SET.has(name);
}

/** Extracts every named metric from a simulation result. */
export function extractMetrics(result: SimResult): MetricValues {
  const values: MetricValues = {};
  const cluster = result.cluster as unknown as Record<string, number | undefined>;
  for (const key of CLUSTER_BLOCK_METRICS) {
    // kv_allocation_failures is omitted from the printed block when 0; treat any absent counter as 0.
    values[key] = cluster[key] ?? 0;
  }
  for (const [alias, key] of Object.entries(ALIASES)) values[alias] = values[key]!;

  values.rejected = result.anomalies.rejectedRequests;
  values.priority_inversions = result.anomalies.priorityInversions;
  values.hol_blocking_events = result.anomalies.holBlockingEvents;
  values.preemption_rate = result.kv.preemptionRate;
  values.cache_hit_rate = result.kv.cacheHitRate;
  values.kv_thrashing_rate = result.kv.thrashingRate;

  const byClass = new Map<string, SloMetrics>(result.perSlo.map((slo) => [slo.sloClass, slo]));
  for (const cls of SLO_CLASSES) {
    const slo = byClass.get(cls);
    // Per-SLO distributions are in ticks (µs); the lab reports ms like the cluster block.
    const hasTtft = slo !== undefined && slo.ttft.n > 0;
    const hasE2e = slo !== undefined && slo.e2e.n > 0;
    values[`${cls}_ttft_p99_ms`] = hasTtft ? slo.ttft.p99 / 1000 : NaN;
    values[`${cls}_ttft_mean_ms`] = hasTtft ? slo.ttft.mean / 1000 : NaN;
    values[`${cls}_e2e_p99_ms`] = hasE2e ? slo.e2e.p99 / 1000 : NaN;
    values[`${cls}_e2e_mean_ms`] = hasE2e ? slo.e2e.mean / 1000 : NaN;
    values[`${cls}_completed`] = slo?.e2e.n ?? 0;
  }
  values.slo_gap = values.sheddable_ttft_p99_ms! / values.critical_ttft_p99_ms!;
  return values;
}

/** Why a metric is NaN for a run, for error messages; undefined when the metric has a value. */
export function explainMissingMetric(name: string, values: MetricValues): string | undefined {
  if (!Number.isNaN(values[name])) return undefined;
  const missing = SLO_CLASSES.filter((cls) => Number.isNaN(values[`${cls}_ttft_p99_ms`]));
  if (name === 'slo_gap') {
    return `slo_gap needs both critical and sheddable TTFT values; the run has none for: ${missing.join(', ')}`;
  }
  const cls = SLO_CLASSES.find((c) => name.startsWith(`${c}_`));
  if (cls !== undefined) return `the run has no completed "${cls}" requests, so ${name} is undefined`;
  return `${name} is not a number in this run`;
}

/** JSON cannot carry NaN; the store and output files encode it as null. */
export function metricsToJson(values: MetricValues): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(values)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

export function metricsFromJson(json: Record<string, number | null>): MetricValues {
  const out: MetricValues = {};
  for (const [k, v] of Object.entries(json)) out[k] = v === null ? NaN : v;
  return out;
}
