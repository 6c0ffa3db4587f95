// The strategy-lab subcommands (optimize, compare, ledger) for the servesim commander program.
import { Command } from 'commander';
import { commanderHelp, integerOption, runCommanderCommand } from '../cli/commander-run.js';
import { EXIT_STATUS_HELP, type CliIO } from '../cli/io.js';
import { mkdirSync } from 'node:fs';
import { checkWritableDirectory, checkWritableFile, writeFileAtomic } from '../fs/atomic.js';
import { dirname, join, resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { buildComparison, formatCompareTable } from './compare.js';
import { buildMultiComparison, formatMultiCompareCsv, formatMultiCompareTable, workloadWarnings } from './compare-many.js';
import { StrategyEvaluator } from './evaluate.js';
import { countLedgerEvaluations, formatLedgerMarkdown, loadLedger, runLedger } from './ledger.js';
import { metricsToJson } from './metrics.js';
import { isVectorRun, objectivesOf, paretoOptimizerFactory, type OptimizeResult } from './optimize.js';
import { optimizeStrategy } from './optimize-strategy.js';
import { formatFrontSummary } from './front-report.js';
import { mustDominateRequirements, requirementTargets } from './relative-constraints.js';
import { formatValidation, runValidation, type ValidationReport } from './validation.js';
import { defaultJobs, inProcessPool, parseJobs, workerPool, type EvaluationPool } from './pool.js';
import { createProgress } from './progress.js';
import { formatArgv } from './runargs.js';
import { formatSeeds, parseSeeds } from './seeds.js';
import { optimizerFactoryFor, surrogateOption, type Surrogate } from './composite.js';
import { racingSummaryLine, seedAllocationOption, type SeedAllocation } from './seed-racing.js';
import { TrialStore } from './store.js';
import { defaultParameterValues, loadStrategy, type ParamValues, type Strategy } from './strategy.js';
import { applySets } from './strategy-variants.js';
import { withWarmStart } from './warm-start.js';
import { checkComponents, formatAblationTable, runAblation, type AblationResult } from './ablate.js';
import {
  DEFAULT_SWEEP_METRICS,
  checkSweepMetrics,
  expandGrid,
  formatSweepCsv,
  formatSweepTable,
  parseVary,
  runSweep,
  sweepVariants,
  type SweepResult,
} from './sweep.js';
import { quoteText } from '../show-value.js';
import { createSimulationRunner } from './backend.js';
import { BackendError, DEFAULT_QUEUE, parseQueueName, parseRedisUrl } from './redis-options.js';

export const DEFAULT_STORE = '.servesim/trials.sqlite';
export const DEFAULT_LEDGER_OUT = 'ledger-out';

/** Where command output goes; built from the CLI's injectable IO, so tests run commands in-process. */
export interface LabIO {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Draw a live progress bar (on process.stderr) instead of plain lines. */
  progressBar: boolean;
  /** Builds the evaluation pool for --jobs (tests inject a cheap evaluator). */
  createPool?: (jobs: number) => EvaluationPool;
  /** How long to wait for a trial store locked by another process (SERVESIM_STORE_LOCK_TIMEOUT_MS). */
  storeLockTimeoutMs?: number;
  /** A command that finished but not fully (a partial ledger) reports its exit status here. */
  setExitCode?: (code: number) => void;
}

/** Exit status of a ledger that finished with failed seeds (recorded in their rows). */
export const PARTIAL_LEDGER_EXIT_CODE = 3;

export function labIOFrom(io: CliIO, overrides: Partial<LabIO> = {}): LabIO {
  return {
    cwd: io.cwd,
    stdout: (text) => io.writeStdout(text),
    stderr: (text) => io.writeStderr(text),
    // A bar needs a terminal; logs, pipes and CI get one plain line per step.
    progressBar: process.stderr.isTTY === true && io.env.SERVESIM_PROGRESS !== 'plain',
    ...lockTimeoutFrom(io.env.SERVESIM_STORE_LOCK_TIMEOUT_MS),
    ...overrides,
  };
}

function lockTimeoutFrom(text: string | undefined): Pick<LabIO, 'storeLockTimeoutMs'> {
  const ms = Number(text);
  return text !== undefined && Number.isFinite(ms) && ms > 0 ? { storeLockTimeoutMs: ms } : {};
}

/**
 * Pool for --jobs: in this thread for 1 (no worker start-up, simplest to debug), worker threads otherwise; with
 * --backend, jobs on a Redis queue for `servesim worker` processes (bullmq is loaded only then).
 */
export async function createEvaluationPool(jobs: number, backend?: BackendOptions, log: (message: string) => void = () => {}): Promise<EvaluationPool> {
  if (backend?.backend !== undefined) {
    const { connectRedisPool } = await import('./redis-backend.js');
    return connectRedisPool({ url: backend.backend, queue: backend.queue }, log);
  }
  if (jobs === 1) {
    const run = createSimulationRunner();
    return inProcessPool(async (task) => run(task), 1);
  }
  return workerPool(jobs);
}

function seedsFor(option: string | undefined, ...defaults: Array<{ what: string; seeds?: number[] }>): number[] {
  if (option !== undefined) return parseSeeds(option);
  const given = defaults.filter((d) => d.seeds !== undefined);
  if (given.length === 0) throw new ServesimError(`--seeds: required (${defaults.map((d) => d.what).join(' and ')} list no seeds)`);
  const first = given[0]!.seeds!;
  for (const d of given.slice(1)) {
    if (formatSeeds(d.seeds!) !== formatSeeds(first)) {
      throw new ServesimError(`--seeds: required, because ${given[0]!.what} and ${d.what} list different seeds`);
    }
  }
  return first;
}

interface BackendOptions {
  /** Redis URL of --backend (REDIS_URL already substituted). */
  backend?: string;
  queue: string;
}

interface CommonOptions extends BackendOptions {
  jobs: number;
  store: string;
  /** `--set FLAG=VALUE` overrides applied to every strategy the command loads. */
  set: string[];
}

/** A strategy file with the command line's --set overrides applied. */
function strategyFrom(io: LabIO, file: string, options: Pick<CommonOptions, 'set'>): Strategy {
  return applySets(loadStrategy(resolve(io.cwd, file)), options.set, io.cwd);
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

async function withEvaluator<T>(
  io: LabIO,
  options: CommonOptions,
  onEvaluation: ConstructorParameters<typeof StrategyEvaluator>[0]['onEvaluation'],
  body: (evaluator: StrategyEvaluator, store: TrialStore) => Promise<T>,
): Promise<T> {
  const store = TrialStore.open(resolve(io.cwd, options.store), {
    onWait: (message) => io.stderr(`${message}\n`),
    ...(io.storeLockTimeoutMs !== undefined ? { lockTimeoutMs: io.storeLockTimeoutMs } : {}),
  });
  let pool: EvaluationPool;
  try {
    pool = io.createPool && options.backend === undefined ? io.createPool(options.jobs) : await createEvaluationPool(options.jobs, options, (m) => io.stderr(`${m}\n`));
  } catch (error) {
    store.close();
    throw error;
  }
  try {
    return await body(new StrategyEvaluator({ pool, store, ...(onEvaluation ? { onEvaluation } : {}) }), store);
  } catch (error) {
    // A lost backend stops the command (the ledger records only ServesimErrors as failed seeds): one line, exit 1.
    throw error instanceof BackendError ? new ServesimError(error.message) : error;
  } finally {
    await pool.close();
    store.close();
  }
}

function progressFor(io: LabIO, label: string, unit: string, total: number, plainIntervalMs = 0) {
  return createProgress({ label, unit, total, bar: io.progressBar, write: io.stderr, plainIntervalMs });
}

type CommandFactory = (io: LabIO) => Command;

function withCommonOptions(command: Command): Command {
  return command
    .option('--jobs <n>', 'simulations run in parallel (worker threads; 1 = in this thread)', parseJobs, defaultJobs())
    .option('--store <file>', 'trial store (SQLite): finished evaluations are reused, never re-simulated', DEFAULT_STORE)
    .option('--set <flag=value>', 'override a run flag in every strategy, e.g. --set max-num-scheduled-tokens=1024 (repeatable)', collect, [])
    .option('--backend <url>', 'simulate on `servesim worker` processes through Redis: redis://HOST:PORT, rediss://… (TLS), or redis (REDIS_URL)', (text: string) => parseRedisUrl('--backend', text))
    .option('--queue <name>', 'queue of the --backend workers', parseQueueName, DEFAULT_QUEUE)
    .hook('preAction', (cmd) => {
      if (cmd.getOptionValueSource('jobs') === 'cli' && cmd.getOptionValue('backend') !== undefined) {
        throw new ServesimError('--jobs: not with --backend (the workers run `servesim worker --concurrency N`)');
      }
    })
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`);
}

const optimizeCommandFactory: CommandFactory = (io) =>
  withCommonOptions(
    new Command('servesim optimize')
      .description(
        "Searches a strategy's parameters with Gaussian-process Bayesian optimisation; every call is the mean score over the seeds " +
          '(objective + constraint penalties, per seed). Every evaluation is stored as it finishes; --resume continues a killed run. ' +
          "The strategy's initial_points (e.g. `initial_points: defaults`) are evaluated first, then the space-filling points. " +
          'With several `objectives:` or hard constraints (`metric >= reference`, per seed) it searches the Pareto front and ' +
          'prints it with the hypervolume per call; with validation seeds it re-evaluates the front (or the best points) ' +
          'against the references on held-out seeds: paired Δ % with 95 % CIs and a verdict. ' +
          'Calls are numbered from 1 everywhere: the summary ("best … at call K"), --output\'s best_call and trace[].call, ' +
          '`servesim trials STORE --run N` and `servesim export STORE --run N --call K`.',
      )
      .argument('<strategy>', 'strategy YAML file')
      .option('--seeds <list>', "seeds, e.g. 42,43,44 or 42-61 (default: the strategy's seeds)")
      .option('--n-calls <n>', 'optimiser calls (points evaluated, initial_points included)', integerOption('--n-calls', 1), 40)
      .option('--n-initial <n>', "space-filling initial points (after the strategy's initial_points) before the GP takes over", integerOption('--n-initial', 1), 12)
      .option('--random-state <n>', 'seed of every random choice of the optimiser', integerOption('--random-state', 0), 42)
      .option('--output <file>', 'write the result as JSON (best point, its metrics and args, convergence trace; front, hypervolume, validation)')
      .option('--resume', 'continue the latest unfinished run of this strategy with the same settings', false)
      .option('--warm-start-from <run>', "evaluate an earlier run's points first (read back from --store), like initial_points", integerOption('--warm-start-from', 1))
      .option(
        '--must-dominate <strategy>',
        'hard constraints: every objective no worse than this strategy on the paired per-seed mean, the first at least 1 % better',
      )
      .option('--validate-seeds <list>', "after the search, validate on these held-out seeds (default: the strategy's validation_seeds)")
      .option('--validate-top <k>', 'validate the K best points (default: the whole front; 3 with one objective)', integerOption('--validate-top', 1))
      .option('--reference <strategy>', "a strategy the validation compares with (repeatable; default: the strategy's references)", collect, [])
      .option(
        '--seed-allocation <mode>',
        "all (every point on every seed) or racing (same budget of n-calls x seeds simulations, proposals raced seed by seed); default: the strategy's seed_allocation, else all",
        seedAllocationOption,
      )
      .option(
        '--surrogate <model>',
        "gp (one GP of the score) or composite (one GP per metric, expected improvement of the known on-means score); default: the strategy's surrogate, else gp",
        surrogateOption,
      ),
  ).action(async (strategyFile: string, options: CommonOptions & OptimizeCliOptions) => {
    await optimizeCommand(io, strategyFile, options);
  });

const compareCommandFactory: CommandFactory = (io) =>
  withCommonOptions(
    new Command('servesim compare')
      .description(
        'Runs the strategies on the same seeds and reports, per metric and per SLO class, each mean and the paired difference ' +
          "to the reference in % with a 95 % confidence interval (Student's t on the per-seed differences); n.s. = not " +
          'significant. With two strategies (and no --reference/--holm) the classic A/B table; with more, each mean ± CI too.',
      )
      .argument('<strategies...>', 'strategy YAML files; the first is the reference unless --reference names another')
      .option('--seeds <list>', "seeds, e.g. 42-61 (default: the strategies' seeds)")
      .option('--reference <name|file>', 'the strategy the others are compared with (its name or file)')
      .option('--holm', 'Holm-adjust the p-values over the comparisons of each metric', false)
      .option('--json', 'machine-readable output', false)
      .option('--csv', 'one CSV row per metric and strategy', false),
  ).action(async (files: string[], options: CommonOptions & CompareCliOptions) => {
    await compareCommand(io, files, options);
  });

const ledgerCommandFactory: CommandFactory = (io) =>
  withCommonOptions(
    new Command('servesim ledger')
      .description(
        'Runs every entry of a ledger YAML on the same seeds, compares each with its baseline and writes DIR/ledger.md ' +
          '(the iteration table: per-class TTFT P99 Δ%, throughput Δ%, SLO gap, rejections, status) and DIR/ledger.json.',
      )
      .argument('<ledger>', 'ledger YAML file (e.g. presets/ledger.yaml)')
      .option('--seeds <list>', "seeds (default: the ledger's seeds; entries with their own seeds keep them)")
      .option('--out <dir>', 'output directory', DEFAULT_LEDGER_OUT),
  ).action(async (ledgerFile: string, options: CommonOptions & { seeds?: string; out: string }) => {
    await ledgerCommand(io, ledgerFile, options);
  });

const sweepCommandFactory: CommandFactory = (io) =>
  withCommonOptions(
    new Command('servesim sweep')
      .description(
        'Evaluates a strategy over a grid of run-flag values on every seed: mean ± 95 % CI per grid point and metric, and with ' +
          '--reference the paired Δ % against the reference run with the same varied flags.',
      )
      .argument('<strategy>', 'strategy YAML file')
      .option(
        '--vary <name=values>',
        'a run flag without dashes (or workload=a.yaml,b.yaml) and its values: 768,1024,2048 | FROM:TO:STEP | log:FROM:TO:N (repeatable: a grid)',
        collect,
        [],
      )
      .option('--reference <strategy>', 'strategy to compare with at every grid point (e.g. the baseline)')
      .option('--seeds <list>', "seeds, e.g. 42-61 (default: the strategy's seeds)")
      .option('--metrics <list>', 'metrics to report', DEFAULT_SWEEP_METRICS.join(','))
      .option('--json', 'machine-readable output', false)
      .option('--csv', 'one CSV row per grid point and metric', false),
  ).action(async (file: string, options: CommonOptions & SweepCliOptions) => {
    await sweepCommand(io, file, options);
  });

const ablateCommandFactory: CommandFactory = (io) =>
  withCommonOptions(
    new Command('servesim ablate')
      .description(
        "Which of a strategy's components (its YAML `components:`) carry its effect: each added alone to the baseline and removed " +
          'alone from the strategy, with paired 95 % CIs, and the interaction (full effect − sum of single effects): super-additive, ' +
          'additive or sub-additive.',
      )
      .argument('<strategy>', 'strategy YAML file with components:')
      .requiredOption('--baseline <strategy>', 'the strategy the components are added to (e.g. presets/strategies/baseline.yaml)')
      .option('--seeds <list>', "seeds, e.g. 42-61 (default: the strategy's seeds)")
      .option('--metrics <list>', "metrics to report (default: the strategy's objective metric)")
      .option('--json', 'machine-readable output', false),
  ).action(async (file: string, options: CommonOptions & AblateCliOptions) => {
    await ablateCommand(io, file, options);
  });

interface AblateCliOptions {
  baseline: string;
  seeds?: string;
  metrics?: string;
  json: boolean;
}

export async function ablateCommand(io: LabIO, file: string, options: CommonOptions & AblateCliOptions): Promise<AblationResult> {
  const full = strategyFrom(io, file, options);
  const baseline = strategyFrom(io, options.baseline, options);
  checkComponents(full, full.components);
  const metrics = (options.metrics ?? full.objective?.metric ?? 'ttft_p99_ms').split(',').map((m) => m.trim());
  checkSweepMetrics(metrics);
  const seeds = seedsFor(
    options.seeds,
    { what: file, ...(full.seeds ? { seeds: full.seeds } : {}) },
    { what: options.baseline, ...(baseline.seeds ? { seeds: baseline.seeds } : {}) },
  );
  const total = (2 + 2 * full.components.length) * seeds.length;
  const progress = progressFor(io, 'ablate', 'evaluations', total, 2000);
  let done = 0;
  const result = await withEvaluator(
    io,
    options,
    () => progress.update(++done),
    (evaluator) => runAblation(full, baseline, full.components, seeds, metrics, evaluator),
  ).finally(() => progress.stop());
  io.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatAblationTable(result));
  return result;
}

interface SweepCliOptions {
  vary: string[];
  reference?: string;
  seeds?: string;
  metrics: string;
  json: boolean;
  csv: boolean;
}

export async function sweepCommand(io: LabIO, file: string, options: CommonOptions & SweepCliOptions): Promise<SweepResult> {
  if (options.vary.length === 0) throw new ServesimError('sweep: give at least one --vary NAME=VALUES');
  if (options.json && options.csv) throw new ServesimError('sweep: --json and --csv exclude each other');
  const strategy = strategyFrom(io, file, options);
  const reference = options.reference === undefined ? undefined : strategyFrom(io, options.reference, options);
  const grid = expandGrid(options.vary.map(parseVary));
  const metrics = options.metrics.split(',').map((m) => m.trim());
  checkSweepMetrics(metrics);
  const variants = sweepVariants(strategy, reference, grid, io.cwd);
  const seeds = seedsFor(
    options.seeds,
    { what: file, ...(strategy.seeds ? { seeds: strategy.seeds } : {}) },
    ...(reference ? [{ what: options.reference!, ...(reference.seeds ? { seeds: reference.seeds } : {}) }] : []),
  );
  const total = grid.length * seeds.length * (reference ? 2 : 1);
  const progress = progressFor(io, 'sweep', 'evaluations', total, 2000);
  let done = 0;
  const result = await withEvaluator(
    io,
    options,
    () => progress.update(++done),
    (evaluator) => runSweep(strategy, reference, variants, { seeds, metrics }, evaluator),
  ).finally(() => progress.stop());
  io.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : options.csv ? formatSweepCsv(result) : formatSweepTable(result));
  return result;
}

/** Parses argv with commander and runs the action; help and usage errors come back as exit statuses. */
function runCommand(factory: CommandFactory, argv: readonly string[], io: CliIO, overrides?: Partial<LabIO>): Promise<number> {
  let exitCode = 0;
  const command = factory(labIOFrom(io, { ...overrides, setExitCode: (code) => void (exitCode = code) }));
  return runCommanderCommand(command, argv, io, () => exitCode);
}

export type LabCommandName = 'optimize' | 'compare' | 'ledger' | 'sweep' | 'ablate';

const FACTORIES: Record<LabCommandName, CommandFactory> = {
  optimize: optimizeCommandFactory,
  compare: compareCommandFactory,
  ledger: ledgerCommandFactory,
  sweep: sweepCommandFactory,
  ablate: ablateCommandFactory,
};

/** Runs `servesim <name> <argv>`; returns the exit status. Throws ServesimError on bad input. */
export function runLabCommand(name: LabCommandName, argv: readonly string[], io: CliIO, overrides?: Partial<LabIO>): Promise<number> {
  return runCommand(FACTORIES[name], argv, io, overrides);
}

export function labCommandHelp(name: LabCommandName): string {
  return commanderHelp((io) => FACTORIES[name](labIOFrom(io)));
}

interface OptimizeCliOptions {
  seeds?: string;
  nCalls: number;
  nInitial: number;
  randomState: number;
  output?: string;
  resume: boolean;
  mustDominate?: string;
  validateSeeds?: string;
  validateTop?: number;
  reference: string[];
  warmStartFrom?: number;
  seedAllocation?: SeedAllocation;
  surrogate?: Surrogate;
}

/** The optimize result as the command reports it: with the held-out validation when there was one. */
export type OptimizeCommandResult = OptimizeResult & { validation?: ValidationReport };

export async function optimizeCommand(io: LabIO, strategyFile: string, options: CommonOptions & OptimizeCliOptions): Promise<OptimizeCommandResult> {
  const loaded = withOptimizerChoices(warmStarted(io, strategyFrom(io, strategyFile, options), options), options);
  // --must-dominate becomes hard constraints of the strategy, so it is part of the run's identity (--resume).
  const strategy =
    options.mustDominate === undefined
      ? loaded
      : {
          ...loaded,
          requirements: [...(loaded.requirements ?? []), ...mustDominateRequirements(objectivesOf(loaded), resolve(io.cwd, options.mustDominate))],
        };
  const createOptimizer = optimizerFactoryFor(strategy);
  if (options.output) checkWritableFile(resolve(io.cwd, options.output), '--output', true);
  const seeds = seedsFor(options.seeds, { what: strategyFile, ...(strategy.seeds ? { seeds: strategy.seeds } : {}) });
  const settings = { seeds, nCalls: options.nCalls, nInitial: options.nInitial, randomState: options.randomState };
  const validationSeeds = options.validateSeeds !== undefined ? parseSeeds(options.validateSeeds, '--validate-seeds') : strategy.validationSeeds;
  const validateFlag = options.validateSeeds !== undefined ? '--validate-seeds' : `${strategyFile}: validation_seeds`;
  if (validationSeeds) {
    const overlap = validationSeeds.filter((s) => seeds.includes(s));
    if (overlap.length > 0) throw new ServesimError(`${validateFlag}: must not overlap the tuning seeds (${formatSeeds(seeds)}); both list ${formatSeeds(overlap)}`);
  } else if (options.validateTop !== undefined) {
    throw new ServesimError('--validate-top: only meaningful with --validate-seeds (or validation_seeds in the strategy)');
  }
  const referenceFiles = options.reference.length > 0 ? options.reference.map((f) => resolve(io.cwd, f)) : (strategy.references ?? []);
  if (validationSeeds && referenceFiles.length === 0) {
    throw new ServesimError(`--reference: validation on held-out seeds needs a strategy to compare with (--reference FILE, or references: in ${strategyFile})`);
  }
  // Every other strategy the run evaluates, loaded and checked (runnable at their defaults) before any simulation.
  const others = new Map<string, Strategy>();
  for (const file of [...requirementTargets(strategy.requirements ?? []), ...referenceFiles]) {
    if (others.has(file)) continue;
    const other = strategyFrom(io, file, options);
    defaultParameterValues(other);
    others.set(file, other);
  }
  const hypervolumeReferences = referenceFiles.length > 0 ? referenceFiles : requirementTargets(strategy.requirements ?? []).slice(0, 1);
  const progress = progressFor(io, `optimize ${strategy.name}`, 'calls', settings.nCalls);
  let simulated = 0;
  const result = await withEvaluator(
    io,
    options,
    (e) => {
      if (!e.cached) simulated++;
    },
    async (evaluator, store): Promise<OptimizeCommandResult> => {
      const optimized = await optimizeStrategy(strategy, settings, {
        evaluator,
        store,
        createOptimizer,
        createVectorOptimizer: paretoOptimizerFactory,
        strategies: others,
        hypervolumeReferences,
        resume: options.resume,
        log: (m) => io.stderr(`${m}\n`),
        onCall: (p) =>
          progress.update(p.done, { score: p.score.toFixed(2), best: p.best.toFixed(2), sims: String(simulated) }),
      });
      if (!validationSeeds) return optimized;
      progress.stop();
      const candidates = validationCandidates(strategy, optimized, options.validateTop);
      const references = referenceFiles.map((f) => others.get(f)!);
      io.stderr(`validating ${candidates.length} point(s) and ${references.length} reference(s) on held-out seeds ${formatSeeds(validationSeeds)}\n`);
      const validation = await runValidation(strategy, objectivesOf(strategy), candidates, references, { tuning: seeds, validation: validationSeeds }, evaluator, {
        requirements: strategy.requirements ?? [],
        targets: others,
      });
      return { ...optimized, validation };
    },
  ).finally(() => progress.stop());

  // The summary goes out first: a failing --output must not lose it.
  io.stdout(
    (isVectorRun(strategy) ? formatFrontSummary(strategy, result, options.output, options.store) : formatOptimizeSummary(strategy, result, options.output, options.store)) +
      (result.validation ? formatValidation(result.validation, objectivesOf(strategy)) : ''),
  );
  if (options.output) writeJson(resolve(io.cwd, options.output), optimizeResultJson(result), '--output');
  return result;
}

/** --seed-allocation and --surrogate override the strategy's keys; defaults are left out, as the YAML parser does. */
function withOptimizerChoices(strategy: Strategy, options: OptimizeCliOptions): Strategy {
  const { seedAllocation, surrogate, ...rest } = strategy;
  const allocation = options.seedAllocation ?? seedAllocation;
  const model = options.surrogate ?? surrogate;
  return { ...rest, ...(allocation === 'racing' ? { seedAllocation: allocation } : {}), ...(model === 'composite' ? { surrogate: model } : {}) };
}

/** The strategy with --warm-start-from's points first (the store is only read here; the run opens it for writing). */
function warmStarted(io: LabIO, strategy: Strategy, options: CommonOptions & OptimizeCliOptions): Strategy {
  if (options.warmStartFrom === undefined) return strategy;
  const store = TrialStore.openReadOnly(resolve(io.cwd, options.store), options.store);
  try {
    return withWarmStart(strategy, store, options.warmStartFrom);
  } finally {
    store.close();
  }
}

/** What validation re-evaluates: the front (its first K by the first objective), or the K (default 3) best-scoring distinct points. */
function validationCandidates(strategy: Strategy, result: OptimizeResult, top: number | undefined): Array<{ call: number; params: ParamValues }> {
  if (isVectorRun(strategy)) return (result.front ?? []).slice(0, top).map((p) => ({ call: p.call, params: p.params }));
  const seen = new Set<string>();
  return [...result.trace]
    .sort((a, b) => a.score - b.score || a.call - b.call)
    .filter((t) => {
      const key = JSON.stringify(t.params);
      return !seen.has(key) && seen.add(key);
    })
    .slice(0, top ?? 3)
    .map((t) => ({ call: t.call, params: t.params }));
}

function optimizeResultJson(result: OptimizeCommandResult): unknown {
  return { ...result, best_mean_metrics: metricsToJson(result.best_mean_metrics) };
}

function formatOptimizeSummary(strategy: Strategy, r: OptimizeResult, output: string | undefined, store?: string): string {
  const objective = r.objective;
  const lines = [
    `strategy ${strategy.name}: ${r.settings.nCalls} calls x ${r.settings.seeds.length} seeds (${formatSeeds(r.settings.seeds)}), ` +
      `${strategy.initialPoints?.length ? `${strategy.initialPoints.length} from initial_points + ` : ''}` +
      `${r.settings.nInitial} initial, random state ${r.settings.randomState}`,
    // best_call is numbered from 1, like trace[].call, `trials --run` and `export --call`.
    `best score ${r.best_score.toFixed(4)} at call ${r.best_call} (${scoreMeaning(strategy, objective)})`,
    ...(racingSummaryLine(r) === undefined ? [] : [racingSummaryLine(r)!]),
    'best parameters:',
    ...Object.entries(r.best_params).map(([k, v]) => `  ${k} = ${String(v)}`),
    ...perSeedLines(strategy, r),
    'mean metrics at the best point:',
    ...[
      'ttft_p99_ms',
      'critical_ttft_p99_ms',
      'standard_ttft_p99_ms',
      'sheddable_ttft_p99_ms',
      'e2e_p99_ms',
      'throughput_tps',
      'rejected',
      'dropped',
      'slo_gap',
    ].map((k) => `  ${k} = ${formatNumber(r.best_mean_metrics[k])}`),
    `best point's args: ${formatArgv(r.best_args)}`,
    `run it: ${r.best_command}`,
    ...(store !== undefined && r.run_id !== null
      ? [`stored as run ${r.run_id}: servesim trials ${formatArgv([store])} --run ${r.run_id}; servesim export ${formatArgv([store])} --run ${r.run_id} --call ${r.best_call}`]
      : []),
    `simulations run ${r.simulations_run}, reused ${r.evaluations_reused} (already in the trial store, or identical to one ` +
      `running: never simulated twice); ${r.wall_time_s.toFixed(1)} s` +
      (output ? `; written to ${output}` : ''),
  ];
  return `${lines.join('\n')}\n`;
}

/** What the minimised score is made of: a maximised objective enters negated. */
function scoreMeaning(strategy: Strategy, objective: OptimizeResult['objective']): string {
  const term = objective.direction === 'minimize' ? objective.metric : `−${objective.metric} (maximised, so negated)`;
  const penalties = strategy.constraints.length === 0 ? '' : ` + ${strategy.constraints.length} constraint penalties ${strategy.penalties === 'per_seed' ? 'per seed' : 'on the means'}`;
  return `minimised: ${term}${penalties}`;
}

/** The best point's objective per seed with its natural sign; penalties only where they enter the score. */
function perSeedLines(strategy: Strategy, r: OptimizeResult): string[] {
  const metric = r.objective.metric;
  if (strategy.penalties === 'on_means' && strategy.constraints.length > 0) {
    const mean = r.best_per_seed.reduce((s, x) => s + x.objectiveValue, 0) / r.best_per_seed.length;
    const signedMean = r.objective.direction === 'minimize' ? mean : -mean;
    return [
      `${metric} per seed: ` + r.best_per_seed.map((s) => `${s.seed}: ${s.objectiveValue.toFixed(2)}`).join(', '),
      `mean ${mean.toFixed(2)}; penalty on the means ${(r.best_score - signedMean).toFixed(2)}`,
    ];
  }
  return [
    `${metric} per seed${strategy.constraints.length > 0 ? ' (+ penalty)' : ''}: ` +
      r.best_per_seed.map((s) => `${s.seed}: ${s.objectiveValue.toFixed(2)}${s.penalty > 0 ? ` + ${s.penalty.toFixed(2)}` : ''}`).join(', '),
  ];
}

function formatNumber(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}

interface CompareCliOptions {
  seeds?: string;
  reference?: string;
  holm: boolean;
  json: boolean;
  csv: boolean;
}

/** Index of the reference: the first strategy, or the one whose name or file --reference gives. */
function referenceIndex(io: LabIO, files: readonly string[], strategies: readonly Strategy[], reference: string | undefined): number {
  if (reference === undefined) return 0;
  const byName = strategies.findIndex((s) => s.name === reference);
  const byFile = files.findIndex((f) => resolve(io.cwd, f) === resolve(io.cwd, reference));
  const index = byName >= 0 ? byName : byFile;
  if (index < 0) {
    throw new ServesimError(`--reference ${quoteText(reference)}: not one of the compared strategies (${strategies.map((s) => s.name).join(', ')})`);
  }
  return index;
}

export async function compareCommand(io: LabIO, files: readonly string[], options: CommonOptions & CompareCliOptions): Promise<void> {
  if (files.length < 2) throw new ServesimError(`compare: expected at least two strategy files, got ${files.length}`);
  if (options.json && options.csv) throw new ServesimError('compare: --json and --csv exclude each other');
  const strategies = files.map((file) => strategyFrom(io, file, options));
  const reference = referenceIndex(io, files, strategies, options.reference);
  const seeds = seedsFor(options.seeds, ...strategies.map((s, i) => ({ what: files[i]!, ...(s.seeds ? { seeds: s.seeds } : {}) })));
  const progress = progressFor(io, 'compare', 'evaluations', strategies.length * seeds.length, 2000);
  let done = 0;
  const metrics = await withEvaluator(
    io,
    options,
    () => progress.update(++done),
    (evaluator) =>
      Promise.all(strategies.map((s) => evaluator.evaluatePoint(s, defaultParameterValues(s), seeds).then((es) => es.map((e) => e.metrics)))),
  ).finally(() => progress.stop());
  const classic = strategies.length === 2 && options.reference === undefined && !options.holm && !options.csv;
  if (classic) {
    const result = buildComparison(strategies[0]!, strategies[1]!, seeds, metrics[0]!, metrics[1]!);
    const warning = workloadWarnings(strategies, 0).map((w) => `WARNING: ${w}\n`).join('');
    io.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : warning + formatCompareTable(result));
    return;
  }
  const result = buildMultiComparison(strategies, seeds, metrics, reference, { holm: options.holm });
  io.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : options.csv ? formatMultiCompareCsv(result) : formatMultiCompareTable(result));
}

