// Reading a trial store back: `servesim trials` (what is stored: evaluations, optimisation runs, a run's calls) and
// `servesim export` (one call of a run as a standalone strategy with every searched parameter fixed).
//
// Calls are numbered from 1 here, as `optimize` prints them; the store keeps the 0-based index (call − 1).
import { dirname, isAbsolute, resolve } from 'node:path';
import { strategyDirectory } from './evaluate.js';
import { stringify as stringifyYaml } from 'yaml';
import { ServesimError } from '../errors.js';
import { metricsToJson } from './metrics.js';
import { runKeyOf, workloadDigest, type OptimizeSettings, type RunSettingsRecord } from './optimize.js';
import { FILE_VALUED_FLAGS } from '../config/run-flags.js';
import { buildRunArgv, configHash, formatArgv, parameterArgs } from './runargs.js';
import { formatSeeds } from './seeds.js';
import type { EvaluationRecord, ObservationRecord, OptimizationRunRecord, TrialStore } from './store.js';
import { parseStrategy, type ParamValues, type Strategy } from './strategy.js';
import { textTableLines } from './text-table.js';

/** Metrics every listing shows (a run's objective and constraint metrics come first). */
export const KEY_METRICS = ['ttft_p99_ms', 'critical_ttft_p99_ms', 'standard_ttft_p99_ms', 'sheddable_ttft_p99_ms', 'throughput_tps', 'rejected'] as const;

export interface RunSummary {
  id: number;
  strategy: string;
  status: string;
  /** Calls done (observations stored). */
  calls: number;
  /** Calls asked for (--n-calls of the latest start; a resumed run may have been extended). */
  n_calls: number | null;
  seeds: number[];
  best_score: number | null;
  /** From 1. */
  best_call: number | null;
  created_at: string;
  updated_at: string;
}

export interface EvaluationListing {
  strategy: string;
  seed: number;
  config_hash: string;
  sim_version: string;
  params: ParamValues;
  argv: string[];
  metrics: Record<string, number | null>;
  wall_ms: number;
  created_at: string;
}

export interface CallListing {
  /** From 1. */
  call: number;
  params: ParamValues;
  score: number;
  mean_metrics: Record<string, number | null>;
}

export interface RunListing {
  run: RunSummary & { objective: Strategy['objective'] | null; n_initial: number | null; random_state: number | null; initial_points: number };
  /** Metrics the text and CSV forms show, in order. */
  key_metrics: string[];
  calls: CallListing[];
}

/** A run's settings as stored (fields checked, since older stores or other versions may lack some). */
export function runSettingsOf(run: OptimizationRunRecord): Partial<RunSettingsRecord> {
  const settings = (run.settings ?? {}) as Partial<RunSettingsRecord>;
  return typeof settings === 'object' ? settings : {};
}

/** The lowest score among calls meeting their hard constraints (any call while none does), as `optimize` picks it. */
function bestOf(observations: readonly ObservationRecord[]): { score: number; call: number } | undefined {
  const feasible = (o: ObservationRecord) => (o.constraints ?? []).every((c) => c <= 0);
  let best: ObservationRecord | undefined;
  for (const o of observations) {
    if (best === undefined || (feasible(o) && !feasible(best)) || (feasible(o) === feasible(best) && o.score < best.score)) best = o;
  }
  return best && { score: best.score, call: best.callIndex + 1 };
}

export function summarizeRun(store: TrialStore, run: OptimizationRunRecord): RunSummary {
  const settings = runSettingsOf(run);
  const observations = store.observations(run.id);
  const best = bestOf(observations);
  return {
    id: run.id,
    strategy: run.strategy,
    status: run.status,
    calls: observations.length,
    n_calls: typeof settings.nCalls === 'number' ? settings.nCalls : null,
    seeds: Array.isArray(settings.seeds) ? settings.seeds : [],
    best_score: best?.score ?? null,
    best_call: best?.call ?? null,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
  };
}

export function listEvaluations(store: TrialStore): EvaluationListing[] {
  return store.evaluations().map((e: EvaluationRecord) => ({
    strategy: e.strategy,
    seed: e.seed,
    config_hash: e.configHash,
    sim_version: e.simVersion,
    params: e.params,
    argv: e.argv,
    metrics: metricsToJson(e.metrics),
    wall_ms: e.wallMs,
    created_at: e.createdAt,
  }));
}

