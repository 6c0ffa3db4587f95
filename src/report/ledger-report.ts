// The report of a ledger output directory (ledger.json): every row's per-class Δ% with its 95 % CI and the seed
// ledger's own figures, the ledger table, the per-seed figures, and per row its latency distributions against its
// baseline (re-simulated from the argv ledger.json records).
import { jsonReport } from './json-report.js';
import { formatSeeds } from '../lab/seeds.js';
import type { LedgerReport, LedgerRow } from '../lab/ledger.js';
import { deltaChart, ecdfChart, renderSvg, type DeltaPoint } from './charts.js';
import { classesOf, ecdfSeries, type SeedRun, type SimulationRef } from './distributions.js';
import type { Figure, ReportDocument, Section, Table } from './html.js';
import type { ReportContext } from './context.js';

const DELTA_SERIES = [
  { key: 'critical_ttft_p99_ms', label: 'critical TTFT P99' },
  { key: 'standard_ttft_p99_ms', label: 'standard TTFT P99' },
  { key: 'sheddable_ttft_p99_ms', label: 'sheddable TTFT P99' },
  { key: 'throughput_tps', label: 'throughput' },
] as const;

function rowLabel(row: LedgerRow, ledger: LedgerReport): string {
  const vs = row.baseline !== null && row.baseline !== ledger.baseline ? ` (vs ${row.baseline})` : '';
  const seeds = formatSeeds(row.seeds) !== formatSeeds(ledger.seeds) && row.seeds.length > 0 ? ` [seed${row.seeds.length > 1 ? 's' : ''} ${formatSeeds(row.seeds)}]` : '';
  return `${row.id}: ${row.name}${seeds}${vs}`;
}

function signedPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  const text = v.toFixed(1);
  return v > 0 && text !== '0.0' ? `+${text}%` : text === '-0.0' ? '0.0%' : `${text}%`;
}

function withCi(row: LedgerRow, key: string): string {
  const ci = row.delta_ci_pct[key];
  return `${signedPct(row.delta_pct[key])}${ci ? ` [${signedPct(ci[0])}, ${signedPct(ci[1])}]` : ''}`;
}

/** Every row of the ledger, as ledger.md's iteration summary with the CIs. */
function ledgerTable(ledger: LedgerReport): Table {
  return {
    id: 'ledger-rows',
    title: 'Ledger: every row (Δ% vs the row\'s baseline mean, [95 % CI] when ≥ 3 shared seeds)',
    header: ['Iter', 'Strategy', 'vs', 'Seeds', 'Crit TTFT P99 Δ%', 'Std TTFT P99 Δ%', 'Shed TTFT P99 Δ%', 'Throughput Δ%', 'SLO gap', 'Rejected', 'Mechanism', 'Status'],
    numeric: [8, 9],
    rows: ledger.rows.map((row) => [
      row.id,
      row.name,
      row.baseline ?? '—',
      formatSeeds(row.seeds),
      ...DELTA_SERIES.map((s) => (row.baseline === null ? '—' : withCi(row, s.key))),
      row.mean.slo_gap ?? null,
      row.mean.rejected ?? null,
      row.mechanism,
      row.note ? `${row.status} — ${row.note}` : row.status,
    ]),
  };
}

function absoluteTable(ledger: LedgerReport): Table {
  const keys = ['ttft_p99_ms', 'critical_ttft_p99_ms', 'standard_ttft_p99_ms', 'sheddable_ttft_p99_ms', 'e2e_p99_ms', 'throughput_tps', 'rejected', 'preemptions'];
  return {
    title: 'Absolute figures (means over the row\'s seeds; latencies in ms, throughput in tokens/s)',
    header: ['Iter', 'TTFT P99', 'Crit TTFT P99', 'Std TTFT P99', 'Shed TTFT P99', 'E2E P99', 'tokens/s', 'Rejected', 'Preemptions'],
    numeric: [1, 2, 3, 4, 5, 6, 7, 8],
    rows: ledger.rows.map((row) => [row.id, ...keys.map((k) => row.mean[k] ?? null)]),
  };
}

