// `ledger`: run every strategy of a ledger file on the same seeds and write the seed ledger's iteration table
// (ledger.md) plus every metric per entry (ledger.json).
//
// Ledger YAML (paths relative to the ledger file):
//
//   title: Strategy Evolution Ledger
//   seeds: 42,43,44                 # default seeds; --seeds overrides
//   baseline: "0"                   # id of the entry every other entry is compared with by default
//   plugins: [plugins/edf.ts]       # optional: policy plugins loaded for every entry's strategy
//   entries:
//     - id: "0"                     # the "Iter" column
//       name: Baseline (llm-d parity)
//       strategy: strategies/baseline.yaml
//       mechanism: FCFS + constant priority      # the "Key Mechanism" column
//       baseline: "10-base"         # optional: compare this entry with another entry instead; `none`: no comparison
//       seeds: 42                   # optional: this entry's own seeds (rows the seed ledger ran on one seed);
//                                   # they win over the ledger's seeds and --seeds
//       seed_ledger:                # optional: the figures the seed ledger states, checked against ours
//         critical_ttft_p99_ms_delta_pct: -66.5    # `<metric>_delta_pct` = % change vs. the entry's baseline
//         slo_gap: {value: 4.95, tolerance: 0.1}   # plain numbers use the default tolerances below
//       note: why a figure differs, if it does
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ServesimError } from '../errors.js';
import type { StrategyEvaluator } from './evaluate.js';
import { isMetricName, metricsToJson, type MetricValues } from './metrics.js';
import { meanMetrics } from './objective.js';
import { formatSeeds, parseSeeds } from './seeds.js';
import { pairedComparison } from './stats.js';
import { defaultParameterValues, formatIssues, loadStrategy, parseYamlDocument, type Strategy } from './strategy.js';

export interface SeedFigure {
  value: number;
  tolerance: number;
}

export interface LedgerEntry {
  id: string;
  name: string;
  strategyFile: string;
  mechanism: string;
  /** Id of the entry this one is compared with; undefined for the ledger's baseline itself and `baseline: none`. */
  baseline?: string;
  /** The entry's own seeds, overriding the ledger's and --seeds. */
  seeds?: number[];
  seedLedger: Record<string, SeedFigure>;
  note: string;
}

export interface Ledger {
  file: string;
  title: string;
  seeds?: number[];
  baseline: string;
  /** Plugin files (absolute) added to every entry's strategy. */
  plugins: string[];
  entries: LedgerEntry[];
}

const figureSchema = z.union([z.number(), z.strictObject({ value: z.number(), tolerance: z.number().nonnegative() })]);

const entrySchema = z.strictObject({
  id: z.union([z.string().min(1), z.number()]),
  name: z.string().min(1),
  strategy: z.string().min(1),
  mechanism: z.string().optional(),
  baseline: z.union([z.string().min(1), z.number()]).optional(),
  seeds: z.union([z.array(z.number().int()).min(1), z.string(), z.number().int()]).optional(),
  seed_ledger: z.record(z.string(), figureSchema).optional(),
  note: z.string().optional(),
});

const ledgerSchema = z.strictObject({
  title: z.string().optional(),
  seeds: z.union([z.array(z.number().int()).min(1), z.string(), z.number().int()]).optional(),
  baseline: z.union([z.string().min(1), z.number()]),
  plugins: z.array(z.string().min(1)).optional(),
  entries: z.array(entrySchema).min(1),
});

const ALLOWED = {
  ledger: Object.keys(ledgerSchema.shape),
  entry: Object.keys(entrySchema.shape),
  figure: ['value', 'tolerance'],
};

/** Default tolerance of a seed figure by kind: percentage points for deltas, absolute for the gap, relative otherwise. */
function defaultTolerance(key: string, value: number): number {
  if (key.endsWith('_delta_pct')) return 1.0;
  if (key === 'slo_gap') return 0.05;
  return Math.max(Math.abs(value) * 0.01, 0.05);
}