/** The run with this id, or a one-line error naming the runs there are. */
export function requireRun(store: TrialStore, storeLabel: string, id: number): OptimizationRunRecord {
  const run = store.getRun(id);
  if (run) return run;
  const ids = store.runs().map((r) => r.id);
  const known = ids.length === 0 ? 'it has no optimisation runs' : `its runs: ${ids.length > 12 ? `${ids.slice(0, 12).join(', ')}, …` : ids.join(', ')}`;
  throw new ServesimError(`--run ${id}: trial store ${storeLabel} has no optimisation run ${id} (${known})`);
}

export function listRun(store: TrialStore, run: OptimizationRunRecord): RunListing {
  const settings = runSettingsOf(run);
  const strategy = settings.strategy;
  const first = [strategy?.objective?.metric, ...(strategy?.constraints ?? []).map((c) => c.metric)].filter((m): m is string => m !== undefined);
  const keyMetrics = [...new Set([...first, ...KEY_METRICS])];
  return {
    run: {
      ...summarizeRun(store, run),
      objective: strategy?.objective ?? null,
      n_initial: typeof settings.nInitial === 'number' ? settings.nInitial : null,
      random_state: typeof settings.randomState === 'number' ? settings.randomState : null,
      initial_points: strategy?.initialPoints?.length ?? 0,
    },
    key_metrics: keyMetrics,
    calls: store.observations(run.id).map((o) => ({
      call: o.callIndex + 1,
      params: o.params,
      score: o.score,
      mean_metrics: metricsToJson(o.meanMetrics),
    })),
  };
}

// ---- formatting -----------------------------------------------------------------------------------------------

export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}

function formatValue(v: unknown): string {
  return typeof v === 'number' ? String(v) : v === undefined ? '' : String(v);
}

/** Columns padded to their widest cell; numbers (and `n/a`) right-aligned. */
function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.]+(e[-+]?\d+)?$|^n\/a$|^-$/.test(r[i]!) || r[i] === ''));
  return textTableLines([header, ...rows], (col) => !numeric[col]).join('\n') + '\n';
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

function paramNames(rows: ReadonlyArray<{ params: ParamValues }>): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) names.add(k);
  return [...names];
}

function runsTable(runs: readonly RunSummary[]): string {
  return formatTable(
    ['run', 'strategy', 'status', 'calls', 'seeds', 'best score', 'best call', 'created'],
    runs.map((r) => [
      String(r.id),
      r.strategy,
      r.status,
      r.n_calls === null ? String(r.calls) : `${r.calls}/${r.n_calls}`,
      r.seeds.length > 0 ? formatSeeds(r.seeds) : '-',
      r.best_score === null ? '-' : r.best_score.toFixed(4),
      r.best_call === null ? '-' : String(r.best_call),
      r.created_at,
    ]),
  );
}

export function formatStoreText(storeLabel: string, runs: readonly RunSummary[], evaluations: readonly EvaluationListing[]): string {
  let text = `trial store ${storeLabel}: ${evaluations.length} evaluation${evaluations.length === 1 ? '' : 's'}, ${runs.length} optimisation run${runs.length === 1 ? '' : 's'}\n`;
  if (runs.length > 0) text += `\noptimisation runs (calls numbered from 1; \`servesim trials ${storeLabel} --run N\` lists one):\n${runsTable(runs)}`;
  if (evaluations.length > 0) {
    text += '\nevaluations:\n';
    text += formatTable(
      ['strategy', 'seed', 'config', ...KEY_METRICS, 'wall ms', 'created'],
      evaluations.map((e) => [
        e.strategy,
        String(e.seed),
        e.config_hash.slice(0, 12),
        ...KEY_METRICS.map((m) => formatNumber(e.metrics[m])),
        e.wall_ms.toFixed(0),
        e.created_at,
      ]),
    );
  }
  return text;
}

export function formatEvaluationsCsv(evaluations: readonly EvaluationListing[]): string {
  const params = paramNames(evaluations);
  return csv(
    ['strategy', 'seed', 'config_hash', 'sim_version', ...params, ...KEY_METRICS, 'wall_ms', 'created_at'],
    evaluations.map((e) => [
      e.strategy,
      e.seed,
      e.config_hash,
      e.sim_version,
      ...params.map((p) => formatValue(e.params[p])),
      ...KEY_METRICS.map((m) => e.metrics[m]),
      e.wall_ms,
      e.created_at,
    ]),
  );
}

