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
//
// An entry may also be an experiment of several runs, reusing the sweep, compare and ablate engines (`kind`):
//
//     - id: "7-kv"
//       kind: sweep                 # a grid of run-flag values (sweep.ts); `reference:` adds the paired Δ per point
//       strategy: strategies/iter5-no-chunk.yaml
//       vary: ["total-kv-blocks,kv-cpu-blocks=132139:44046,2000:666"]   # as `servesim sweep --vary`
//       metrics: [critical_ttft_p99_ms, throughput_tps]                 # optional: the table's metrics
//       seed_ledger:                # a list of claims, each a figure at some grid points / for some strategy
//         - {at: {total-kv-blocks: 2000}, seeds: 42, critical_ttft_p99_ms: {value: 118, tolerance: 3}}
//     - {id: "6-local", kind: comparison, strategies: [a.yaml, b.yaml, c.yaml]}  # the first is the reference
//     - {id: "5-ablate", kind: ablation, strategy: iter5.yaml, reference: baseline.yaml}   # its `components:`
//
// A claim's `seeds:` ties its figure to the seeds it describes: checked on those seeds (when the run has them)
// whatever seeds the entry runs on. Claim keys: a metric (the mean), `<metric>_delta_pct` (vs the sweep's reference
// at the same point, else the entry's baseline entry; vs a comparison's reference; an ablation's full strategy vs its
// baseline), and for an ablation component (`for: NAME`) `<metric>_add_one_pct` / `<metric>_leave_one_out_pct`.
// A figure may be one-sided: `{at_least: 0}`, `{at_most: 120}` (plus an optional tolerance).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ServesimError } from '../errors.js';
import { ablationResultFrom, ablationVariants, checkComponents, type AblationResult, type Component } from './ablate.js';
import { COMPARE_CLASS_METRICS, COMPARE_CLUSTER_METRICS } from './compare.js';
import { buildMultiComparison, type MultiCompareResult } from './compare-many.js';
import type { StrategyEvaluator } from './evaluate.js';
import { isMetricName, metricsToJson, SLO_CLASSES, type MetricValues } from './metrics.js';
import { meanMetrics } from './objective.js';
import { formatSeeds, parseSeeds } from './seeds.js';
import { commonSeeds, metricsOnSeeds, settleSeeds, type SeedFailure, type SeedOutcomes } from './settle.js';
import { pairedComparison } from './stats.js';
import { formatIssues, loadStrategy, parseYamlDocument, type Strategy } from './strategy.js';
import { buildSweepResult, expandGrid, parseVary, sweepVariants, type SweepResult, type Vary } from './sweep.js';

export interface SeedFigure {
  value: number;
  tolerance: number;
  /** A one-sided figure: ours must be at least (or at most) `value`, give or take the tolerance. */
  bound?: 'at_least' | 'at_most';
}

export type LedgerEntryKind = 'strategy' | 'comparison' | 'sweep' | 'ablation';

/** One figure of an experiment entry's seed_ledger list, with where it holds. */
export interface Claim {
  key: string;
  figure: SeedFigure;
  /** Sweep: the grid values it holds at (every listed value of every named flag); absent: every point. */
  at?: Record<string, string[]>;
  /** Comparison: the strategy (name) it is about, absent: every non-reference one; ablation: a component, absent: the full strategy. */
  for?: string;
  /** The seeds the figure describes (checked on those, whatever seeds the entry runs). */
  seeds?: number[];
}