function perSeedTable(ledger: LedgerReport): Table {
  const seeds = [...new Set([...ledger.seeds, ...ledger.rows.flatMap((r) => r.seeds)])];
  return {
    id: 'ledger-per-seed',
    title: 'Per seed: critical TTFT P99 ms / sheddable TTFT P99 ms / tokens/s',
    header: ['Iter', ...seeds.map((s) => `seed ${s}`)],
    rows: ledger.rows.map((row) => [
      row.id,
      ...seeds.map((s) => {
        const k = String(s);
        if (!row.seeds.includes(s)) return '—';
        const f = (m: string, d: number): string => {
          const v = row.per_seed[m]?.[k];
          return typeof v === 'number' ? v.toFixed(d) : 'n/a';
        };
        return `${f('critical_ttft_p99_ms', 1)} / ${f('sheddable_ttft_p99_ms', 1)} / ${f('throughput_tps', 0)}`;
      }),
    ]),
  };
}

async function deltaSection(ledger: LedgerReport, caption: string): Promise<Section> {
  const compared = ledger.rows.filter((r) => r.baseline !== null);
  const labels = compared.map((r) => rowLabel(r, ledger));
  const points: DeltaPoint[] = compared.flatMap((row, i) =>
    DELTA_SERIES.flatMap((s): DeltaPoint[] => {
      const delta = row.delta_pct[s.key];
      if (typeof delta !== 'number') return [];
      const ci = row.delta_ci_pct[s.key];
      const seed = row.seed_ledger.find((c) => c.key === `${s.key}_delta_pct`);
      return [{ row: labels[i]!, series: s.label, delta, ...(ci ? { ci } : {}), ...(seed ? { seedFigure: seed.seed } : {}) }];
    }),
  );
  const series = DELTA_SERIES.map((s) => s.label).filter((label) => points.some((p) => p.series === label));
  const figures: Figure[] = [];
  if (points.length > 0) {
    figures.push({
      id: 'ledger-delta',
      title: 'Change vs baseline per row: TTFT P99 per SLO class and throughput',
      svg: await renderSvg(deltaChart(points, { xTitle: 'change of the row\'s mean vs its baseline\'s mean (%)', rows: labels, series })),
      caption:
        `Dots: Δ% of the mean over the row's seeds; whiskers: 95 % paired CI (rows sharing ≥ 3 seeds with their baseline); ` +
        `open diamonds: the seed ledger's own figure where it states one. Negative TTFT is better; negative throughput is worse. ${caption}`,
      series,
    });
  }
  return {
    id: 'ledger',
    title: 'Ledger',
    intro: `${ledger.rows.length} rows; baseline ${ledger.baseline}. ${ledger.failed_evaluations > 0 ? `${ledger.failed_evaluations} evaluations failed (see Status).` : ''}`.trim(),
    figures,
    tables: [ledgerTable(ledger), absoluteTable(ledger), perSeedTable(ledger)],
  };
}

/** The simulations to repeat for the distributions: every seed of every compared row and of its baseline. */
function distributionRefs(ledger: LedgerReport): Map<string, SimulationRef> {
  const refs = new Map<string, SimulationRef>();
  const byId = new Map(ledger.rows.map((r) => [r.id, r]));
  for (const row of ledger.rows) {
    if (row.baseline === null || !row.run_args) continue;
    const base = byId.get(row.baseline);
    for (const r of [row, base]) {
      if (!r?.run_args) continue;
      for (const [seed, argv] of Object.entries(r.run_args.per_seed)) refs.set(`${r.id}/${seed}`, { argv, cwd: r.run_args.cwd });
    }
  }
  return refs;
}