export function formatRunText(listing: RunListing): string {
  const r = listing.run;
  const objective = r.objective ? `${r.objective.direction} ${r.objective.metric}` : 'objective not recorded';
  const settings = [
    `${r.calls}${r.n_calls === null ? '' : `/${r.n_calls}`} calls`,
    r.seeds.length > 0 ? `seeds ${formatSeeds(r.seeds)}` : undefined,
    r.initial_points > 0 ? `${r.initial_points} from initial_points` : undefined,
    r.n_initial === null ? undefined : `${r.n_initial} initial`,
    r.random_state === null ? undefined : `random state ${r.random_state}`,
  ].filter((s) => s !== undefined);
  let text = `run ${r.id} of ${r.strategy} (${r.status}): ${settings.join(', ')}; ${objective}\n`;
  text += r.best_call === null ? 'no calls yet\n' : `best score ${r.best_score!.toFixed(4)} at call ${r.best_call}\n`;
  if (listing.calls.length === 0) return text;
  const params = paramNames(listing.calls);
  return (
    text +
    '\n' +
    formatTable(
      ['call', ...params, 'score', ...listing.key_metrics],
      listing.calls.map((c) => [
        String(c.call),
        ...params.map((p) => formatValue(c.params[p])),
        c.score.toFixed(4),
        ...listing.key_metrics.map((m) => formatNumber(c.mean_metrics[m])),
      ]),
    )
  );
}

export function formatRunCsv(listing: RunListing): string {
  const params = paramNames(listing.calls);
  return csv(
    ['call', ...params, 'score', ...listing.key_metrics],
    listing.calls.map((c) => [c.call, ...params.map((p) => formatValue(c.params[p])), c.score, ...listing.key_metrics.map((m) => c.mean_metrics[m])]),
  );
}

// ---- export ---------------------------------------------------------------------------------------------------

export interface ExportedTrial {
  /** The strategy YAML (with a comment header). */
  yaml: string;
  /** Its name. */
  name: string;
  /** The exported strategy, parsed back. */
  strategy: Strategy;
  /** `servesim run …` for the first seed of the run. */
  runCommand: string;
  seed: number;
  score: number;
  params: ParamValues;
  /** Things the user should know (e.g. the workload changed since the run). */
  warnings: string[];
}

/** argv with file-valued flags' relative values (and --plugin's) made absolute against `dir`. */
function absoluteArgs(argv: readonly string[], dir: string): string[] {
  const out: string[] = [];
  let fileFlag = false;
  for (const token of argv) {
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const flag = eq >= 0 ? token.slice(0, eq) : token;
      const isFile = FILE_VALUED_FLAGS.has(flag) || flag === '--plugin';
      if (eq >= 0) {
        const value = token.slice(eq + 1);
        out.push(isFile && value !== '' && !isAbsolute(value) ? `${flag}=${resolve(dir, value)}` : token);
        fileFlag = false;
      } else {
        out.push(token);
        fileFlag = isFile;
      }
      continue;
    }
    out.push(fileFlag && !isAbsolute(token) ? resolve(dir, token) : token);
    fileFlag = false;
  }
  return out;
}

/** argv tokens as fixed_args entries: one `--flag value…` entry per flag. */
function fixedArgEntries(argv: readonly string[]): string[] {
  const entries: string[][] = [];
  for (const token of argv) {
    if (/\s/.test(token) || token === '') {
      throw new ServesimError(`export: the value ${JSON.stringify(token)} cannot be written as a fixed_args entry (it contains whitespace)`);
    }
    if (token.startsWith('--') || entries.length === 0) entries.push([token]);
    else entries[entries.length - 1]!.push(token);
  }
  return entries.map((e) => e.join(' '));
}

export interface ExportOptions {
  storeLabel: string;
  /** The run's strategy when the store does not hold it (runs recorded before it was kept); checked against the run. */
  strategy?: Strategy;
  /** Where the YAML will be written (anchors nothing: every path in it is absolute; names the file in messages). */
  outFile?: string;
}

/** The strategy the run optimised: the given one (checked against the run's key) or the one the store recorded. */
function runStrategy(run: OptimizationRunRecord, settings: Partial<RunSettingsRecord>, options: ExportOptions): Strategy {
  if (options.strategy) {
    if (!Array.isArray(settings.seeds) || typeof settings.nInitial !== 'number' || typeof settings.randomState !== 'number') {
      throw new ServesimError(`--run ${run.id}: its settings are incomplete in trial store ${options.storeLabel}; it cannot be matched with --strategy`);
    }
    const key = runKeyOf(options.strategy, settings as OptimizeSettings, settings.related_strategies ?? []);
    if (key !== run.runKey) {
      throw new ServesimError(
        `--strategy ${options.strategy.file}: not the strategy run ${run.id} optimised (its content, workload file or --set overrides differ from the run's)`,
      );
    }
    return options.strategy;
  }
  if (settings.strategy) return settings.strategy;
  throw new ServesimError(
    `--run ${run.id}: trial store ${options.storeLabel} does not hold the strategy of this run (recorded by an older servesim); give its file with --strategy FILE`,
  );
}