export function loadLedger(file: string): Ledger {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ServesimError(`ledger file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseLedger(text, abs);
}

export function parseLedger(text: string, file: string): Ledger {
  const where = `ledger ${file}`;
  const parsed = ledgerSchema.safeParse(parseYamlDocument(text, where), { reportInput: true });
  if (!parsed.success) {
    throw new ServesimError(
      `${where}: ${formatIssues(parsed.error.issues, (path) =>
        path.length === 0 ? ALLOWED.ledger : path.length === 2 ? ALLOWED.entry : path.length === 4 ? ALLOWED.figure : undefined,
      )}`,
    );
  }
  const data = parsed.data;
  const baseline = String(data.baseline);
  const ids = new Set<string>();
  const dir = dirname(file);
  const entries = data.entries.map((e, i): LedgerEntry => {
    const id = String(e.id);
    if (ids.has(id)) throw new ServesimError(`${where}: entries[${i}].id: "${id}" is used twice`);
    ids.add(id);
    const seedLedger: Record<string, SeedFigure> = {};
    for (const [key, fig] of Object.entries(e.seed_ledger ?? {})) {
      const metric = key.endsWith('_delta_pct') ? key.slice(0, -'_delta_pct'.length) : key;
      if (!isMetricName(metric)) {
        throw new ServesimError(
          `${where}: entries[${i}].seed_ledger.${key}: unknown metric "${metric}" (keys are metric names, optionally with _delta_pct)`,
        );
      }
      seedLedger[key] = typeof fig === 'number' ? { value: fig, tolerance: defaultTolerance(key, fig) } : fig;
    }
    if (id === NO_BASELINE) throw new ServesimError(`${where}: entries[${i}].id: "${NO_BASELINE}" is reserved`);
    const explicit = e.baseline !== undefined ? String(e.baseline) : undefined;
    const entryBaseline = explicit === NO_BASELINE ? undefined : (explicit ?? (id === baseline ? undefined : baseline));
    const entrySeeds = e.seeds === undefined ? undefined : toSeedList(e.seeds, `${where}: entries[${i}].seeds`);
    return {
      id,
      name: e.name,
      strategyFile: resolve(dir, e.strategy),
      mechanism: e.mechanism ?? '',
      ...(entryBaseline !== undefined ? { baseline: entryBaseline } : {}),
      ...(entrySeeds ? { seeds: entrySeeds } : {}),
      seedLedger,
      note: e.note ?? '',
    };
  });
  if (!ids.has(baseline)) throw new ServesimError(`${where}: baseline: no entry has id "${baseline}"`);
  entries.forEach((e, i) => {
    if (e.baseline !== undefined && !ids.has(e.baseline)) {
      throw new ServesimError(`${where}: entries[${i}].baseline: no entry has id "${e.baseline}"`);
    }
  });
  const seeds = data.seeds === undefined ? undefined : toSeedList(data.seeds, `${where}: seeds`);
  const plugins = (data.plugins ?? []).map((plugin) => resolve(dir, plugin));
  return { file, title: data.title ?? 'Strategy ledger', ...(seeds ? { seeds } : {}), baseline, plugins, entries };
}

const NO_BASELINE = 'none';

function toSeedList(value: number | string | number[], field: string): number[] {
  if (Array.isArray(value)) {
    if (new Set(value).size !== value.length) throw new ServesimError(`${field}: a seed is listed twice`);
    return [...value];
  }
  return parseSeeds(String(value), field);
}

export interface FigureCheck {
  key: string;
  ours: number;
  seed: number;
  difference: number;
  tolerance: number;
  matches: boolean;
}

export interface LedgerRow {
  id: string;
  name: string;
  strategy: string;
  baseline: string | null;
  mechanism: string;
  seeds: number[];
  mean: Record<string, number | null>;
  per_seed: Record<string, Record<string, number | null>>;
  /** % change of each metric's mean vs. the baseline entry's mean (absent for the baseline). */
  delta_pct: Record<string, number | null>;
  /** 95 % CI of delta_pct (paired Student's t) when the row and its baseline share at least 3 seeds. */
  delta_ci_pct: Record<string, [number, number] | null>;
  seed_ledger: FigureCheck[];
  status: string;
  note: string;
  /** Seeds whose simulation failed (e.g. a reference-crash condition), with the error; the row uses the others. */
  failed_seeds: SeedFailure[];
  /** The `run` argv of each seed that ran and the directory its relative paths resolve against (`servesim report` re-simulates them). */
  run_args?: { cwd: string; per_seed: Record<string, string[]> };
}

export interface SeedFailure {
  seed: number;
  error: string;
}

/** What one entry's evaluations gave: metrics for the seeds that ran, errors for those that failed. */
export interface EntryOutcome {
  seeds: number[];
  metrics: MetricValues[];
  failures: SeedFailure[];
  /** The `run` argv per seed that ran (parallel to `seeds`) and its working directory. */
  argv?: string[][];
  cwd?: string;
}

export interface LedgerReport {
  title: string;
  /** Id of the ledger's main baseline entry. */
  baseline: string;
  seeds: number[];
  simulator_version: string;
  rows: LedgerRow[];
  /** Evaluations that failed across all rows (0 for a complete ledger). */
  failed_evaluations: number;
}

/** Seeds an entry runs on: its own, else the run's. */
export function entrySeeds(entry: LedgerEntry, seeds: readonly number[]): readonly number[] {
  return entry.seeds ?? seeds;
}

export function countLedgerEvaluations(ledger: Ledger, seeds: readonly number[]): number {
  return ledger.entries.reduce((n, e) => n + entrySeeds(e, seeds).length, 0);
}

/** `variant` adjusts each loaded strategy (the command line's --set overrides). */
export async function runLedger(
  ledger: Ledger,
  seeds: readonly number[],
  evaluator: StrategyEvaluator,
  variant: (strategy: Strategy) => Strategy = (strategy) => strategy,
): Promise<LedgerReport> {
  const strategies = new Map<string, Strategy>(
    ledger.entries.map((e) => [e.id, variant(loadStrategy(e.strategyFile, { plugins: ledger.plugins }))]),
  );
  // Every entry × seed is handed to the pool at once; the pool bounds the parallelism. A seed that fails with a
  // user-facing error (bad input, a reference-crash condition) is recorded in its row; the ledger goes on.
  const outcomes = await Promise.all(
    ledger.entries.map(async (e): Promise<[string, EntryOutcome]> => {
      const strategy = strategies.get(e.id)!;
      const params = defaultParameterValues(strategy);
      const rowSeeds = entrySeeds(e, seeds);
      const settled = await Promise.allSettled(rowSeeds.map((seed) => evaluator.evaluateSeed(strategy, params, seed)));
      const outcome: EntryOutcome = { seeds: [], metrics: [], failures: [], argv: [], cwd: strategy.file === '' ? process.cwd() : dirname(strategy.file) };
      settled.forEach((result, i) => {
        if (result.status === 'fulfilled') {
          outcome.seeds.push(rowSeeds[i]!);
          outcome.metrics.push(result.value.metrics);
          outcome.argv!.push(result.value.argv);
        } else if (result.reason instanceof ServesimError) {
          outcome.failures.push({ seed: rowSeeds[i]!, error: result.reason.message });
        } else {
          throw result.reason;
        }
      });
      return [e.id, outcome];
    }),
  );
  return buildLedgerReport(ledger, seeds, new Map(outcomes), evaluator.simVersion);
}

/** Metrics of `outcome` restricted to `seeds` (in that order). */
function onSeeds(outcome: EntryOutcome, seeds: readonly number[]): MetricValues[] {
  return seeds.map((seed) => outcome.metrics[outcome.seeds.indexOf(seed)]!);
}

/**
 * Turns per-seed metrics into the report (separate from simulation for tests). Δ% compares an entry's mean with
 * its baseline's mean, each over its own seeds: a paired comparison when both run on the same seeds (the normal
 * case), and the seed ledger's method for its single-seed rows.
 */
export function buildLedgerReport(
  ledger: Ledger,
  seeds: readonly number[],
  outcomes: ReadonlyMap<string, EntryOutcome>,
  simulatorVersion: string,
): LedgerReport {
  const rows = ledger.entries.map((entry): LedgerRow => {
    const outcome = outcomes.get(entry.id)!;
    const mean = meanMetrics(outcome.metrics);
    const perSeed = outcome.metrics;
    const rowSeeds = outcome.seeds;
    const baseOutcome = entry.baseline !== undefined ? outcomes.get(entry.baseline)! : undefined;
    const delta: MetricValues = {};
    const deltaCi: Record<string, [number, number] | null> = {};
    if (baseOutcome && outcome.seeds.length > 0) {
      // Paired on the seeds both ran (a failed seed drops out of both sides); each over its own seeds otherwise.
      const common = rowSeeds.filter((s) => baseOutcome.seeds.includes(s));
      const [ours, theirs] =
        common.length > 0 ? [meanMetrics(onSeeds(outcome, common)), meanMetrics(onSeeds(baseOutcome, common))] : [mean, meanMetrics(baseOutcome.metrics)];
      for (const key of Object.keys(ours)) delta[key] = percentChange(theirs[key]!, ours[key]!);
      if (common.length >= 3) {
        const [mine, base] = [onSeeds(outcome, common), onSeeds(baseOutcome, common)];
        for (const key of Object.keys(ours)) {
          const p = pairedComparison(base.map((m) => m[key] ?? NaN), mine.map((m) => m[key] ?? NaN));
          deltaCi[key] = Number.isFinite(p.ciLowPct) && Number.isFinite(p.ciHighPct) ? [p.ciLowPct, p.ciHighPct] : null;
        }
      }
    }

    const checks = Object.entries(entry.seedLedger).map(([key, fig]): FigureCheck => {
      const ours = key.endsWith('_delta_pct') ? (delta[key.slice(0, -'_delta_pct'.length)] ?? NaN) : (mean[key] ?? NaN);
      const difference = ours - fig.value;
      return { key, ours, seed: fig.value, difference, tolerance: fig.tolerance, matches: Math.abs(difference) <= fig.tolerance };
    });
    const perSeedByMetric: Record<string, Record<string, number | null>> = {};
    for (const key of Object.keys(mean)) {
      perSeedByMetric[key] = Object.fromEntries(rowSeeds.map((s, i) => [String(s), numberOrNull(perSeed[i]![key]!)]));
    }
    return {
      id: entry.id,
      name: entry.name,
      strategy: entry.strategyFile,
      baseline: entry.baseline ?? null,
      mechanism: entry.mechanism,
      seeds: [...rowSeeds],
      mean: metricsToJson(mean),
      per_seed: perSeedByMetric,
      delta_pct: metricsToJson(delta),
      delta_ci_pct: deltaCi,
      seed_ledger: checks,
      status: withFailures(comparable(ledger, entry, seeds) ? statusOf(entry, checks) : notCompared(ledger, entry, seeds), outcome),
      note: entry.note,
      failed_seeds: outcome.failures,
      ...(outcome.argv && outcome.cwd !== undefined
        ? { run_args: { cwd: outcome.cwd, per_seed: Object.fromEntries(rowSeeds.map((s, i) => [String(s), outcome.argv![i]!])) } }
        : {}),
    };
  });
  const failed = rows.reduce((n, row) => n + row.failed_seeds.length, 0);
  return { title: ledger.title, baseline: ledger.baseline, seeds: [...seeds], simulator_version: simulatorVersion, rows, failed_evaluations: failed };
}

/** The seed ledger's figures describe the ledger's own seeds (or the entry's): only a run on those compares. */
function comparable(ledger: Ledger, entry: LedgerEntry, seeds: readonly number[]): boolean {
  if (Object.keys(entry.seedLedger).length === 0) return true;
  const theirs = entry.seeds ?? ledger.seeds;
  return theirs === undefined || formatSeeds(theirs) === formatSeeds(entrySeeds(entry, seeds));
}

function notCompared(ledger: Ledger, entry: LedgerEntry, seeds: readonly number[]): string {
  const theirs = formatSeeds(entry.seeds ?? ledger.seeds ?? []);
  return `Measured on seeds ${formatSeeds(entrySeeds(entry, seeds))}; the seed ledger's figures are for seeds ${theirs}, not compared`;
}

/** The status with the failed seeds in front: they are not in the row's figures. */
function withFailures(status: string, outcome: EntryOutcome): string {
  if (outcome.failures.length === 0) return status;
  const seeds = outcome.failures.map((f) => f.seed).join(', ');
  const reason = outcome.failures[0]!.error.replace(/^strategy [^,]+, seed \d+: /, '');
  if (outcome.seeds.length === 0) return `Failed on every seed (${seeds}): ${reason}`;
  return `Partial: seed${outcome.failures.length > 1 ? 's' : ''} ${seeds} failed (${reason}); figures over the other ${outcome.seeds.length}; ${status}`;
}

function numberOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function percentChange(from: number, to: number): number {
  return from === 0 ? (to === 0 ? 0 : NaN) : (100 * (to - from)) / Math.abs(from);
}

function statusOf(entry: LedgerEntry, checks: readonly FigureCheck[]): string {
  if (checks.length === 0) return entry.baseline === undefined ? 'Measured' : 'Measured (no seed figures)';
  const off = checks.filter((c) => !c.matches);
  if (off.length === 0) return `Reproduced (${checks.length} seed figure${checks.length > 1 ? 's' : ''})`;
  return `Differs: ${off.map((c) => `${shortFigure(c.key)} ${fixed(c.ours, 1)} vs seed ${fixed(c.seed, 1)}`).join('; ')}`;
}

const CLASS_LABEL: Record<string, string> = { critical: 'Crit', standard: 'Std', sheddable: 'Shed' };

function shortFigure(key: string): string {
  return key
    .replace(/_delta_pct$/, ' Δ%')
    .replace(/^(critical|standard|sheddable)_/, (_, c: string) => `${CLASS_LABEL[c]} `)
    .replace('ttft_p99_ms', 'TTFT P99')
    .replace('throughput_tps', 'TPS');
}

function fixed(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  return v.toFixed(digits);
}

function signedPct(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  const rounded = v.toFixed(1);
  if (rounded === '-0.0' || rounded === '0.0') return '0.0%'; // no sign on a change that rounds away
  return v > 0 ? `+${rounded}%` : `${rounded}%`;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** ledger.md: the seed ledger's "Iteration Summary" table, then the per-seed figures and the seed cross-check. */
export function formatLedgerMarkdown(report: LedgerReport): string {
  const lines: string[] = [];
  lines.push(`# ${report.title}`, '');
  lines.push(
    `Seeds ${report.seeds.join('/')} (rows marked with their own seeds excepted); every figure is the mean over a row's seeds. ` +
      `Δ% = change of the row's mean vs. its baseline's mean (Iter ${report.baseline} unless noted). Simulator ${report.simulator_version}.`,
    '',
  );
  lines.push('## Iteration Summary', '');
  lines.push('| Iter | Strategy Name | TTFT P99 Δ% | Throughput Δ% | SLO Gap | Rejections | Key Mechanism | Status |');
  lines.push('|------|--------------|-------------|---------------|---------|------------|---------------|--------|');
  for (const row of report.rows) {
    const ttft =
      row.baseline === null
        ? '—'
        : ['critical', 'standard', 'sheddable']
            .map((cls) => `${CLASS_LABEL[cls]}: ${signedPct(row.delta_pct[`${cls}_ttft_p99_ms`])}`)
            .join(', ') + (row.baseline !== report.baseline ? ` (vs ${row.baseline})` : '');
    const tput = row.baseline === null ? '—' : signedPct(row.delta_pct.throughput_tps);
    const gap = typeof row.mean.slo_gap === 'number' ? `${row.mean.slo_gap.toFixed(2)}x` : 'n/a';
    const rejected = row.mean.rejected ?? 0;
    const offered = rejected + (row.mean.injected ?? 0);
    const rejections = rejected === 0 ? '0' : `${fixed(rejected, 1)} (${((100 * rejected) / offered).toFixed(1)}%)`;
    const status = row.note ? `${row.status} — ${row.note}` : row.status;
    const ownSeeds = row.seeds.length > 0 && formatSeeds(row.seeds) !== formatSeeds(report.seeds);
    const name = ownSeeds ? `${row.name} (seed${row.seeds.length > 1 ? 's' : ''} ${formatSeeds(row.seeds)})` : row.name;
    lines.push(`| ${[row.id, name, ttft, tput, gap, rejections, row.mechanism, status].map(mdCell).join(' | ')} |`);
  }
  lines.push('', '## Absolute figures (means)', '');
  lines.push('| Iter | TTFT P99 ms | Crit / Std / Shed TTFT P99 ms | E2E P99 ms | Sched. delay P99 ms | tokens/s | Rejected | Preemptions |');
  lines.push('|------|-------------|-------------------------------|------------|---------------------|----------|----------|-------------|');
  for (const row of report.rows) {
    const m = row.mean;
    lines.push(
      `| ${[
        row.id,
        fixed(m.ttft_p99_ms, 1),
        `${fixed(m.critical_ttft_p99_ms, 1)} / ${fixed(m.standard_ttft_p99_ms, 1)} / ${fixed(m.sheddable_ttft_p99_ms, 1)}`,
        fixed(m.e2e_p99_ms, 1),
        fixed(m.scheduling_delay_p99_ms, 1),
        fixed(m.throughput_tps, 0),
        fixed(m.rejected, 1),
        fixed(m.preemptions, 1),
      ].join(' | ')} |`,
    );
  }
  const withCi = report.rows.filter((r) => Object.keys(r.delta_ci_pct).length > 0);
  if (withCi.length > 0) {
    lines.push('', "## Δ% with 95 % confidence intervals (paired Student's t, rows sharing ≥ 3 seeds with their baseline)", '');
    lines.push('| Iter | vs | Crit TTFT P99 Δ% | Std TTFT P99 Δ% | Shed TTFT P99 Δ% | Throughput Δ% |');
    lines.push('|------|----|------------------|-----------------|------------------|---------------|');
    const withInterval = (row: LedgerRow, key: string): string => {
      const ci = row.delta_ci_pct[key];
      const flag = ci && ci[0] <= 0 && ci[1] >= 0 ? ' n.s.' : '';
      return `${signedPct(row.delta_pct[key])}${ci ? ` [${signedPct(ci[0])}, ${signedPct(ci[1])}]${flag}` : ''}`;
    };
    for (const row of withCi) {
      const cells = ['critical_ttft_p99_ms', 'standard_ttft_p99_ms', 'sheddable_ttft_p99_ms', 'throughput_tps'].map((k) => withInterval(row, k));
      lines.push(`| ${[row.id, row.baseline ?? '', ...cells].map(mdCell).join(' | ')} |`);
    }
  }
  const allSeeds = [...new Set([...report.seeds, ...report.rows.flatMap((r) => r.seeds)])];
  lines.push('', '## Per seed', '');
  lines.push(`| Iter | ${allSeeds.map((s) => `seed ${s}: TTFT P99 / crit TTFT P99 / tokens/s`).join(' | ')} |`);
  lines.push(`|------|${allSeeds.map(() => '---').join('|')}|`);
  for (const row of report.rows) {
    const cells = allSeeds.map((s) => {
      const k = String(s);
      if (!row.seeds.includes(s)) return '—';
      return `${fixed(row.per_seed.ttft_p99_ms?.[k], 1)} / ${fixed(row.per_seed.critical_ttft_p99_ms?.[k], 1)} / ${fixed(row.per_seed.throughput_tps?.[k], 0)}`;
    });
    lines.push(`| ${row.id} | ${cells.join(' | ')} |`);
  }
  const checked = report.rows.filter((r) => r.seed_ledger.length > 0);
  if (checked.length > 0) {
    lines.push('', '## Reproduction vs. the seed ledger', '');
    lines.push('| Iter | Figure | Ours | Seed | Difference | Tolerance | |');
    lines.push('|------|--------|------|------|------------|-----------|---|');
    for (const row of checked) {
      for (const c of row.seed_ledger) {
        lines.push(
          `| ${row.id} | ${c.key} | ${fixed(c.ours, 2)} | ${fixed(c.seed, 2)} | ${c.difference >= 0 ? '+' : ''}${fixed(c.difference, 2)} | ±${c.tolerance} | ${c.matches ? 'ok' : '**differs**'} |`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
