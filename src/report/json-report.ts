// Reports of the lab's --json outputs: compare (two-way and many-way), sweep and ablate. Their kind is read from
// their shape (each command's JSON has distinct top-level fields). These outputs hold metrics only, not the runs'
// argv, so they get no latency distributions (a ledger or an optimisation run does).
import { formatSeeds } from '../lab/seeds.js';
import { ServesimError } from '../errors.js';
import { deltaChart, renderSvg, sweepChart, type DeltaPoint, type SweepLinePoint } from './charts.js';
import type { ReportDocument, Section, Table } from './html.js';
import type { ReportContext } from './context.js';

type Json = Record<string, unknown>;
type Num = number | null;

export type JsonKind = 'compare' | 'compare-many' | 'sweep' | 'ablate' | 'ledger';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function jsonKind(data: unknown): JsonKind | undefined {
  if (!isObject(data)) return undefined;
  if (isObject(data.a) && isObject(data.b) && Array.isArray(data.rows)) return 'compare';
  if (Array.isArray(data.strategies) && typeof data.reference === 'string' && Array.isArray(data.rows)) return 'compare-many';
  if (Array.isArray(data.varied) && Array.isArray(data.points)) return 'sweep';
  if (isObject(data.baseline) && Array.isArray(data.metrics) && isObject(data.strategy)) return 'ablate';
  if (Array.isArray(data.rows) && typeof data.simulator_version === 'string' && typeof data.title === 'string') return 'ledger';
  return undefined;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A ledger row carries its ledger's simulator version; a bare `--json` file does not record one. */
function simulatorNote(data: Json, context: ReportContext): string {
  if (typeof data.simulator_version === 'string') return `Simulator ${data.simulator_version}.`;
  return `The JSON does not record the simulator version; this report was made by ${context.simulatorVersion}.`;
}

function perSeedMetricTable(title: string, perSeed: Record<string, Record<string, Record<string, Num>>>, metrics: readonly string[]): Table {
  const rows: Array<Array<string | Num>> = [];
  for (const [strategy, seeds] of Object.entries(perSeed)) {
    for (const [seed, values] of Object.entries(seeds)) rows.push([strategy, seed, ...metrics.map((m) => values[m] ?? null)]);
  }
  return { id: 'per-seed', title, header: ['strategy', 'seed', ...metrics], numeric: metrics.map((_, i) => i + 2), rows };
}

const KEY_METRICS = ['critical_ttft_p99_ms', 'standard_ttft_p99_ms', 'sheddable_ttft_p99_ms', 'ttft_p99_ms', 'e2e_p99_ms', 'throughput_tps', 'rejected'];

/** Rows worth a chart: the key metrics when present, else every metric (in the JSON's order). */
function chartMetrics(all: readonly string[]): string[] {
  const key = KEY_METRICS.filter((m) => all.includes(m));
  return key.length > 0 ? key : [...all];
}

async function compareReport(data: Json, context: ReportContext): Promise<ReportDocument> {
  const a = data.a as { name: string; file: string };
  const b = data.b as { name: string; file: string };
  const seeds = data.seeds as number[];
  const rows = data.rows as Array<Json & { metric: string }>;
  const metrics = chartMetrics(rows.map((r) => r.metric));
  const points: DeltaPoint[] = rows
    .filter((r) => metrics.includes(r.metric) && fin(r.diffPct))
    .map((r) => ({ row: r.metric, series: b.name, delta: num(r.diffPct), ...(fin(r.ciLowPct) && fin(r.ciHighPct) ? { ci: [r.ciLowPct, r.ciHighPct] as [number, number] } : {}) }));
  const what = `${b.name} vs ${a.name} on seeds ${formatSeeds(seeds)}. ${simulatorNote(data, context)}`;
  const perSeed = data.per_seed as { a: Record<string, Record<string, Num>>; b: Record<string, Record<string, Num>> };
  const section: Section = {
    id: 'compare',
    title: 'Comparison',
    intro: `Reference ${a.name} (${a.file}); strategy ${b.name} (${b.file}).`,
    figures: [
      {
        id: 'compare-delta',
        title: `Paired difference of ${b.name} vs ${a.name} per metric`,
        svg: await renderSvg(deltaChart(points, { xTitle: `change vs ${a.name} (%)`, rows: metrics, series: [b.name] })),
        caption: `Dots: Δ% of the means; whiskers: 95 % CI of the paired difference (Student's t over seeds). ${what}`,
        series: [b.name],
      },
    ],
    tables: [
      {
        id: 'compare-rows',
        title: 'Means and paired differences',
        header: ['metric', a.name, b.name, 'Δ %', '95 % CI (Δ %)', 'p'],
        numeric: [1, 2, 3, 5],
        rows: rows.map((r) => [r.metric, num(r.meanA), num(r.meanB), num(r.diffPct), fin(r.ciLowPct) ? `[${r.ciLowPct.toFixed(1)}, ${num(r.ciHighPct).toFixed(1)}]` : 'n/a', num(r.pValue)]),
      },
      perSeedMetricTable('Per seed', { [a.name]: perSeed.a, [b.name]: perSeed.b }, metrics),
    ],
  };
  return { title: `Compare: ${b.name} vs ${a.name}`, subtitle: what, sections: [section], footer: context.footer };
}

async function compareManyReport(data: Json, context: ReportContext): Promise<ReportDocument> {
  const reference = data.reference as string;
  const strategies = (data.strategies as Array<{ name: string; file: string }>).map((s) => s.name);
  const seeds = data.seeds as number[];
  const rows = data.rows as Array<Json & { metric: string; strategy: string; vsReference?: Json }>;
  const metrics = chartMetrics([...new Set(rows.map((r) => r.metric))]);
  const others = strategies.filter((s) => s !== reference);
  const points: DeltaPoint[] = rows
    .filter((r) => metrics.includes(r.metric) && r.vsReference && fin(r.vsReference.diffPct))
    .map((r) => {
      const v = r.vsReference!;
      return { row: r.metric, series: r.strategy, delta: num(v.diffPct), ...(fin(v.ciLowPct) && fin(v.ciHighPct) ? { ci: [v.ciLowPct, v.ciHighPct] as [number, number] } : {}) };
    });
  const what = `${strategies.length} strategies on seeds ${formatSeeds(seeds)}, reference ${reference}${data.holm ? ', Holm-adjusted p-values' : ''}. ${simulatorNote(data, context)}`;
  const section: Section = {
    id: 'compare',
    title: 'Comparison',
    intro: (data.warnings as string[] | undefined)?.join(' ') || undefined,
    figures: [
      {
        id: 'compare-delta',
        title: `Paired difference vs ${reference} per metric and strategy`,
        svg: await renderSvg(deltaChart(points, { xTitle: `change vs ${reference} (%)`, rows: metrics, series: others })),
        caption: `Dots: Δ% of the means; whiskers: 95 % CI of the paired difference. ${what}`,
        series: others,
      },
    ],
    tables: [
      {
        id: 'compare-rows',
        title: 'Means ± 95 % CI half-width and differences vs the reference',
        header: ['metric', 'strategy', 'mean', '± CI', 'Δ % vs ref', '95 % CI (Δ %)', 'p (adj.)'],
        numeric: [2, 3, 4, 6],
        rows: rows
          .filter((r) => metrics.includes(r.metric))
          .map((r) => [
            r.metric,
            r.strategy,
            num(r.mean),
            num(r.halfWidth),
            r.vsReference ? num(r.vsReference.diffPct) : '—',
            r.vsReference && fin(r.vsReference.ciLowPct) ? `[${r.vsReference.ciLowPct.toFixed(1)}, ${num(r.vsReference.ciHighPct).toFixed(1)}]` : '—',
            r.vsReference ? num(r.vsReference.pAdjusted) : '—',
          ]),
      },
      perSeedMetricTable('Per seed', data.per_seed as Record<string, Record<string, Record<string, Num>>>, metrics),
    ],
  };
  return { title: `Compare: ${strategies.join(', ')}`, subtitle: what, sections: [section], footer: context.footer };
}

async function sweepReport(data: Json, context: ReportContext): Promise<ReportDocument> {
  const strategy = (data.strategy as { name: string }).name;
  const reference = (data.reference as { name: string } | undefined)?.name;
  const varied = data.varied as string[];
  const seeds = data.seeds as number[];
  const points = data.points as Array<{ values: Record<string, string>; cells: Array<Json & { metric: string; reference?: Json }>; per_seed: Record<string, Record<string, Num>> }>;
  const [axis, ...rest] = varied;
  if (axis === undefined || points.length === 0) throw new ServesimError('sweep JSON: no grid points');
  const xValues = [...new Set(points.map((p) => p.values[axis]!))];
  const numeric = xValues.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  // A flag varied together with the axis (a zipped --vary such as total-kv-blocks,kv-cpu-blocks) takes one value per
  // axis value: it labels the axis, it does not make separate lines.
  const zipped = rest.filter((r) => xValues.every((x) => new Set(points.filter((p) => p.values[axis] === x).map((p) => p.values[r])).size === 1));
  const lineFlags = rest.filter((r) => !zipped.includes(r));
  const seriesOf = (name: string, p: (typeof points)[number]): string =>
    lineFlags.length > 0 ? `${name} (${lineFlags.map((r) => `${r}=${p.values[r]}`).join(', ')})` : name;
  const xTitle = zipped.length > 0 ? `${axis} (with ${zipped.join(', ')})` : axis;
  const metrics = points[0]!.cells.map((c) => c.metric);
  const what = `${strategy}${reference ? ` and reference ${reference}` : ''} over ${varied.join(' × ')} on seeds ${formatSeeds(seeds)}. ${simulatorNote(data, context)}`;
  const figures = [];
  for (const metric of metrics) {
    const lines: SweepLinePoint[] = [];
    for (const p of points) {
      const c = p.cells.find((x) => x.metric === metric)!;
      const value = numeric ? Number(p.values[axis]) : p.values[axis]!;
      const hw = fin(c.halfWidth) ? c.halfWidth : NaN;
      lines.push({ value, series: seriesOf(strategy, p), mean: num(c.mean), lo: num(c.mean) - hw, hi: num(c.mean) + hw });
      if (c.reference && reference) {
        const r = c.reference;
        const rhw = fin(r.halfWidth) ? r.halfWidth : NaN;
        lines.push({ value, series: seriesOf(reference, p), mean: num(r.mean), lo: num(r.mean) - rhw, hi: num(r.mean) + rhw });
      }
    }
    const order = [...new Set(lines.map((l) => l.series))];
    figures.push({
      id: `sweep-${metric}`,
      title: `${metric} vs ${axis}`,
      svg: await renderSvg(sweepChart(lines.filter((l) => Number.isFinite(l.mean)), { xTitle, yTitle: metric, order, xOrder: xValues })),
      caption: `Mean over the seeds, band: 95 % CI (Student's t). ${what}`,
      series: order,
    });
  }
  const perSeedRows: Array<Array<string | Num>> = [];
  for (const p of points) {
    for (const [seed, values] of Object.entries(p.per_seed)) perSeedRows.push([...varied.map((v) => p.values[v]!), seed, ...metrics.map((m) => values[m] ?? null)]);
  }
  const section: Section = {
    id: 'sweep',
    title: 'Sweep',
    figures,
    tables: [
      {
        id: 'sweep-points',
        title: `Means ± 95 % CI half-width${reference ? ' (Δ % vs the reference at the same point)' : ''}`,
        header: [...varied, ...metrics],
        rows: points.map((p) => [
          ...varied.map((v) => p.values[v]!),
          ...p.cells.map((c) => `${fin(c.mean) ? c.mean.toFixed(1) : 'n/a'} ± ${fin(c.halfWidth) ? c.halfWidth.toFixed(1) : 'n/a'}${c.reference && fin(c.reference.diffPct) ? ` (${c.reference.diffPct > 0 ? '+' : ''}${c.reference.diffPct.toFixed(1)} %)` : ''}`),
        ]),
      },
      { id: 'per-seed', title: `Per seed (${strategy})`, header: [...varied, 'seed', ...metrics], numeric: metrics.map((_, i) => varied.length + 1 + i), rows: perSeedRows },
    ],
  };
  return { title: `Sweep: ${strategy} over ${varied.join(' × ')}`, subtitle: what, sections: [section], footer: context.footer };
}

async function ablateReport(data: Json, context: ReportContext): Promise<ReportDocument> {
  const strategy = (data.strategy as { name: string }).name;
  const baseline = (data.baseline as { name: string }).name;
  const seeds = data.seeds as number[];
  const metrics = data.metrics as Array<Json & { metric: string; components: Array<{ component: string; addOne: Json; leaveOneOut: Json }>; fullEffect: Json; interaction: Json }>;
  const what = `Components of ${strategy} against ${baseline} on seeds ${formatSeeds(seeds)}. ${simulatorNote(data, context)}`;
  const sections: Section[] = [];
  for (const m of metrics) {
    const rows = ['full strategy', ...m.components.map((c) => c.component), 'interaction'];
    const effect = (row: string, series: string, e: Json): DeltaPoint => ({
      row,
      series,
      delta: num(e.mean),
      ...(fin(e.ciLow) && fin(e.ciHigh) ? { ci: [e.ciLow, e.ciHigh] as [number, number] } : {}),
    });
    const points: DeltaPoint[] = [
      effect('full strategy', 'full − baseline', m.fullEffect),
      ...m.components.flatMap((c) => [effect(c.component, 'added to the baseline', c.addOne), effect(c.component, 'removed from the strategy', c.leaveOneOut)]),
      effect('interaction', 'full − Σ added alone', m.interaction),
    ].filter((p) => Number.isFinite(p.delta));
    const series = ['full − baseline', 'added to the baseline', 'removed from the strategy', 'full − Σ added alone'];
    sections.push({
      id: `ablate-${m.metric}`,
      title: `Ablation: ${m.metric}`,
      intro: `Baseline ${formatNum(m.baseline)}, full strategy ${formatNum(m.full)}; components ${m.verdict as string}.`,
      figures: [
        {
          id: `ablate-figure-${m.metric}`,
          title: `Effect of each component on ${m.metric} (metric units)`,
          svg: await renderSvg(deltaChart(points, { xTitle: `effect on ${m.metric} (difference of means)`, rows, series })),
          caption: `Dots: mean paired difference; whiskers: 95 % CI. "added": baseline + component − baseline; "removed": full − (full − component). ${what}`,
          series,
        },
      ],
      tables: [
        {
          title: 'Effects (mean [95 % CI], % of the side measured from)',
          header: ['component', 'added to the baseline', 'removed from the strategy'],
          rows: [
            ['full strategy', effectText(m.fullEffect), ''],
            ...m.components.map((c) => [c.component, effectText(c.addOne), effectText(c.leaveOneOut)]),
            ['interaction', effectText(m.interaction), ''],
          ],
        },
      ],
      extraHtml: '<p class="intro">The ablation JSON holds the statistics only; per-seed values are not recorded in it.</p>',
    });
  }
  return { title: `Ablation: ${strategy}`, subtitle: what, sections, footer: context.footer };
}

function formatNum(v: unknown): string {
  return fin(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3)) : 'n/a';
}

function effectText(e: Json): string {
  return `${formatNum(e.mean)} [${formatNum(e.ciLow)}, ${formatNum(e.ciHigh)}] (${fin(e.pct) ? `${e.pct > 0 ? '+' : ''}${e.pct.toFixed(1)} %` : 'n/a'})`;
}

export async function jsonReport(kind: Exclude<JsonKind, 'ledger'>, data: unknown, context: ReportContext): Promise<ReportDocument> {
  const json = data as Json;
  switch (kind) {
    case 'compare':
      return compareReport(json, context);
    case 'compare-many':
      return compareManyReport(json, context);
    case 'sweep':
      return sweepReport(json, context);
    case 'ablate':
      return ablateReport(json, context);
  }
}