/** Call `call` (from 1) of run `runId` as a standalone strategy: the run's strategy with every parameter fixed. */
export function exportTrial(store: TrialStore, runId: number, call: number, options: ExportOptions): ExportedTrial {
  const run = requireRun(store, options.storeLabel, runId);
  const observations = store.observations(run.id);
  const observation = observations.find((o) => o.callIndex === call - 1);
  if (!observation) {
    const range = observations.length === 0 ? 'no calls yet' : `calls 1-${observations.length}`;
    throw new ServesimError(`--call ${call}: run ${run.id} of ${run.strategy} has ${range} (calls are numbered from 1)`);
  }
  const settings = runSettingsOf(run);
  const strategy = runStrategy(run, settings, options);
  const seeds = Array.isArray(settings.seeds) && settings.seeds.length > 0 ? settings.seeds : strategy.seeds;
  if (!seeds || seeds.length === 0) throw new ServesimError(`--run ${run.id}: no seeds recorded for this run`);
  const warnings: string[] = [];
  if (settings.workload_sha256 !== undefined) {
    let current: string | undefined;
    try {
      current = workloadDigest(strategy);
    } catch {
      current = undefined;
    }
    if (current !== settings.workload_sha256) {
      warnings.push(
        `workload ${strategy.workloadSpec} ${current === undefined ? 'cannot be read' : 'changed'} since run ${run.id}; the exported strategy will not reproduce the stored metrics`,
      );
    }
  }

  const baseDir = strategyDirectory(strategy);
  const args = absoluteArgs([...strategy.fixedArgs, ...parameterArgs(strategy, observation.params)], baseDir);
  // --plugin pairs become `plugins:` (the strategy loader turns them back into the same leading --plugin flags).
  const plugins: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--plugin' && i + 1 < args.length) plugins.push(args[++i]!);
    else if (token.startsWith('--plugin=')) plugins.push(token.slice('--plugin='.length));
    else rest.push(token);
  }
  const name = `${strategy.name}-run${run.id}-call${call}`;
  const data: Record<string, unknown> = {
    name,
    description:
      `call ${call} of optimisation run ${run.id} of ${strategy.name} (score ${observation.score}), exported from trial store ${options.storeLabel}; ` +
      `parameters fixed: ${Object.entries(observation.params).map(([k, v]) => `${k} = ${String(v)}`).join(', ')}`,
    workload_spec: strategy.workloadSpec,
    seeds: formatSeeds(seeds),
    ...(plugins.length > 0 ? { plugins } : {}),
    fixed_args: fixedArgEntries(rest),
    ...(strategy.objective ? { objective: strategy.objective } : {}),
    ...(strategy.constraints.length > 0 ? { constraints: strategy.constraints } : {}),
    penalties: strategy.penalties,
  };
  const body = stringifyYaml(data, { lineWidth: 0 });
  const where = options.outFile ?? resolve(baseDir, `${name}.yaml`);
  const exported = parseStrategy(body, where);

  // The exported strategy must be the very same simulation as the stored trial (same store key), seed by seed.
  const seed = seeds[0]!;
  const originalHash = configHash(buildRunArgv(strategy, observation.params, seed), baseDir);
  const exportedHash = configHash(buildRunArgv(exported, {}, seed), dirname(where));
  if (originalHash !== exportedHash) {
    throw new ServesimError(`export: call ${call} of run ${run.id} cannot be written as a standalone strategy that runs the same simulation`, 70);
  }
  const runCommand = `servesim run ${formatArgv(buildRunArgv(exported, {}, seed))}`;
  const header = [
    `# servesim export: call ${call} of optimisation run ${run.id} (${strategy.name}) from trial store ${options.storeLabel}`,
    `# score ${observation.score}; every searched parameter is fixed (fixed_args), so compare, ledger and sweep run it as is.`,
    `# The same simulation for seed ${seed}:`,
    `#   ${runCommand}`,
  ].join('\n');
  return {
    yaml: `${header}\n${body}`,
    name,
    strategy: exported,
    runCommand,
    seed,
    score: observation.score,
    params: observation.params,
    warnings,
  };
}