export async function ledgerCommand(io: LabIO, ledgerFile: string, options: CommonOptions & { seeds?: string; out: string }): Promise<void> {
  const ledger = loadLedger(resolve(io.cwd, ledgerFile));
  const outDir = resolve(io.cwd, options.out);
  checkWritableDirectory(outDir, '--out');
  const seeds = seedsFor(options.seeds, { what: ledgerFile, ...(ledger.seeds ? { seeds: ledger.seeds } : {}) });
  const total = countLedgerEvaluations(ledger, seeds);
  const progress = progressFor(io, 'ledger', 'evaluations', total, 2000);
  let done = 0;
  const report = await withEvaluator(
    io,
    options,
    () => progress.update(++done),
    (evaluator) => runLedger(ledger, seeds, evaluator, (strategy) => applySets(strategy, options.set, io.cwd)),
  ).finally(() => progress.stop());
  const markdown = formatLedgerMarkdown(report);
  const summary = markdown.split('\n## Absolute figures')[0]!;
  io.stdout(`${summary}\nwritten: ${join(options.out, 'ledger.md')}, ${join(options.out, 'ledger.json')}\n`);
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'ledger.md'), markdown, '--out');
  writeJson(join(outDir, 'ledger.json'), report, '--out');
  if (report.failed_evaluations > 0) {
    const rows = report.rows
      .filter((row) => row.failed_seeds.length > 0)
      .map((row) => `row ${row.id}: seed${row.failed_seeds.length > 1 ? 's' : ''} ${row.failed_seeds.map((f) => f.seed).join(', ')}`)
      .join('; ');
    io.stderr(`ledger: ${report.failed_evaluations} of ${total} evaluations failed (${rows}); their rows say why (exit status ${PARTIAL_LEDGER_EXIT_CODE})\n`);
    io.setExitCode?.(PARTIAL_LEDGER_EXIT_CODE);
  }
}

function writeJson(path: string, value: unknown, what: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, what);
}
