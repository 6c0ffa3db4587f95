// `sweep`: a strategy evaluated over a grid of flag values (and workloads), each grid point on every seed, with the
// mean ± CI of each metric and, given a reference strategy run with the same varied flags, the paired Δ %.

import { resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { quoteText } from '../show-value.js';
import type { StrategyEvaluator } from './evaluate.js';
import { isMetricName, type MetricValues } from './metrics.js';
import { formatSeeds } from './seeds.js';
import { meanInterval, pairedComparison } from './stats.js';
import { defaultParameterValues, type Strategy } from './strategy.js';
import { applySets } from './strategy-variants.js';
import { completeOutcomes, metricsOnSeeds, commonSeeds, type SeedFailure, type SeedOutcomes } from './settle.js';
import { WORKLOAD_FIELD_PREFIX, deriveWorkloadSpec } from './workload-variant.js';
import { fixedOrNa, signedFixed, textTableLines } from './text-table.js';

/**
 * One `--vary NAME=values`: a run flag without its dashes (or `workload`, or `workload.FIELD`) and the values it
 * takes. A zipped vary (`--vary total-kv-blocks,kv-cpu-blocks=2000:666,3000:1000`) moves several names together:
 * `columns` are the names and each value is one `a:b` tuple.
 */
export interface Vary {
  name: string;
  values: string[];
  columns?: string[];
}

export const DEFAULT_SWEEP_METRICS = [
  'critical_ttft_p99_ms',
  'standard_ttft_p99_ms',
  'sheddable_ttft_p99_ms',
  'ttft_p99_ms',
  'throughput_tps',
  'rejected',
];

function fail(message: string): never {
  throw new ServesimError(`--vary: ${message}`);
}

/** Shortest decimal for a grid value; integers stay integers. */
function show(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
}

/**
 * Values of one --vary: a comma list (`768,1024,2048`), a range `FROM:TO:STEP` (both ends included when on the
 * step), or `log:FROM:TO:N` (N points spaced evenly in log scale; rounded to integers when both ends are integers).
 */
export function expandValues(text: string): string[] {
  const log = /^log:([^:]+):([^:]+):(\d+)$/.exec(text);
  if (log) {
    const [from, to, count] = [Number(log[1]), Number(log[2]), Number(log[3])];
    if (!(from > 0 && to > 0 && Number.isFinite(from) && Number.isFinite(to))) fail(`log range ${quoteText(text)} needs finite ends > 0`);
    if (count < 2 || count > 1000) fail(`log range ${quoteText(text)}: expected 2 to 1000 points, got ${count}`);
    const integer = Number.isInteger(from) && Number.isInteger(to);
    const values = Array.from({ length: count }, (_, i) => from * (to / from) ** (i / (count - 1)));
    return [...new Set(values.map((v) => show(integer ? Math.round(v) : v)))];
  }
  const range = /^([^:,]+):([^:,]+):([^:,]+)$/.exec(text);
  if (range) {
    const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (![from, to, step].every(Number.isFinite)) fail(`range ${quoteText(text)}: expected FROM:TO:STEP numbers`);
    if (!(step > 0) || to < from) fail(`range ${quoteText(text)}: expected FROM <= TO and STEP > 0`);
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > 1000) fail(`range ${quoteText(text)} has ${count} points; at most 1000`);
    return Array.from({ length: count }, (_, i) => show(from + i * step));
  }
  const values = text.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) fail(`empty value in ${quoteText(text)}`);
  return values;
}

export function parseVary(text: string): Vary {
  const eq = text.indexOf('=');
  if (eq <= 0) fail(`expected NAME=VALUES (e.g. --vary max-num-scheduled-tokens=768,1024,2048), got ${quoteText(text)}`);
  const name = text.slice(0, eq).replace(/^--/, '');
  if (name.includes(',')) return parseZipped(name, text.slice(eq + 1));
  const values = expandValues(text.slice(eq + 1));
  if (new Set(values).size !== values.length) fail(`${name}: a value is listed twice`);
  return { name, values };
}

/** `a,b=1:2,3:4`: explicit tuples (no ranges), one value per name in each. */
function parseZipped(name: string, text: string): Vary {
  const columns = name.split(',').map((c) => c.trim().replace(/^--/, ''));
  if (columns.some((c) => c === '')) fail(`empty name in ${quoteText(name)}`);
  if (new Set(columns).size !== columns.length) fail(`${name}: a name is listed twice`);
  const values = text.split(',').map((v) => v.trim());
  for (const tuple of values) {
    const parts = tuple.split(':');
    if (parts.length !== columns.length || parts.some((p) => p.trim() === '')) {
      fail(`${name}: expected ${columns.length} values separated by ":" in each comma-separated tuple (e.g. ${columns.map((_, i) => i + 1).join(':')}), got ${quoteText(tuple)}`);
    }
  }
  if (new Set(values).size !== values.length) fail(`${name}: a tuple is listed twice`);
  return { name, values, columns };
}

