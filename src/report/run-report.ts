// The report of one optimisation run in a trial store: convergence (every call's score and the best so far), the
// evaluated points over the parameters (parallel coordinates), the objective trade-off with its Pareto front, the
// per-seed figures of the first and the best call, and their latency distributions (re-simulated).
import { strategyDirectory } from '../lab/evaluate.js';
import { formatSeeds } from '../lab/seeds.js';
import { buildRunArgv, configHash } from '../lab/runargs.js';
import type { TrialStore, OptimizationRunRecord } from '../lab/store.js';
import type { MetricValues } from '../lab/metrics.js';
import { defaultParameterValues, loadStrategy, type ParamValues, type Strategy } from '../lab/strategy.js';
import { validateCandidates, type ValidationReference } from '../lab/validation.js';
import { listRun, runSettingsOf, type CallListing, type RunListing } from '../lab/trials.js';
import {
  convergenceChart,
  ecdfChart,
  paretoChart,
  paretoFlags,
  parallelCoordinatesChart,
  renderSvg,
  type Direction,
  type ObjectivePoint,
  type ReferencePoint,
} from './charts.js';
import { classesOf, ecdfSeries, type SeedRun, type SimulationRef } from './distributions.js';
import type { Figure, ReportDocument, Section, Table } from './html.js';
import { perSeedP99Table } from './ledger-report.js';
import type { ReportContext } from './context.js';

interface RunObjective {
  metric: string;
  direction: Direction;
}

/**
 * The objectives the run's strategy names: several (a multi-objective run, `objectives:`) or one; a single
 * objective is paired with throughput for the trade-off view.
 */
function objectivesOf(strategy: Strategy | undefined): RunObjective[] {
  const many = (strategy as (Strategy & { objectives?: unknown }) | undefined)?.objectives;
  if (Array.isArray(many)) {
    const list = many.filter((o): o is RunObjective => typeof o?.metric === 'string' && (o.direction === 'minimize' || o.direction === 'maximize'));
    if (list.length >= 2) return list;
  }
  return strategy?.objective ? [strategy.objective] : [];
}

function metricTitle(metric: string): string {
  if (metric.endsWith('_ms')) return `${metric.slice(0, -3).replace(/_/g, ' ')} (ms)`;
  if (metric === 'throughput_tps') return 'throughput (tokens/s)';
  return metric.replace(/_/g, ' ');
}