export interface LedgerEntry {
  id: string;
  name: string;
  kind: LedgerEntryKind;
  /** The entry's strategy (a comparison's reference: its first strategy). */
  strategyFile: string;
  /** A comparison's strategies, the reference first; [strategyFile] otherwise. */
  strategyFiles: string[];
  /** A sweep's reference (run with the same varied flags) or an ablation's baseline. */
  referenceFile?: string;
  /** A sweep's --vary values and the grid they span. */
  vary: Vary[];
  grid: Array<Record<string, string>>;
  /** The metrics of an experiment entry's tables. */
  metrics: string[];
  /** An experiment entry's seed figures. */
  claims: Claim[];
  mechanism: string;
  /** Id of the entry this one is compared with; undefined for the ledger's baseline itself and `baseline: none`. */
  baseline?: string;
  /** The entry's own seeds, overriding the ledger's and --seeds. */
  seeds?: number[];
  seedLedger: Record<string, SeedFigure>;
  note: string;
  /** The seeds the note's figures describe; a row run on other seeds shows the note as about those. */
  noteSeeds?: number[];
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

const figureSchema = z.union([
  z.number(),
  z.strictObject({ value: z.number(), tolerance: z.number().nonnegative() }),
  z.strictObject({ at_least: z.number(), tolerance: z.number().nonnegative().optional() }),
  z.strictObject({ at_most: z.number(), tolerance: z.number().nonnegative().optional() }),
]);

const seedListSchema = z.union([z.array(z.number().int()).min(1), z.string(), z.number().int()]);

const entrySchema = z.strictObject({
  id: z.union([z.string().min(1), z.number()]),
  name: z.string().min(1),
  kind: z.enum(['strategy', 'comparison', 'sweep', 'ablation']).optional(),
  strategy: z.string().min(1).optional(),
  strategies: z.array(z.string().min(1)).min(2).optional(),
  reference: z.string().min(1).optional(),
  vary: z.array(z.string().min(1)).min(1).optional(),
  metrics: z.array(z.string().min(1)).min(1).optional(),
  mechanism: z.string().optional(),
  baseline: z.union([z.string().min(1), z.number()]).optional(),
  seeds: seedListSchema.optional(),
  seed_ledger: z.union([z.record(z.string(), figureSchema), z.array(z.record(z.string(), z.unknown())).min(1)]).optional(),
  note: z.string().optional(),
  note_seeds: seedListSchema.optional(),
});

/** The tables of an experiment entry show these unless it lists its own `metrics`. */
export const DEFAULT_EXPERIMENT_METRICS = ['critical_ttft_p99_ms', 'standard_ttft_p99_ms', 'sheddable_ttft_p99_ms', 'throughput_tps'];

/** The metrics a many-way comparison computes (compare-many.ts). */
const COMPARED_METRICS = new Set<string>([...COMPARE_CLUSTER_METRICS, ...SLO_CLASSES.flatMap((cls) => COMPARE_CLASS_METRICS.map((m) => `${cls}_${m}`))]);

/** Which fields each kind takes (besides id, name, kind, mechanism, seeds, seed_ledger, note). */
const KIND_FIELDS: Record<LedgerEntryKind, { required: string[]; allowed: string[] }> = {
  strategy: { required: ['strategy'], allowed: ['strategy', 'baseline'] },
  comparison: { required: ['strategies'], allowed: ['strategies', 'metrics'] },
  sweep: { required: ['strategy', 'vary'], allowed: ['strategy', 'vary', 'reference', 'metrics', 'baseline'] },
  ablation: { required: ['strategy', 'reference'], allowed: ['strategy', 'reference', 'metrics'] },
};
const KIND_SPECIFIC = ['strategy', 'strategies', 'reference', 'vary', 'metrics', 'baseline'] as const;

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

/** A seed figure from its YAML form (a number uses the default tolerance of its kind). */
function toFigure(key: string, fig: z.infer<typeof figureSchema>): SeedFigure {
  if (typeof fig === 'number') return { value: fig, tolerance: defaultTolerance(key, fig) };
  if ('at_least' in fig) return { value: fig.at_least, tolerance: fig.tolerance ?? 0, bound: 'at_least' };
  if ('at_most' in fig) return { value: fig.at_most, tolerance: fig.tolerance ?? 0, bound: 'at_most' };
  return fig;
}

const CLAIM_SUFFIXES = ['_delta_pct', '_add_one_pct', '_leave_one_out_pct'] as const;

/** The metric a figure key is about: the key without its suffix. */
function claimMetric(key: string): { metric: string; suffix: string } {
  const suffix = CLAIM_SUFFIXES.find((s) => key.endsWith(s)) ?? '';
  return { metric: key.slice(0, key.length - suffix.length), suffix };
}

/** An experiment entry's seed_ledger list: each item's figures with its `at`, `for` and `seeds`. */
function parseClaims(items: ReadonlyArray<Record<string, unknown>>, kind: LedgerEntryKind, grid: ReadonlyArray<Record<string, string>>, at: string): Claim[] {
  return items.flatMap((item, j) => {
    const where = `${at}.seed_ledger[${j}]`;
    const { at: atRaw, for: forRaw, seeds: seedsRaw, ...figures } = item;
    const claim: Omit<Claim, 'key' | 'figure'> = {};
    if (atRaw !== undefined) {
      if (kind !== 'sweep') throw new ServesimError(`${where}.at: only a sweep entry has grid points`);
      if (typeof atRaw !== 'object' || atRaw === null || Array.isArray(atRaw)) throw new ServesimError(`${where}.at: expected {NAME: value or [values]}`);
      claim.at = {};
      for (const [name, raw] of Object.entries(atRaw)) {
        const values = (Array.isArray(raw) ? raw : [raw]).map(String);
        const taken = new Set(grid.map((p) => p[name]).filter((v) => v !== undefined));
        if (taken.size === 0) throw new ServesimError(`${where}.at.${name}: not a varied name (varied: ${Object.keys(grid[0] ?? {}).join(', ')})`);
        for (const v of values) if (!taken.has(v)) throw new ServesimError(`${where}.at.${name}: ${v} is not a grid value (${[...taken].join(', ')})`);
        claim.at[name] = values;
      }
    }
    if (forRaw !== undefined) {
      if (kind !== 'comparison' && kind !== 'ablation') throw new ServesimError(`${where}.for: only comparison and ablation entries have strategies or components to name`);
      if (typeof forRaw !== 'string' || forRaw === '') throw new ServesimError(`${where}.for: expected a strategy or component name, got ${JSON.stringify(forRaw)}`);
      claim.for = forRaw;
    }
    if (seedsRaw !== undefined) {
      const parsed = seedListSchema.safeParse(seedsRaw);
      if (!parsed.success) throw new ServesimError(`${where}.seeds: expected a seed list (42, "42-44" or [42, 43]), got ${JSON.stringify(seedsRaw)}`);
      claim.seeds = toSeedList(parsed.data, `${where}.seeds`);
    }
    const keys = Object.keys(figures);
    if (keys.length === 0) throw new ServesimError(`${where}: no figure (keys: a metric name, optionally with _delta_pct)`);
    return keys.map((key): Claim => {
      const { metric, suffix } = claimMetric(key);
      if (!isMetricName(metric)) throw new ServesimError(`${where}.${key}: unknown metric "${metric}" (keys are metric names, optionally with ${CLAIM_SUFFIXES.join(', ')})`);
      const componentKey = suffix === '_add_one_pct' || suffix === '_leave_one_out_pct';
      if (componentKey && (kind !== 'ablation' || claim.for === undefined)) {
        throw new ServesimError(`${where}.${key}: ${suffix.slice(1)} is the effect of an ablation component (give for: COMPONENT)`);
      }
      if (kind === 'ablation' && claim.for !== undefined && !componentKey) {
        throw new ServesimError(`${where}.${key}: a component's figures are <metric>_add_one_pct or <metric>_leave_one_out_pct`);
      }
      const parsed = figureSchema.safeParse(figures[key]);
      if (!parsed.success) throw new ServesimError(`${where}.${key}: expected a number, {value, tolerance}, {at_least} or {at_most}, got ${JSON.stringify(figures[key])}`);
      return { key, figure: toFigure(key, parsed.data), ...claim };
    });
  });
}

/** Errors of the sweep engine (`--vary: …`, `--metrics: …`) restated at the YAML path that gave the value. */
function atPath<T>(path: string, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof ServesimError) throw new ServesimError(`${path}: ${err.message.replace(/^--(vary|metrics): /, '')}`);
    throw err;
  }
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
    const at = `${where}: entries[${i}]`;
    const kind = e.kind ?? 'strategy';
    const fields = KIND_FIELDS[kind];
    for (const key of fields.required) {
      if (e[key as keyof typeof e] === undefined) throw new ServesimError(`${at}.${key}: required for kind ${kind}`);
    }
    for (const key of KIND_SPECIFIC) {
      if (e[key] !== undefined && !fields.allowed.includes(key)) {
        throw new ServesimError(`${at}.${key}: not a field of kind ${kind} (it takes ${fields.allowed.join(', ')})`);
      }
    }
    const seedLedger: Record<string, SeedFigure> = {};
    let claims: Claim[] = [];
    const vary = (e.vary ?? []).map((v, k) => atPath(`${at}.vary[${k}]`, () => parseVary(v)));
    const grid = kind === 'sweep' ? atPath(`${at}.vary`, () => expandGrid(vary)) : [];
    const metrics = e.metrics ?? DEFAULT_EXPERIMENT_METRICS;
    e.metrics?.forEach((m, k) => {
      if (!isMetricName(m)) throw new ServesimError(`${at}.metrics[${k}]: unknown metric "${m}"`);
      if (kind === 'comparison' && !COMPARED_METRICS.has(m)) throw new ServesimError(`${at}.metrics[${k}]: a comparison reports ${[...COMPARED_METRICS].join(', ')}; got "${m}"`);
    });
    if (Array.isArray(e.seed_ledger)) {
      if (kind === 'strategy') throw new ServesimError(`${at}.seed_ledger: a list of claims is for comparison, sweep and ablation entries; a strategy entry's is {FIGURE: value}`);
      claims = parseClaims(e.seed_ledger, kind, grid, at);
    } else if (e.seed_ledger !== undefined) {
      if (kind !== 'strategy') throw new ServesimError(`${at}.seed_ledger: expected a list of claims ([{at, for, seeds, FIGURE: value}, …]) for kind ${kind}`);
      for (const [key, fig] of Object.entries(e.seed_ledger)) {
        const metric = key.endsWith('_delta_pct') ? key.slice(0, -'_delta_pct'.length) : key;
        if (!isMetricName(metric)) {
          throw new ServesimError(
            `${where}: entries[${i}].seed_ledger.${key}: unknown metric "${metric}" (keys are metric names, optionally with _delta_pct)`,
          );
        }
        seedLedger[key] = toFigure(key, fig);
      }
    }
    if (id === NO_BASELINE) throw new ServesimError(`${where}: entries[${i}].id: "${NO_BASELINE}" is reserved`);
    const explicit = e.baseline !== undefined ? String(e.baseline) : undefined;
    // Only strategy rows and sweeps without a reference compare with another entry.
    const comparesWithEntry = kind === 'strategy' || (kind === 'sweep' && e.reference === undefined);
    const entryBaseline = !comparesWithEntry || explicit === NO_BASELINE ? undefined : (explicit ?? (id === baseline ? undefined : baseline));
    const entrySeeds = e.seeds === undefined ? undefined : toSeedList(e.seeds, `${where}: entries[${i}].seeds`);
    const strategyFiles = (e.strategies ?? [e.strategy!]).map((f) => resolve(dir, f));
    return {
      id,
      name: e.name,
      kind,
      strategyFile: strategyFiles[0]!,
      strategyFiles,
      ...(e.reference !== undefined ? { referenceFile: resolve(dir, e.reference) } : {}),
      vary,
      grid,
      metrics,
      claims,
      mechanism: e.mechanism ?? '',
      ...(entryBaseline !== undefined ? { baseline: entryBaseline } : {}),
      ...(entrySeeds ? { seeds: entrySeeds } : {}),
      seedLedger,
      note: e.note ?? '',
      ...(e.note_seeds !== undefined ? { noteSeeds: toSeedList(e.note_seeds, `${at}.note_seeds`) } : {}),
    };
  });
  if (!ids.has(baseline)) throw new ServesimError(`${where}: baseline: no entry has id "${baseline}"`);
  const kinds = new Map(entries.map((e) => [e.id, e.kind]));
  if (kinds.get(baseline) !== 'strategy') throw new ServesimError(`${where}: baseline: entry "${baseline}" is a ${kinds.get(baseline)}, not a strategy`);
  entries.forEach((e, i) => {
    if (e.baseline !== undefined && !ids.has(e.baseline)) {
      throw new ServesimError(`${where}: entries[${i}].baseline: no entry has id "${e.baseline}"`);
    }
    if (e.baseline !== undefined && kinds.get(e.baseline) !== 'strategy') {
      throw new ServesimError(`${where}: entries[${i}].baseline: entry "${e.baseline}" is a ${kinds.get(e.baseline)}, not a strategy`);
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
  /** A one-sided figure (ours ≥ or ≤ seed, give or take the tolerance). */
  bound?: 'at_least' | 'at_most';
  /** Experiment entries: the grid point, the strategy or component, and the seeds the figure is about. */
  at?: Record<string, string>;
  for?: string;
  seeds?: number[];
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
  /** The seeds the note's figures describe (when the ledger says). */
  note_seeds?: number[];
  /** Seeds whose simulation failed (e.g. a reference-crash condition), with the error; the row uses the others. */
  failed_seeds: LedgerSeedFailure[];
  /** The `run` argv of each seed that ran and the directory its relative paths resolve against (`servesim report` re-simulates them). */
  run_args?: { cwd: string; per_seed: Record<string, string[]> };
  /** `strategy` for a row of one strategy; an experiment row carries its table in the field named by its kind. */
  kind: LedgerEntryKind;
  /** An experiment row's metrics (its tables' columns). */
  metrics?: string[];
  sweep?: SweepResult;
  comparison?: MultiCompareResult;
  ablation?: AblationResult;
}

export type { SeedFailure } from './settle.js';

/** A failed seed; in an experiment row also which of its runs failed (a grid point and side, a strategy, a variant). */
export interface LedgerSeedFailure extends SeedFailure {
  variant?: string;
}

/** What one strategy entry's evaluations gave: metrics for the seeds that ran, errors for those that failed. */
export type EntryOutcome = SeedOutcomes;

type StrategyInfo = Pick<Strategy, 'name' | 'file' | 'workloadSpec' | 'fixedArgs'>;

/** What an experiment entry's evaluations gave, run by run. */
export type ExperimentOutcome =
  | { kind: 'comparison'; strategies: StrategyInfo[]; outcomes: SeedOutcomes[] }
  | { kind: 'sweep'; strategy: StrategyInfo; reference?: StrategyInfo; points: Array<Record<string, string>>; measured: Array<{ own: SeedOutcomes; ref?: SeedOutcomes }> }
  /** `outcomes` in the order of ablationVariants: baseline, full, each add-one, each leave-one-out. */
  | { kind: 'ablation'; full: StrategyInfo; baseline: StrategyInfo; components: Component[]; outcomes: SeedOutcomes[] };

export type LedgerOutcome = EntryOutcome | ExperimentOutcome;

function isExperiment(outcome: LedgerOutcome): outcome is ExperimentOutcome {
  return 'kind' in outcome;
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

/** What an entry runs: its strategies, grid points or ablation variants, built (and so checked) before any simulation. */
type EntryPlan =
  | { kind: 'strategy'; strategy: Strategy }
  | { kind: 'comparison'; strategies: Strategy[] }
  | { kind: 'sweep'; strategy: Strategy; reference?: Strategy; variants: ReturnType<typeof sweepVariants> }
  | { kind: 'ablation'; full: Strategy; baseline: Strategy; components: Component[]; variants: Strategy[] };

function planEntry(ledger: Ledger, entry: LedgerEntry, load: (file: string) => Strategy): EntryPlan {
  const at = `ledger ${ledger.file}: entry ${entry.id}`;
  const claimFor = (names: readonly string[], what: string) => {
    for (const claim of entry.claims) {
      if (claim.for !== undefined && !names.includes(claim.for)) throw new ServesimError(`${at}: seed_ledger: for: "${claim.for}" is not one of the ${what} (${names.join(', ')})`);
    }
  };
  switch (entry.kind) {
    case 'strategy':
      return { kind: 'strategy', strategy: load(entry.strategyFile) };
    case 'comparison': {
      const strategies = entry.strategyFiles.map(load);
      claimFor(strategies.slice(1).map((s) => s.name), 'compared strategies');
      return { kind: 'comparison', strategies };
    }
    case 'sweep': {
      const strategy = load(entry.strategyFile);
      const reference = entry.referenceFile !== undefined ? load(entry.referenceFile) : undefined;
      const variants = sweepVariants(strategy, reference, entry.grid, dirname(ledger.file), `${at}: vary`);
      return { kind: 'sweep', strategy, ...(reference ? { reference } : {}), variants };
    }
    case 'ablation': {
      const full = load(entry.strategyFile);
      const baseline = load(entry.referenceFile!);
      atPath(at, () => checkComponents(full, full.components));
      claimFor(full.components.map((c) => c.name), 'components');
      return { kind: 'ablation', full, baseline, components: full.components, variants: ablationVariants(full, baseline, full.components) };
    }
  }
}

/** The simulations an entry needs per seed. */
function runsPerSeed(plan: EntryPlan): number {
  switch (plan.kind) {
    case 'strategy':
      return 1;
    case 'comparison':
      return plan.strategies.length;
    case 'sweep':
      return plan.variants.length * (plan.reference ? 2 : 1);
    case 'ablation':
      return plan.variants.length;
  }
}

/** Builds every entry's plan (the strategies --set adjusts through `variant`); an error here comes before any simulation. */
export function planLedger(ledger: Ledger, variant: (strategy: Strategy) => Strategy = (strategy) => strategy): Map<string, EntryPlan> {
  const load = (file: string) => variant(loadStrategy(file, { plugins: ledger.plugins }));
  return new Map(ledger.entries.map((e) => [e.id, planEntry(ledger, e, load)]));
}

export function countLedgerEvaluations(ledger: Ledger, seeds: readonly number[], variant?: (strategy: Strategy) => Strategy): number {
  const plans = ledger.entries.some((e) => e.kind !== 'strategy') ? planLedger(ledger, variant) : undefined;
  return ledger.entries.reduce((n, e) => n + entrySeeds(e, seeds).length * (plans ? runsPerSeed(plans.get(e.id)!) : 1), 0);
}

async function runPlan(plan: EntryPlan, seeds: readonly number[], evaluator: StrategyEvaluator): Promise<LedgerOutcome> {
  const settle = (strategy: Strategy) => settleSeeds(evaluator, strategy, seeds);
  switch (plan.kind) {
    case 'strategy':
      return settle(plan.strategy);
    case 'comparison':
      return { kind: 'comparison', strategies: plan.strategies, outcomes: await Promise.all(plan.strategies.map(settle)) };
    case 'sweep': {
      const measured = await Promise.all(
        plan.variants.map(async (v) => ({ own: await settle(v.strategy), ...(v.reference ? { ref: await settle(v.reference) } : {}) })),
      );
      return { kind: 'sweep', strategy: plan.strategy, ...(plan.reference ? { reference: plan.reference } : {}), points: plan.variants.map((v) => v.point), measured };
    }
    case 'ablation':
      return { kind: 'ablation', full: plan.full, baseline: plan.baseline, components: plan.components, outcomes: await Promise.all(plan.variants.map(settle)) };
  }
}

/** `variant` adjusts each loaded strategy (the command line's --set overrides). */
export async function runLedger(
  ledger: Ledger,
  seeds: readonly number[],
  evaluator: StrategyEvaluator,
  variant: (strategy: Strategy) => Strategy = (strategy) => strategy,
): Promise<LedgerReport> {
  const plans = planLedger(ledger, variant);
  // Every run of every entry is handed to the pool at once; the pool bounds the parallelism. A seed that fails with a
  // user-facing error (bad input, a reference-crash condition) is recorded in its row; the ledger goes on.
  const outcomes = await Promise.all(
    ledger.entries.map(async (e): Promise<[string, LedgerOutcome]> => [e.id, await runPlan(plans.get(e.id)!, entrySeeds(e, seeds), evaluator)]),
  );
  return buildLedgerReport(ledger, seeds, new Map(outcomes), evaluator.simVersion);
}

/**
 * Turns per-seed metrics into the report (separate from simulation for tests). Δ% compares an entry's mean with
 * its baseline's mean, each over its own seeds: a paired comparison when both run on the same seeds (the normal
 * case), and the seed ledger's method for its single-seed rows.
 */
export function buildLedgerReport(
  ledger: Ledger,
  seeds: readonly number[],
  outcomes: ReadonlyMap<string, LedgerOutcome>,
  simulatorVersion: string,
): LedgerReport {
  const strategyOutcome = (id: string) => outcomes.get(id) as EntryOutcome; // baselines are strategy entries (parseLedger)
  const rows = ledger.entries.map((entry): LedgerRow => {
    const given = outcomes.get(entry.id)!;
    if (isExperiment(given)) return experimentRow(ledger, entry, seeds, given, entry.baseline !== undefined ? strategyOutcome(entry.baseline) : undefined);
    const outcome = given;
    const mean = meanMetrics(outcome.metrics);
    const perSeed = outcome.metrics;
    const rowSeeds = outcome.seeds;
    const baseOutcome = entry.baseline !== undefined ? strategyOutcome(entry.baseline) : undefined;
    const delta: MetricValues = {};
    const deltaCi: Record<string, [number, number] | null> = {};
    if (baseOutcome && outcome.seeds.length > 0) {
      // Paired on the seeds both ran (a failed seed drops out of both sides); each over its own seeds otherwise.
      const common = rowSeeds.filter((s) => baseOutcome.seeds.includes(s));
      const [ours, theirs] =
        common.length > 0 ? [meanMetrics(metricsOnSeeds(outcome, common)), meanMetrics(metricsOnSeeds(baseOutcome, common))] : [mean, meanMetrics(baseOutcome.metrics)];
      for (const key of Object.keys(ours)) delta[key] = percentChange(theirs[key]!, ours[key]!);
      if (common.length >= 3) {
        const [mine, base] = [metricsOnSeeds(outcome, common), metricsOnSeeds(baseOutcome, common)];
        for (const key of Object.keys(ours)) {
          const p = pairedComparison(base.map((m) => m[key] ?? NaN), mine.map((m) => m[key] ?? NaN));
          deltaCi[key] = Number.isFinite(p.ciLowPct) && Number.isFinite(p.ciHighPct) ? [p.ciLowPct, p.ciHighPct] : null;
        }
      }
    }

    const checks = Object.entries(entry.seedLedger).map(([key, fig]) =>
      figureCheck(key, key.endsWith('_delta_pct') ? (delta[key.slice(0, -'_delta_pct'.length)] ?? NaN) : (mean[key] ?? NaN), fig),
    );
    const perSeedByMetric: Record<string, Record<string, number | null>> = {};
    for (const key of Object.keys(mean)) {
      perSeedByMetric[key] = Object.fromEntries(rowSeeds.map((s, i) => [String(s), numberOrNull(perSeed[i]![key]!)]));
    }
    return {
      ...rowIdentity(entry),
      seeds: [...rowSeeds],
      mean: metricsToJson(mean),
      per_seed: perSeedByMetric,
      delta_pct: metricsToJson(delta),
      delta_ci_pct: deltaCi,
      seed_ledger: checks,
      status: withFailures(comparable(ledger, entry, seeds) ? statusOf(entry, checks) : notCompared(ledger, entry, seeds), outcome),
      failed_seeds: outcome.failures,
      kind: 'strategy',
      ...(outcome.argv && outcome.cwd !== undefined
        ? { run_args: { cwd: outcome.cwd, per_seed: Object.fromEntries(rowSeeds.map((s, i) => [String(s), outcome.argv![i]!])) } }
        : {}),
    };
  });
  const failed = rows.reduce((n, row) => n + row.failed_seeds.length, 0);
  return { title: ledger.title, baseline: ledger.baseline, seeds: [...seeds], simulator_version: simulatorVersion, rows, failed_evaluations: failed };
}

/** The fields of a row that describe its entry, whatever it measured. */
function rowIdentity(entry: LedgerEntry): Pick<LedgerRow, 'id' | 'name' | 'strategy' | 'baseline' | 'mechanism' | 'note' | 'note_seeds'> {
  return {
    id: entry.id,
    name: entry.name,
    strategy: entry.strategyFile,
    baseline: entry.baseline ?? null,
    mechanism: entry.mechanism,
    note: entry.note,
    ...(entry.noteSeeds ? { note_seeds: [...entry.noteSeeds] } : {}),
  };
}

function figureCheck(key: string, ours: number, fig: SeedFigure, where: Pick<FigureCheck, 'at' | 'for' | 'seeds'> = {}): FigureCheck {
  const difference = ours - fig.value;
  const matches =
    fig.bound === 'at_least' ? difference >= -fig.tolerance : fig.bound === 'at_most' ? difference <= fig.tolerance : Math.abs(difference) <= fig.tolerance;
  return { key, ours, seed: fig.value, difference, tolerance: fig.tolerance, matches, ...(fig.bound ? { bound: fig.bound } : {}), ...where };
}

/** The seed ledger's figures describe the ledger's own seeds (or the entry's): only a run on those compares. */
function comparable(ledger: Ledger, entry: LedgerEntry, seeds: readonly number[]): boolean {
  if (Object.keys(entry.seedLedger).length === 0 && entry.claims.every((c) => c.seeds !== undefined)) return true;
  const theirs = entry.seeds ?? ledger.seeds;
  return theirs === undefined || formatSeeds(theirs) === formatSeeds(entrySeeds(entry, seeds));
}

/** Mean of one metric over the seeds of `seeds` that `outcome` ran (NaN when none did). */
function meanOn(outcome: SeedOutcomes, seeds: readonly number[], metric: string): number {
  const values = seeds.filter((s) => outcome.seeds.includes(s)).map((s) => outcome.metrics[outcome.seeds.indexOf(s)]![metric] ?? NaN);
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** % change of one metric from `from` to `to`, over the seeds of `seeds` both ran. */
function changeOn(from: SeedOutcomes, to: SeedOutcomes, seeds: readonly number[], metric: string): number {
  const both = seeds.filter((s) => from.seeds.includes(s) && to.seeds.includes(s));
  return percentChange(meanOn(from, both, metric), meanOn(to, both, metric));
}

/** Every figure of an experiment entry's claims, checked where it applies; claims about seeds the run lacks are skipped. */
function experimentChecks(
  ledger: Ledger,
  entry: LedgerEntry,
  seeds: readonly number[],
  outcome: ExperimentOutcome,
  baseline: EntryOutcome | undefined,
): { checks: FigureCheck[]; skipped: Claim[] } {
  const runSeeds = entrySeeds(entry, seeds);
  const checks: FigureCheck[] = [];
  const skipped: Claim[] = [];
  const entryComparable = comparable(ledger, entry, seeds);
  for (const claim of entry.claims) {
    const ok = claim.seeds ? claim.seeds.every((s) => runSeeds.includes(s)) : entryComparable;
    if (!ok) {
      skipped.push(claim);
      continue;
    }
    const on = claim.seeds ?? runSeeds;
    const { metric, suffix } = claimMetric(claim.key);
    const where = claim.seeds ? { seeds: [...claim.seeds] } : {};
    if (outcome.kind === 'sweep') {
      outcome.points.forEach((point, i) => {
        if (claim.at && !Object.entries(claim.at).every(([name, values]) => values.includes(point[name]!))) return;
        const { own, ref } = outcome.measured[i]!;
        const against = ref ?? baseline;
        const ours = suffix === '' ? meanOn(own, on, metric) : against ? changeOn(against, own, on, metric) : NaN;
        checks.push(figureCheck(claim.key, ours, claim.figure, { at: point, ...where }));
      });
    } else if (outcome.kind === 'comparison') {
      const [reference, ...others] = outcome.outcomes;
      outcome.strategies.slice(1).forEach((strategy, k) => {
        if (claim.for !== undefined && claim.for !== strategy.name) return;
        const mine = others[k]!;
        const ours = suffix === '' ? meanOn(mine, on, metric) : changeOn(reference!, mine, on, metric);
        checks.push(figureCheck(claim.key, ours, claim.figure, { for: strategy.name, ...where }));
      });
    } else {
      const [base, full] = outcome.outcomes as [SeedOutcomes, SeedOutcomes];
      const k = outcome.components.findIndex((c) => c.name === claim.for);
      const ours =
        claim.for === undefined
          ? suffix === '' ? meanOn(full, on, metric) : changeOn(base, full, on, metric)
          : suffix === '_add_one_pct'
            ? changeOn(base, outcome.outcomes[2 + k]!, on, metric)
            : changeOn(outcome.outcomes[2 + outcome.components.length + k]!, full, on, metric);
      checks.push(figureCheck(claim.key, ours, claim.figure, { ...(claim.for !== undefined ? { for: claim.for } : {}), ...where }));
    }
  }
  return { checks, skipped };
}

/** Name of each run of an experiment (in failure reports) with its outcomes. */
function experimentRuns(outcome: ExperimentOutcome): Array<{ variant: string; outcome: SeedOutcomes }> {
  switch (outcome.kind) {
    case 'comparison':
      return outcome.strategies.map((s, i) => ({ variant: s.name, outcome: outcome.outcomes[i]! }));
    case 'sweep':
      return outcome.points.flatMap((point, i) => {
        const label = Object.entries(point).map(([k, v]) => `${k}=${v}`).join(' ');
        const { own, ref } = outcome.measured[i]!;
        return [
          { variant: `${label} (${outcome.strategy.name})`, outcome: own },
          ...(ref ? [{ variant: `${label} (reference ${outcome.reference!.name})`, outcome: ref }] : []),
        ];
      });
    case 'ablation': {
      const names = [outcome.baseline.name, outcome.full.name, ...outcome.components.map((c) => `+${c.name}`), ...outcome.components.map((c) => `-${c.name}`)];
      return outcome.outcomes.map((o, i) => ({ variant: names[i]!, outcome: o }));
    }
  }
}

/** A comparison, sweep or ablation row: the engine's result over the seeds that ran, its claims, its failures. */
function experimentRow(ledger: Ledger, entry: LedgerEntry, seeds: readonly number[], outcome: ExperimentOutcome, baseline: EntryOutcome | undefined): LedgerRow {
  const runSeeds = entrySeeds(entry, seeds);
  const runs = experimentRuns(outcome);
  const failures: LedgerSeedFailure[] = runs.flatMap((r) => r.outcome.failures.map((f) => ({ ...f, variant: r.variant })));
  // Comparisons and ablations are paired across all their runs: a seed that failed anywhere leaves all of them.
  const paired = commonSeeds(runs.map((r) => r.outcome));
  const table =
    outcome.kind === 'sweep'
      ? { sweep: buildSweepResult(outcome.strategy, outcome.reference, outcome.points.map((point) => ({ point })), { seeds: runSeeds, metrics: entry.metrics }, outcome.measured) }
      : outcome.kind === 'comparison'
        ? { comparison: buildMultiComparison(outcome.strategies, paired, outcome.outcomes.map((o) => metricsOnSeeds(o, paired)), 0) }
        : { ablation: ablationResultFrom(outcome.full, outcome.baseline, outcome.components, paired, entry.metrics, outcome.outcomes.map((o) => metricsOnSeeds(o, paired))) };
  const { checks, skipped } = experimentChecks(ledger, entry, seeds, outcome, baseline);
  let status = checks.length === 0 && skipped.length > 0 ? notCompared(ledger, entry, seeds) : statusOf(entry, checks);
  if (checks.length > 0 && skipped.length > 0) status += `; ${skipped.length} figure${skipped.length > 1 ? 's' : ''} for seeds this run lacks not compared`;
  if (failures.length > 0) {
    const reason = failures[0]!.error.replace(/^strategy [^,]+, seed \d+: /, '');
    const where = failures.map((f) => `${f.variant} seed ${f.seed}`).join('; ');
    status = `Partial: ${failures.length} of ${runs.length * runSeeds.length} runs failed (${where}: ${reason}); their cells use the other seeds; ${status}`;
  }
  return {
    ...rowIdentity(entry),
    seeds: outcome.kind === 'sweep' ? [...runSeeds] : paired,
    mean: {},
    per_seed: {},
    delta_pct: {},
    delta_ci_pct: {},
    seed_ledger: checks,
    status,
    failed_seeds: failures,
    kind: outcome.kind,
    metrics: [...entry.metrics],
    ...table,
  };
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
  if (checks.length === 0) return entry.baseline === undefined || entry.kind !== 'strategy' ? 'Measured' : 'Measured (no seed figures)';
  const off = checks.filter((c) => !c.matches);
  if (off.length === 0) return `Reproduced (${checks.length} seed figure${checks.length > 1 ? 's' : ''})`;
  return 'Differs: ' + off.map((c) => `${figureLabel(c)} ${fixed(c.ours, 1)} vs seed ${seedFigureText(c)}`).join('; ');
}

/** A check's figure with where it applies: `Crit TTFT P99 @ total-kv-blocks=3000 (seed 42)`. */
function figureLabel(c: FigureCheck): string {
  const at = c.at ? ` @ ${Object.entries(c.at).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
  const of = c.for !== undefined ? ` (${c.for})` : '';
  const seeds = c.seeds ? ` (seed${c.seeds.length > 1 ? 's' : ''} ${formatSeeds(c.seeds)})` : '';
  return `${shortFigure(c.key)}${of}${at}${seeds}`;
}

function seedFigureText(c: FigureCheck): string {
  return c.bound === 'at_least' ? `≥ ${fixed(c.seed, 1)}` : c.bound === 'at_most' ? `≤ ${fixed(c.seed, 1)}` : fixed(c.seed, 1);
}

const CLASS_LABEL: Record<string, string> = { critical: 'Crit', standard: 'Std', sheddable: 'Shed' };

function shortFigure(key: string): string {
  return key
    .replace(/_delta_pct$/, ' Δ%')
    .replace(/_add_one_pct$/, ' add-one Δ%')
    .replace(/_leave_one_out_pct$/, ' leave-one-out Δ%')
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
    const experiment = row.kind !== 'strategy' ? experimentSummary(row) : undefined;
    const ttft = experiment
      ? experiment.ttft
      : row.baseline === null
        ? '—'
        : ['critical', 'standard', 'sheddable']
            .map((cls) => `${CLASS_LABEL[cls]}: ${signedPct(row.delta_pct[`${cls}_ttft_p99_ms`])}`)
            .join(', ') + (row.baseline !== report.baseline ? ` (vs ${row.baseline})` : '');
    const tput = experiment ? experiment.tput : row.baseline === null ? '—' : signedPct(row.delta_pct.throughput_tps);
    const gap = experiment ? '—' : typeof row.mean.slo_gap === 'number' ? `${row.mean.slo_gap.toFixed(2)}x` : 'n/a';
    const rejected = row.mean.rejected ?? 0;
    const offered = rejected + (row.mean.injected ?? 0);
    const rejections = experiment ? '—' : rejected === 0 ? '0' : `${fixed(rejected, 1)} (${((100 * rejected) / offered).toFixed(1)}%)`;
    const status = row.note ? `${row.status} — ${noteText(row)}` : row.status;
    const ownSeeds = row.seeds.length > 0 && formatSeeds(row.seeds) !== formatSeeds(report.seeds);
    const name = ownSeeds ? `${row.name} (seed${row.seeds.length > 1 ? 's' : ''} ${formatSeeds(row.seeds)})` : row.name;
    lines.push(`| ${[row.id, name, ttft, tput, gap, rejections, row.mechanism, status].map(mdCell).join(' | ')} |`);
  }
  const strategyRows = report.rows.filter((r) => r.kind === 'strategy');
  lines.push('', '## Absolute figures (means)', '');
  lines.push('| Iter | TTFT P99 ms | Crit / Std / Shed TTFT P99 ms | E2E P99 ms | Sched. delay P99 ms | tokens/s | Rejected | Preemptions |');
  lines.push('|------|-------------|-------------------------------|------------|---------------------|----------|----------|-------------|');
  for (const row of strategyRows) {
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
  const withCi = strategyRows.filter((r) => Object.keys(r.delta_ci_pct).length > 0);
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
  const allSeeds = [...new Set([...report.seeds, ...strategyRows.flatMap((r) => r.seeds)])];
  lines.push('', '## Per seed', '');
  lines.push(`| Iter | ${allSeeds.map((s) => `seed ${s}: TTFT P99 / crit TTFT P99 / tokens/s`).join(' | ')} |`);
  lines.push(`|------|${allSeeds.map(() => '---').join('|')}|`);
  for (const row of strategyRows) {
    const cells = allSeeds.map((s) => {
      const k = String(s);
      if (!row.seeds.includes(s)) return '—';
      return `${fixed(row.per_seed.ttft_p99_ms?.[k], 1)} / ${fixed(row.per_seed.critical_ttft_p99_ms?.[k], 1)} / ${fixed(row.per_seed.throughput_tps?.[k], 0)}`;
    });
    lines.push(`| ${row.id} | ${cells.join(' | ')} |`);
  }
  for (const row of report.rows) lines.push(...experimentSection(row));
  const checked = report.rows.filter((r) => r.seed_ledger.length > 0);
  if (checked.length > 0) {
    lines.push('', '## Reproduction vs. the seed ledger', '');
    lines.push('| Iter | Figure | Ours | Seed | Difference | Tolerance | |');
    lines.push('|------|--------|------|------|------------|-----------|---|');
    for (const row of checked) {
      for (const c of row.seed_ledger) {
        lines.push(
          `| ${row.id} | ${mdCell(checkKey(c))} | ${fixed(c.ours, 2)} | ${c.bound === 'at_least' ? '≥ ' : c.bound === 'at_most' ? '≤ ' : ''}${fixed(c.seed, 2)} | ${c.difference >= 0 ? '+' : ''}${fixed(c.difference, 2)} | ±${c.tolerance} | ${c.matches ? 'ok' : '**differs**'} |`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A row's note; one whose figures describe other seeds than the row ran says which. */
function noteText(row: LedgerRow): string {
  if (!row.note_seeds || formatSeeds(row.note_seeds) === formatSeeds(row.seeds)) return row.note;
  return `(figures in this note: seed${row.note_seeds.length > 1 ? 's' : ''} ${formatSeeds(row.note_seeds)}) ${row.note}`;
}

/** The figure column of the reproduction table: the key with where it applies. */
function checkKey(c: FigureCheck): string {
  const where = [
    ...(c.for !== undefined ? [c.for] : []),
    ...(c.at ? [Object.entries(c.at).map(([k, v]) => `${k}=${v}`).join(' ')] : []),
    ...(c.seeds ? [`seed${c.seeds.length > 1 ? 's' : ''} ${formatSeeds(c.seeds)}`] : []),
  ];
  return where.length > 0 ? `${c.key} (${where.join(', ')})` : c.key;
}

const KIND_TITLE: Record<LedgerEntryKind, string> = { strategy: 'Strategy', comparison: 'Comparison', sweep: 'Sweep', ablation: 'Ablation' };

/** min…max of the finite values, with `format`. */
function span(values: readonly number[], format: (v: number) => string): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  return format(lo) === format(hi) ? format(lo) : `${format(lo)} … ${format(hi)}`;
}

/** The Iteration Summary's Δ cells of an experiment row: ranges over its points, strategies or components. */
function experimentSummary(row: LedgerRow): { ttft: string; tput: string } {
  if (row.sweep) {
    const cells = (metric: string) => row.sweep!.points.map((p) => p.cells.find((c) => c.metric === metric));
    const points = `over ${row.sweep.points.length} points of ${row.sweep.varied.join(', ')}`;
    if (row.sweep.reference) {
      const delta = (metric: string) => span(cells(metric).map((c) => c?.reference?.diffPct ?? NaN), signedPct);
      return { ttft: `Crit: ${delta('critical_ttft_p99_ms')} ${points} (vs ${row.sweep.reference.name})`, tput: delta('throughput_tps') };
    }
    return { ttft: `Crit TTFT P99 ${span(cells('critical_ttft_p99_ms').map((c) => c?.mean ?? NaN), (v) => `${v.toFixed(1)} ms`)} ${points}`, tput: '—' };
  }
  if (row.comparison) {
    const result = row.comparison;
    const delta = (metric: string) =>
      result.rows
        .filter((r) => r.metric === metric && r.vsReference)
        .map((r) => `${r.strategy} ${signedPct(r.vsReference!.diffPct)}`)
        .join(', ');
    return { ttft: `Crit vs ${result.reference}: ${delta('critical_ttft_p99_ms')}`, tput: delta('throughput_tps') };
  }
  const m = row.ablation!.metrics.find((x) => x.metric === 'critical_ttft_p99_ms') ?? row.ablation!.metrics[0];
  return { ttft: m ? `${shortFigure(m.metric)}: full ${signedPct(m.fullEffect.pct)}, ${m.verdict}` : '—', tput: '—' };
}

/** `mean ± half-width` (the half-width only with ≥ 3 seeds). */
function meanCell(mean: number, halfWidth: number, n: number): string {
  const digits = Math.abs(mean) >= 1000 ? 0 : 1;
  return n >= 3 && Number.isFinite(halfWidth) ? `${fixed(mean, digits)} ± ${fixed(halfWidth, digits)}` : fixed(mean, digits);
}

/** `Δ% [low, high]` (the interval only with ≥ 3 pairs), `n.s.` when it contains 0. */
function deltaCell(pct: number, low: number, high: number, n: number): string {
  if (n < 3 || !Number.isFinite(low) || !Number.isFinite(high)) return signedPct(pct);
  return `${signedPct(pct)} [${signedPct(low)}, ${signedPct(high)}]${low <= 0 && high >= 0 ? ' n.s.' : ''}`;
}

function metricHeader(metric: string): string {
  return shortFigure(metric).replace('TPS', 'tokens/s');
}

/** ledger.md's section for a comparison, sweep or ablation row: its table over its seeds, and its failed runs. */
function experimentSection(row: LedgerRow): string[] {
  if (row.kind === 'strategy') return [];
  const lines = ['', `## ${KIND_TITLE[row.kind]} ${row.id}: ${row.name}`, ''];
  const n = row.seeds.length;
  const ci = n >= 3 ? "mean ± 95 % CI half-width; Δ% with its 95 % CI (paired Student's t), n.s. when it contains 0" : 'means (no CIs with fewer than 3 seeds)';
  if (row.sweep) {
    const result = row.sweep;
    const metrics = result.points[0]?.cells.map((c) => c.metric) ?? [];
    const ref = result.reference;
    const against = ref ? ` vs ${ref.name} at every grid point (the reference runs the same varied flags)` : row.baseline !== null ? ` (its figures' Δ% are vs row ${row.baseline})` : '';
    lines.push(`${result.strategy.name}${against}; seeds ${formatSeeds(result.seeds)}; ${ref ? ci : ci.replace(/; Δ%.*$/, '')}.`, '');
    const head = [...result.varied, ...metrics.flatMap((m) => [metricHeader(m), ...(ref ? [`${metricHeader(m)} Δ% vs ${ref.name}`] : [])])];
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const point of result.points) {
      const cells = point.cells.flatMap((c) => {
        const r = c.reference;
        const pairs = Object.keys(point.per_seed).filter((seed) => point.reference_per_seed?.[seed] !== undefined).length;
        return [meanCell(c.mean, c.halfWidth, c.n), ...(r ? [deltaCell(r.diffPct, r.ciLowPct, r.ciHighPct, pairs)] : [])];
      });
      lines.push(`| ${[...result.varied.map((v) => point.values[v]!), ...cells].map(mdCell).join(' | ')} |`);
    }
  } else if (row.comparison) {
    const result = row.comparison;
    const compared = new Set(result.rows.map((r) => r.metric));
    const metrics = (row.metrics ?? DEFAULT_EXPERIMENT_METRICS).filter((m) => compared.has(m));
    lines.push(`${result.strategies.length} strategies, Δ% vs ${result.reference}; seeds ${formatSeeds(result.seeds)}; ${ci}.`, ...result.warnings.map((w) => `WARNING: ${w}`), '');
    const head = ['Strategy', ...metrics.flatMap((m) => [metricHeader(m), `Δ%`])];
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const s of result.strategies) {
      const cells = metrics.flatMap((m) => {
        const r = result.rows.find((x) => x.metric === m && x.strategy === s.name)!;
        const v = r.vsReference;
        return [meanCell(r.mean, r.halfWidth, r.n), v ? deltaCell(v.diffPct, v.ciLowPct, v.ciHighPct, r.n) : 'ref'];
      });
      lines.push(`| ${[s.name, ...cells].map(mdCell).join(' | ')} |`);
    }
  } else if (row.ablation) {
    const result = row.ablation;
    lines.push(
      `${result.strategy.name} against ${result.baseline.name}: each component added alone to the baseline and removed alone from the strategy; seeds ${formatSeeds(result.seeds)}; effects in metric units, ${n >= 3 ? 'with 95 % CIs' : 'no CIs with fewer than 3 seeds'}.`,
    );
    const effect = (e: AblationResult['metrics'][number]['interaction']) =>
      n >= 3 && Number.isFinite(e.ciLow) ? `${signedFixed1(e.mean)} [${signedFixed1(e.ciLow)}, ${signedFixed1(e.ciHigh)}]${e.significant ? '' : ' n.s.'}` : signedFixed1(e.mean);
    for (const m of result.metrics) {
      lines.push('', `${metricHeader(m.metric)}: baseline ${fixed(m.baseline, 1)}, full ${fixed(m.full, 1)} (${signedPct(m.fullEffect.pct)}); interaction ${effect(m.interaction)}: ${m.verdict}.`, '');
      lines.push('| Component | add-one to baseline | % | leave-one-out from full | % |', '|---|---|---|---|---|');
      for (const c of m.components) lines.push(`| ${[c.component, effect(c.addOne), signedPct(c.addOne.pct), effect(c.leaveOneOut), signedPct(c.leaveOneOut.pct)].map(mdCell).join(' | ')} |`);
    }
  }
  if (row.failed_seeds.length > 0) {
    lines.push('', 'Failed runs (left out of the cells they belong to):', '');
    for (const f of row.failed_seeds) lines.push(`- ${f.variant ?? row.name}, seed ${f.seed}: ${f.error}`);
  }
  return lines;
}

function signedFixed1(v: number): string {
  return Number.isNaN(v) ? 'n/a' : `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
}