/** Every combination, the first --vary varying slowest. */
export function expandGrid(varies: readonly Vary[]): Array<Record<string, string>> {
  const names = new Set<string>();
  for (const v of varies) {
    for (const name of v.columns ?? [v.name]) {
      if (names.has(name)) fail(`${name} is varied twice`);
      names.add(name);
    }
  }
  let grid: Array<Record<string, string>> = [{}];
  for (const vary of varies) grid = grid.flatMap((point) => vary.values.map((value) => ({ ...point, ...varyAssignment(vary, value) })));
  return grid;
}

/** The names a vary sets for one of its values (each column's member of a zipped tuple). */
function varyAssignment(vary: Vary, value: string): Record<string, string> {
  if (!vary.columns) return { [vary.name]: value };
  const parts = value.split(':').map((p) => p.trim());
  return Object.fromEntries(vary.columns.map((column, i) => [column, parts[i]!]));
}

/**
 * The strategy at one grid point: the varied flags as --set overrides, `workload` replacing the workload spec, and
 * `workload.FIELD` values written into (a derived copy of) the workload spec the point runs.
 */
export function atGridPoint(strategy: Strategy, point: Readonly<Record<string, string>>, cwd: string, option = '--vary'): Strategy {
  const entries = Object.entries(point);
  const fields = entries.filter(([name]) => name.startsWith(WORKLOAD_FIELD_PREFIX)).map(([name, value]) => [name.slice(WORKLOAD_FIELD_PREFIX.length), value] as const);
  const sets = entries
    .filter(([name]) => !name.startsWith(WORKLOAD_FIELD_PREFIX))
    .map(([name, value]) => (name === 'workload' ? `workload-spec=${resolve(cwd, value)}` : `${name}=${value}`));
  const variant = applySets(strategy, sets, cwd, option);
  return fields.length === 0 ? variant : { ...variant, workloadSpec: deriveWorkloadSpec(variant.workloadSpec, fields, option) };
}

export interface SweepResult {
  strategy: { name: string; file: string };
  reference?: { name: string; file: string };
  varied: string[];
  seeds: number[];
  confidence: number;
  points: SweepPoint[];
}

export interface SweepPoint {
  values: Record<string, string>;
  cells: SweepCell[];
  /** The strategy's metrics per seed that ran. */
  per_seed: Record<string, MetricValues>;
  /** The reference's metrics per seed that ran (with a reference). */
  reference_per_seed?: Record<string, MetricValues>;
  /** Seeds that failed at this point (only when some did): their metrics are left out of the cells. */
  failed_seeds?: SweepFailure[];
}

export interface SweepFailure extends SeedFailure {
  side: 'strategy' | 'reference';
}

export interface SweepSettings {
  seeds: readonly number[];
  metrics: readonly string[];
}

/** One grid point: its values, the strategy there and the reference there. */
export interface SweepVariant {
  point: Record<string, string>;
  strategy: Strategy;
  reference: Strategy | undefined;
}

/** Every grid point's variants, built (and so checked) before any simulation. */
export function sweepVariants(strategy: Strategy, reference: Strategy | undefined, grid: ReadonlyArray<Record<string, string>>, cwd: string, option = '--vary'): SweepVariant[] {
  return grid.map((point) => ({
    point,
    strategy: atGridPoint(strategy, point, cwd, option),
    reference: reference && atGridPoint(reference, point, cwd, option),
  }));
}

export function checkSweepMetrics(metrics: readonly string[]): void {
  for (const metric of metrics) if (!isMetricName(metric)) throw new ServesimError(`--metrics: unknown metric ${quoteText(metric)}`);
}

/** Evaluates every variant of `sweepVariants` on every seed. */
export async function runSweep(
  strategy: Strategy,
  reference: Strategy | undefined,
  variants: readonly SweepVariant[],
  settings: SweepSettings,
  evaluator: StrategyEvaluator,
): Promise<SweepResult> {
  const evaluate = (s: Strategy) =>
    evaluator.evaluatePoint(s, defaultParameterValues(s), settings.seeds).then((es) => completeOutcomes(s, settings.seeds, es));
  const measured = await Promise.all(variants.map(async (v) => ({ own: await evaluate(v.strategy), ...(v.reference ? { ref: await evaluate(v.reference) } : {}) })));
  return buildSweepResult(strategy, reference, variants, settings, measured);
}

/**
 * The sweep's statistics from each grid point's outcomes (`measured[i]` for `variants[i]`). A seed that failed on
 * one side is left out of that side's mean and of the paired Δ (which uses the seeds both sides ran).
 */