function formatParams(params: ParamValues): string {
  return Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

function callsTable(listing: RunListing): Table {
  const params = [...new Set(listing.calls.flatMap((c) => Object.keys(c.params)))];
  const metrics = listing.key_metrics.slice(0, 6);
  return {
    id: 'run-calls',
    title: 'Every call (mean metrics over the seeds)',
    header: ['call', ...params, 'score', ...metrics],
    numeric: [
      0,
      ...params.flatMap((p, i) => (listing.calls.every((c) => typeof c.params[p] === 'number') ? [i + 1] : [])),
      params.length + 1,
      ...metrics.map((_, i) => params.length + 2 + i),
    ],
    rows: listing.calls.map((c) => [c.call, ...params.map((p) => (typeof c.params[p] === 'number' ? (c.params[p] as number) : String(c.params[p]))), c.score, ...metrics.map((m) => c.mean_metrics[m] ?? null)]),
  };
}

function bestCall(calls: readonly CallListing[]): CallListing | undefined {
  let best: CallListing | undefined;
  for (const c of calls) if (best === undefined || c.score < best.score) best = c;
  return best;
}

/** The argv of a call on a seed, and its working directory, as the optimiser ran it. */
function callRef(strategy: Strategy, params: ParamValues, seed: number): SimulationRef {
  return { argv: buildRunArgv(strategy, params, seed), cwd: strategyDirectory(strategy) };
}

/** Per seed: the stored evaluation of the first and the best call (metrics as the store has them). */
function perSeedTable(store: TrialStore, strategy: Strategy | undefined, seeds: readonly number[], picks: ReadonlyArray<[string, CallListing]>, metrics: readonly string[], simVersion: string): Table | undefined {
  if (!strategy || seeds.length === 0) return undefined;
  const rows: Array<Array<string | number | null>> = [];
  for (const [name, call] of picks) {
    for (const seed of seeds) {
      const ref = callRef(strategy, call.params, seed);
      const stored = store.getEvaluation({ configHash: configHash(ref.argv, ref.cwd), seed, simVersion });
      rows.push([name, String(seed), ...metrics.map((m) => (stored ? (stored.metrics[m] ?? null) : null))]);
    }
  }
  if (rows.every((r) => r.slice(2).every((v) => v === null))) return undefined;
  return {
    id: 'run-per-seed',
    title: 'Per seed (the stored evaluations; n/a: not in the store)',
    header: ['call', 'seed', ...metrics],
    numeric: metrics.map((_, i) => i + 2),
    rows,
  };
}

/** Per-seed metrics of `strategy` at `params` as the store has them, or undefined when a seed is missing. */
function storedMetrics(store: TrialStore, strategy: Strategy, params: ParamValues, seeds: readonly number[], simVersion: string): MetricValues[] | undefined {
  const found: MetricValues[] = [];
  for (const seed of seeds) {
    const ref = callRef(strategy, params, seed);
    const stored = store.getEvaluation({ configHash: configHash(ref.argv, ref.cwd), seed, simVersion });
    if (!stored) return undefined;
    found.push(stored.metrics);
  }
  return found;
}

/** The strategy's `references:` (the optimiser evaluates them on the tuning seeds through the same store). */
function referenceStrategies(strategy: Strategy | undefined, context: ReportContext): Strategy[] {
  const loaded: Strategy[] = [];
  for (const file of strategy?.references ?? []) {
    try {
      loaded.push(loadStrategy(file));
    } catch (error) {
      context.warn(`reference ${file} is not shown: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return loaded;
}

/**
 * Calls validated against every reference on the strategy's validation seeds, recomputed from the stored
 * evaluations with the optimiser's own rule (src/lab/validation.ts); calls without stored held-out evaluations
 * are not judged.
 */
function validatedCalls(
  store: TrialStore,
  strategy: Strategy,
  references: readonly Strategy[],
  calls: readonly CallListing[],
  tuningSeeds: readonly number[],
  simVersion: string,
): Set<number> {
  const validationSeeds = strategy.validationSeeds ?? [];
  const objectives = strategy.objectives ?? (strategy.objective ? [strategy.objective] : []);
  if (validationSeeds.length < 2 || references.length === 0 || objectives.length === 0) return new Set();
  const sides: ValidationReference[] = [];
  for (const reference of references) {
    const params = defaultParameterValues(reference);
    const tuning = storedMetrics(store, reference, params, tuningSeeds, simVersion);
    const validation = storedMetrics(store, reference, params, validationSeeds, simVersion);
    if (!tuning || !validation) return new Set();
    sides.push({ name: reference.name, file: reference.file, tuning, validation });
  }
  const candidates = calls.flatMap((c) => {
    const tuning = storedMetrics(store, strategy, c.params, tuningSeeds, simVersion);
    const validation = storedMetrics(store, strategy, c.params, validationSeeds, simVersion);
    return tuning && validation ? [{ call: c.call, params: c.params, tuning, validation }] : [];
  });
  const report = validateCandidates(objectives, candidates, sides, { tuning: [...tuningSeeds], validation: [...validationSeeds] });
  return new Set(candidates.map((c) => c.call).filter((call) => report.rows.filter((r) => r.call === call).every((r) => r.verdict === 'validated')));
}

export interface RunReportOptions {
  storeLabel: string;
  /** Simulator version the store's evaluations are keyed on (this servesim's). */
  simVersion: string;
}

/** The run's sections (also the dashboard's run view). */
export async function runSections(store: TrialStore, run: OptimizationRunRecord, context: ReportContext, options: RunReportOptions): Promise<Section[]> {
  const listing = listRun(store, run);
  const settings = runSettingsOf(run);
  const strategy = settings.strategy;
  const seeds = listing.run.seeds;
  const objectives = objectivesOf(strategy);
  const objective = listing.run.objective;
  const what = `Run ${run.id} of ${run.strategy}, ${listing.calls.length} calls on seeds ${formatSeeds(seeds)}; simulator ${options.simVersion}.`;
  const sections: Section[] = [];
  if (listing.calls.length === 0) {
    return [{ id: 'convergence', title: 'Convergence', intro: `${what} No calls stored yet.`, figures: [], tables: [] }];
  }
  const scoreTitle = 'score (lower is better)';
  const scoreMeaning = objective ? `The score is ${objective.direction === 'minimize' ? '' : '−'}${objective.metric}${strategy?.constraints.length ? ' + constraint penalties' : ''}. ` : '';
  const best = bestCall(listing.calls)!;
  const first = listing.calls[0]!;
  sections.push({
    id: 'convergence',
    title: 'Convergence',
    intro: `${what} Best score ${best.score.toFixed(4)} at call ${best.call}${best.call === first.call ? '' : `; call 1 scored ${first.score.toFixed(4)}`}.`,
    figures: [
      {
        id: 'run-convergence',
        title: 'Score of every call and the best so far',
        svg: await renderSvg(convergenceChart(listing.calls, { scoreTitle })),
        caption: `Each dot is one call (a point evaluated on every seed; its score is the mean over the seeds, lower is better); the line is the best score up to that call. ${scoreMeaning}${what}`,
        series: ['score of the call', 'best so far'],
      },
    ],
    tables: [callsTable(listing)],
  });

  const paramNames = [...new Set(listing.calls.flatMap((c) => Object.keys(c.params)))];
  if (paramNames.length > 0) {
    const axes = paramNames.map((name) => ({ name, values: listing.calls.map((c) => c.params[name] ?? '') }));
    sections.push({
      id: 'parameters',
      title: 'Evaluated points',
      intro: 'Parallel coordinates: one line per call across its parameters (each axis spans the values evaluated, range in brackets); colour is the score, dark = better.',
      figures: [
        {
          id: 'run-parallel',
          title: 'Parameters of every call, coloured by score',
          svg: await renderSvg(parallelCoordinatesChart(axes, listing.calls.map((c) => c.score), listing.calls.map((c) => c.call))),
          caption: `${listing.calls.length} calls over ${paramNames.length} parameters. ${what}`,
          series: listing.calls.map((c) => String(c.call)),
        },
      ],
      tables: [],
    });
  }

  const pair: [RunObjective, RunObjective] | undefined =
    objectives.length >= 2
      ? [objectives[0]!, objectives[1]!]
      : objectives.length === 1 && objectives[0]!.metric !== 'throughput_tps'
        ? [objectives[0]!, { metric: 'throughput_tps', direction: 'maximize' }]
        : undefined;
  if (pair) {
    const xy = listing.calls.map((c) => ({ x: c.mean_metrics[pair[0].metric] ?? NaN, y: c.mean_metrics[pair[1].metric] ?? NaN }));
    const flags = paretoFlags(xy, [pair[0].direction, pair[1].direction]);
    const referenceRuns = referenceStrategies(strategy, context);
    const validated = strategy ? validatedCalls(store, strategy, referenceRuns, listing.calls.filter((_, i) => flags[i]), seeds, options.simVersion) : new Set<number>();
    const points: ObjectivePoint[] = listing.calls.map((c, i) => ({ label: `call ${c.call}`, ...xy[i]!, front: flags[i]!, validated: validated.has(c.call) }));
    const storedReferences = referenceRuns.flatMap((r) => {
      const metrics = storedMetrics(store, r, defaultParameterValues(r), seeds, options.simVersion);
      if (!metrics) return [];
      const mean = (metric: string) => metrics.reduce((sum, m) => sum + (m[metric] ?? NaN), 0) / metrics.length;
      return [{ label: r.name, x: mean(pair[0].metric), y: mean(pair[1].metric) }];
    });
    const references: ReferencePoint[] = [
      { label: 'call 1', ...xy[0]! },
      ...(best.call !== first.call ? [{ label: `best (call ${best.call})`, ...xy[listing.calls.indexOf(best)]! }] : []),
      ...storedReferences,
    ];
    const multi = objectives.length >= 2;
    sections.push({
      id: 'pareto',
      title: multi ? 'Pareto front' : 'Trade-off',
      intro: multi
        ? `The run's objectives: ${objectives.map((o) => `${o.direction} ${o.metric}`).join(', ')}.`
        : `The objective (${pair[0].direction} ${pair[0].metric}) against throughput (maximise): the points no other call beats on both form the front.`,
      figures: [
        {
          id: 'run-pareto',
          title: `${metricTitle(pair[0].metric)} vs ${metricTitle(pair[1].metric)}`,
          svg: await renderSvg(paretoChart(points, references, { xTitle: `${metricTitle(pair[0].metric)} (${pair[0].direction})`, yTitle: `${metricTitle(pair[1].metric)} (${pair[1].direction})` })),
          caption: `Mean over the seeds per call; red: not dominated by any other call${validated.size > 0 ? '; ringed: validated against every reference on the held-out seeds (recomputed from the stored evaluations)' : ''}; crosses: call 1, the best call and the strategy's references (mean over the same seeds). ${what}`,
          series: ['on the front', 'dominated', 'reference'],
        },
      ],
      tables: [
        {
          title: 'Calls on the front',
          header: ['call', pair[0].metric, pair[1].metric, 'parameters'],
          numeric: [0, 1, 2],
          rows: listing.calls.filter((_, i) => flags[i]).sort((a, b) => (a.mean_metrics[pair[0].metric] ?? 0) - (b.mean_metrics[pair[0].metric] ?? 0)).map((c) => [c.call, c.mean_metrics[pair[0].metric] ?? null, c.mean_metrics[pair[1].metric] ?? null, formatParams(c.params)]),
        },
      ],
    });
  }

  const picks: Array<[string, CallListing]> = best.call === first.call ? [[`call ${first.call}`, first]] : [[`call 1`, first], [`best: call ${best.call}`, best]];
  const keyMetrics = [...new Set([...(objective ? [objective.metric] : []), 'critical_ttft_p99_ms', 'sheddable_ttft_p99_ms', 'throughput_tps'])];
  const seedTable = perSeedTable(store, strategy, seeds, picks, keyMetrics, options.simVersion);
  const figures: Figure[] = [];
  let distributionTable: Table | undefined;
  if (context.distributions && strategy && seeds.length > 0) {
    const refs = new Map<string, SimulationRef>();
    for (const [name, call] of picks) for (const seed of seeds) refs.set(`${name}/${seed}`, callRef(strategy, call.params, seed));
    const results = await context.resimulate(refs);
    const runs = picks.map(([name]) => seeds.map((seed): SeedRun => ({ seed, ...results.get(`${name}/${seed}`)! })));
    const classes = classesOf(runs.flat());
    const names = picks.map(([name]) => name);
    const series = picks.flatMap(([name], i) => ecdfSeries(name, runs[i]!, classes));
    figures.push({
      id: 'run-ecdf',
      title: `TTFT and E2E per SLO class: ${names.join(' vs ')}`,
      svg: await renderSvg(ecdfChart(series, { classes, order: names })),
      caption:
        `ECDF of every request's latency, pooled over seeds ${formatSeeds(seeds)}; ticks at 0.99: each seed's P99. ` +
        `Re-simulated from the stored configuration (the run's strategy with each call's parameters) with ${context.simulatorVersion}.`,
      series: names,
    });
    distributionTable = perSeedP99Table(names, runs, classes);
  }
  const tables = [seedTable, distributionTable].filter((t): t is Table => t !== undefined);
  if (figures.length > 0 || tables.length > 0) {
    sections.push({
      id: 'per-seed',
      title: best.call === first.call ? 'Call 1 per seed' : 'First and best call per seed',
      intro: picks.map(([name, c]) => `${name}: ${formatParams(c.params) || 'no parameters'} (score ${c.score.toFixed(4)})`).join('; '),
      figures,
      tables,
    });
  }
  return sections;
}

export async function runReport(store: TrialStore, run: OptimizationRunRecord, context: ReportContext, options: RunReportOptions): Promise<ReportDocument> {
  const listing = listRun(store, run);
  const objective = listing.run.objective;
  return {
    title: `Optimisation run ${run.id}: ${run.strategy}`,
    subtitle:
      `Trial store ${options.storeLabel}, run ${run.id} (${run.status}): ${listing.calls.length}${listing.run.n_calls ? `/${listing.run.n_calls}` : ''} calls on seeds ${formatSeeds(listing.run.seeds)}` +
      `${objective ? `, ${objective.direction} ${objective.metric}` : ''}; simulator ${options.simVersion}.`,
    sections: await runSections(store, run, context, options),
    footer: context.footer,
  };
}
