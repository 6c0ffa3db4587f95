// `compare`: two strategies on the same seeds, paired per seed, per metric and per SLO class.
import type { StrategyEvaluator } from './evaluate.js';
import { SLO_CLASSES, type MetricValues } from './metrics.js';
import { formatSeeds } from './seeds.js';
import { pairedComparison, type PairedComparison } from './stats.js';
import { defaultParameterValues, type Strategy } from './strategy.js';
import { textTableLines } from './text-table.js';

/** Cluster-level metrics compared, in table order. */
export const COMPARE_CLUSTER_METRICS = [
  'ttft_p99_ms',
  'ttft_mean_ms',
  'e2e_p99_ms',
  'e2e_mean_ms',
  'itl_mean_ms',
  'scheduling_delay_p99_ms',
  'throughput_tps',
  'completed',
  'rejected',
  'dropped',
  'preemptions',
  'slo_gap',
] as const;

/** Per-class metric suffixes compared for each SLO class. */
export const COMPARE_CLASS_METRICS = ['ttft_p99_ms', 'ttft_mean_ms', 'e2e_p99_ms', 'e2e_mean_ms'] as const;

export interface CompareRow extends PairedComparison {
  /** Full metric name (e.g. `critical_ttft_p99_ms`). */
  metric: string;
  /** `cluster` or the SLO class. */
  scope: string;
  /** Metric name within its scope (e.g. `ttft_p99_ms`). */
  name: string;
}

export interface CompareResult {
  a: { name: string; file: string };
  b: { name: string; file: string };
  seeds: number[];
  confidence: number;
  rows: CompareRow[];
  per_seed: { a: Record<string, MetricValues>; b: Record<string, MetricValues> };
}

export async function compareStrategies(
  a: Strategy,
  b: Strategy,
  seeds: readonly number[],
  evaluator: StrategyEvaluator,
): Promise<CompareResult> {
  const [evalA, evalB] = await Promise.all([
    evaluator.evaluatePoint(a, defaultParameterValues(a), seeds),
    evaluator.evaluatePoint(b, defaultParameterValues(b), seeds),
  ]);
  return buildComparison(
    a,
    b,
    seeds,
    evalA.map((e) => e.metrics),
    evalB.map((e) => e.metrics),
  );
}

/** The statistics part of compare, separate from running simulations (tests feed it synthetic metrics). */
export function buildComparison(
  a: Pick<Strategy, 'name' | 'file'>,
  b: Pick<Strategy, 'name' | 'file'>,
  seeds: readonly number[],
  metricsA: readonly MetricValues[],
  metricsB: readonly MetricValues[],
  confidence = 0.95,
): CompareResult {
  const rows: CompareRow[] = [];
  const add = (scope: string, name: string, metric: string) => {
    const xs = metricsA.map((m) => m[metric] ?? NaN);
    const ys = metricsB.map((m) => m[metric] ?? NaN);
    rows.push({ metric, scope, name, ...pairedComparison(xs, ys, confidence) });
  };
  for (const name of COMPARE_CLUSTER_METRICS) add('cluster', name, name);
  for (const cls of SLO_CLASSES) for (const name of COMPARE_CLASS_METRICS) add(cls, name, `${cls}_${name}`);
  const bySeed = (all: readonly MetricValues[]) => Object.fromEntries(seeds.map((s, i) => [String(s), all[i]!]));
  return {
    a: { name: a.name, file: a.file },
    b: { name: b.name, file: b.file },
    seeds: [...seeds],
    confidence,
    rows,
    per_seed: { a: bySeed(metricsA), b: bySeed(metricsB) },
  };
}

function fmt(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
}

function signed(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'n/a';
  const text = fmt(value, digits);
  return value > 0 ? `+${text}` : text;
}

/** Human table; rows whose interval contains 0 are marked "n.s." (not significant). */
export function formatCompareTable(result: CompareResult): string {
  const n = result.seeds.length;
  const header = [
    `A: ${result.a.name} (${result.a.file})`,
    `B: ${result.b.name} (${result.b.file})`,
    `seeds: ${formatSeeds(result.seeds)} (n = ${n}, paired); Δ = B − A as % of mean A; ` +
      `${Math.round(result.confidence * 100)} % CI from Student's t on the paired differences (df = ${n - 1})`,
    '',
  ];
  const table: string[][] = [['scope', 'metric', 'mean A', 'mean B', 'Δ %', `${Math.round(result.confidence * 100)} % CI (Δ %)`, '']];
  for (const row of result.rows) {
    const digits = Math.abs(row.meanA) >= 1000 ? 0 : row.name === 'slo_gap' ? 3 : 2;
    const ci = Number.isNaN(row.halfWidth) ? 'n/a' : `[${signed(row.ciLowPct, 1)}, ${signed(row.ciHighPct, 1)}]`;
    const flag = row.n < 2 ? 'n < 2' : row.meanDiff === 0 && row.sdDiff === 0 ? 'identical' : row.significant ? '' : 'n.s.';
    table.push([row.scope, row.name, fmt(row.meanA, digits), fmt(row.meanB, digits), signed(row.diffPct, 1), ci, flag]);
  }
  const lines = textTableLines(table, (col, last) => col <= 1 || col === last, { rule: true });
  return [...header, ...lines, ''].join('\n');
}