export function buildSweepResult(
  strategy: Pick<Strategy, 'name' | 'file'>,
  reference: Pick<Strategy, 'name' | 'file'> | undefined,
  variants: readonly Pick<SweepVariant, 'point'>[],
  settings: SweepSettings,
  measured: ReadonlyArray<{ own: SeedOutcomes; ref?: SeedOutcomes }>,
): SweepResult {
  const bySeed = (o: SeedOutcomes) => Object.fromEntries(o.seeds.map((seed, i) => [String(seed), o.metrics[i]!]));
  return {
    strategy: { name: strategy.name, file: strategy.file },
    ...(reference ? { reference: { name: reference.name, file: reference.file } } : {}),
    varied: Object.keys(variants[0]?.point ?? {}),
    seeds: [...settings.seeds],
    confidence: 0.95,
    points: variants.map(({ point }, i): SweepPoint => {
      const { own, ref } = measured[i]!;
      const failed: SweepFailure[] = [
        ...own.failures.map((f) => ({ ...f, side: 'strategy' as const })),
        ...(ref?.failures ?? []).map((f) => ({ ...f, side: 'reference' as const })),
      ];
      return {
        values: point,
        cells: settings.metrics.map((metric) => cell(metric, own, ref)),
        per_seed: bySeed(own),
        ...(ref ? { reference_per_seed: bySeed(ref) } : {}),
        ...(failed.length > 0 ? { failed_seeds: failed } : {}),
      };
    }),
  };
}

export interface SweepCell {
  metric: string;
  n: number;
  mean: number;
  halfWidth: number;
  reference?: { mean: number; halfWidth: number; diffPct: number; ciLowPct: number; ciHighPct: number; significant: boolean };
}

function cell(metric: string, own: SeedOutcomes, ref: SeedOutcomes | undefined): SweepCell {
  const column = (metrics: readonly MetricValues[]) => metrics.map((m) => m[metric] ?? NaN);
  const { n, mean, halfWidth } = meanInterval(column(own.metrics));
  if (ref === undefined) return { metric, n, mean, halfWidth };
  const r = meanInterval(column(ref.metrics));
  const paired = commonSeeds([own, ref]);
  const p = pairedComparison(column(metricsOnSeeds(ref, paired)), column(metricsOnSeeds(own, paired)));
  return {
    metric,
    n,
    mean,
    halfWidth,
    reference: { mean: r.mean, halfWidth: r.halfWidth, diffPct: p.diffPct, ciLowPct: p.ciLowPct, ciHighPct: p.ciHighPct, significant: p.significant },
  };
}

const num = fixedOrNa;
const signed = (v: number) => signedFixed(v, 1);

export function formatSweepTable(result: SweepResult): string {
  const header = [
    `strategy: ${result.strategy.name} (${result.strategy.file})`,
    ...(result.reference ? [`reference: ${result.reference.name} (${result.reference.file}), run with the same varied flags`] : []),
    `seeds: ${formatSeeds(result.seeds)} (n = ${result.seeds.length}); mean ± 95 % CI half-width` +
      (result.reference ? "; Δ = strategy − reference at the same grid point, % of the reference mean, 95 % CI (paired Student's t)" : ''),
    '',
  ];
  const head = [...result.varied, 'metric', 'mean ± CI', ...(result.reference ? ['reference', 'Δ %', '95 % CI (Δ %)', ''] : [])];
  const rows: string[][] = [head];
  for (const point of result.points) {
    point.cells.forEach((c, i) => {
      const digits = Math.abs(c.mean) >= 1000 ? 0 : 2;
      const r = c.reference;
      rows.push([
        ...result.varied.map((name) => (i === 0 ? point.values[name]! : '')),
        c.metric,
        `${num(c.mean, digits)} ± ${num(c.halfWidth, digits)}`,
        ...(r ? [`${num(r.mean, digits)} ± ${num(r.halfWidth, digits)}`, signed(r.diffPct), `[${signed(r.ciLowPct)}, ${signed(r.ciHighPct)}]`, r.significant ? '' : 'n.s.'] : []),
      ]);
    });
  }
  const lines = textTableLines(rows, (col, last) => col < result.varied.length + 1 || col === last, { rule: true });
  return [...header, ...lines, ''].join('\n');
}

export function formatSweepCsv(result: SweepResult): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const v = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : String(x));
  const head = [...result.varied, 'metric', 'n', 'mean', 'ci_half_width', 'reference_mean', 'reference_ci_half_width', 'delta_pct', 'ci_low_pct', 'ci_high_pct', 'significant'];
  const lines = result.points.flatMap((p) =>
    p.cells.map((c) =>
      [
        ...result.varied.map((name) => quote(p.values[name]!)),
        c.metric,
        String(c.n),
        v(c.mean),
        v(c.halfWidth),
        v(c.reference?.mean),
        v(c.reference?.halfWidth),
        v(c.reference?.diffPct),
        v(c.reference?.ciLowPct),
        v(c.reference?.ciHighPct),
        c.reference ? String(c.reference.significant) : '',
      ].join(','),
    ),
  );
  return [head.join(','), ...lines, ''].join('\n');
}