async function distributionSections(ledger: LedgerReport, context: ReportContext): Promise<Section[]> {
  const compared = ledger.rows.filter((r) => r.baseline !== null);
  if (!context.distributions || compared.length === 0) return [];
  const refs = distributionRefs(ledger);
  if (refs.size === 0) {
    return [
      {
        id: 'distributions',
        title: 'Latency distributions',
        intro: 'This ledger.json records no run argv (written by an older servesim), so the distributions cannot be re-simulated; rerun the ledger.',
        figures: [],
        tables: [],
      },
    ];
  }
  const results = await context.resimulate(refs);
  const runsOf = (row: LedgerRow): SeedRun[] =>
    row.seeds.filter((s) => results.has(`${row.id}/${s}`)).map((seed) => ({ seed, ...results.get(`${row.id}/${seed}`)! }));
  const byId = new Map(ledger.rows.map((r) => [r.id, r]));
  const sections: Section[] = [];
  for (const row of compared) {
    const base = byId.get(row.baseline!)!;
    const [mine, theirs] = [runsOf(row), runsOf(base)];
    if (mine.length === 0 || theirs.length === 0) continue;
    const classes = classesOf([...mine, ...theirs]);
    const [rowName, baseName] = [`${row.id}: ${row.name}`, `${base.id}: ${base.name}`];
    const series = [...ecdfSeries(baseName, theirs, classes), ...ecdfSeries(rowName, mine, classes)];
    const order = [baseName, rowName];
    sections.push({
      id: `ecdf-${row.id}`,
      title: `Distributions: ${row.id} vs ${base.id}`,
      figures: [
        {
          id: `ecdf-figure-${row.id}`,
          title: `TTFT and E2E per SLO class: ${rowName} vs ${baseName}`,
          svg: await renderSvg(ecdfChart(series, { classes, order })),
          caption:
            `ECDF of every request's latency, pooled over seeds ${formatSeeds(mine.map((r) => r.seed))} (${baseName}: ${formatSeeds(theirs.map((r) => r.seed))}); ` +
            `ticks at 0.99: each seed's P99. Re-simulated from the stored configuration (the run argv in ledger.json) with ${context.simulatorVersion}; ` +
            `≤ ${200} points per curve.`,
          series: order,
        },
      ],
      tables: [perSeedP99Table(order, [theirs, mine], classes)],
    });
  }
  return sections;
}

/** Per seed and strategy: each class's TTFT P99 (the marks on the chart), so an outlying seed shows. */
export function perSeedP99Table(names: readonly string[], runs: ReadonlyArray<readonly SeedRun[]>, classes: readonly string[]): Table {
  return {
    title: 'Per seed: TTFT P99 / E2E P99 (ms) by class',
    header: ['strategy', 'seed', ...classes],
    rows: names.flatMap((name, i) =>
      runs[i]!.map((r) => [
        name,
        String(r.seed),
        ...classes.map((c) => {
          const [t, e] = [r.metrics[`${c}_ttft_p99_ms`], r.metrics[`${c}_e2e_p99_ms`]];
          return `${Number.isFinite(t) ? t!.toFixed(1) : 'n/a'} / ${Number.isFinite(e) ? e!.toFixed(0) : 'n/a'}`;
        }),
      ]),
    ),
  };
}

/**
 * Rows that are experiments (a sweep, a many-way comparison, an ablation) carry the same result a `--json` run of
 * that command prints, so their sections are the ones `servesim report` makes from such a file, titled by the row.
 */
async function experimentSections(ledger: LedgerReport, context: ReportContext): Promise<Section[]> {
  const sections: Section[] = [];
  for (const row of ledger.rows) {
    const experiment =
      row.sweep !== undefined ? (['sweep', row.sweep] as const)
      : row.comparison !== undefined ? (['compare-many', row.comparison] as const)
      : row.ablation !== undefined ? (['ablate', row.ablation] as const)
      : undefined;
    if (!experiment) continue;
    const document = await jsonReport(experiment[0], { ...experiment[1], simulator_version: ledger.simulator_version }, context);
    for (const [i, section] of document.sections.entries()) {
      sections.push({ ...section, id: `row-${row.id}-${i + 1}`, title: `Row ${row.id} (${row.name}): ${section.title}` });
    }
  }
  return sections;
}

export async function ledgerReport(ledger: LedgerReport, context: ReportContext): Promise<ReportDocument> {
  const caption = `Seeds ${formatSeeds(ledger.seeds)}; simulator ${ledger.simulator_version}.`;
  if (context.distributions && ledger.simulator_version !== context.simulatorVersion) {
    context.warn(`ledger.json was made with simulator ${ledger.simulator_version}; the distributions are re-simulated with ${context.simulatorVersion}`);
  }
  const sections = [await deltaSection(ledger, caption), ...(await experimentSections(ledger, context)), ...(await distributionSections(ledger, context))];
  return {
    title: ledger.title,
    subtitle: `Ledger of ${ledger.rows.length} strategies on seeds ${formatSeeds(ledger.seeds)} (rows with their own seeds marked); baseline ${ledger.baseline}; simulator ${ledger.simulator_version}.`,
    sections,
    footer: context.footer,
  };
}
