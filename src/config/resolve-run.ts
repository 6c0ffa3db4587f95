// `servesim run` configuration resolution: from command-line flags to a validated SimConfig, following the
// reference's processing order and fatal messages (docs/architecture.md, "Configuration"). Pure with respect to the process: it never prints
// or exits — failures are ServesimErrors, warnings are returned — so the strategy lab can call it in-process
// hundreds of times. Expensive inputs (defaults file, generated workloads) are cached in a RunConfigCache.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { formatGoFloatF, formatGoFloatV } from '../go/fmt.js';
import type { PolicyCatalog } from '../policies/catalog.js';
import { checkWritableFile } from '../fs/atomic.js';
import { formatBytes, usableMemoryBytes } from '../fs/memory.js';
import { validateFitnessWeights } from '../metrics/fitness.js';
import { catalogWithPlugins } from '../plugins/load.js';
import type { GeneratedRequest, RequestStream, SimConfig } from '../types.js';
import { legacyPreset, validateLegacyWorkloadParams, type LegacyLengthSettings } from '../workload/legacy.js';
import { BoundedCache } from './bounded-cache.js';
import { DefaultsFileCache, SHIPPED_DEFAULTS_PATH, type DefaultsFile } from './defaults-file.js';
import { resolveLatency } from './latency-resolution.js';
import { loadPolicyBundle, readBundlePlugins, type PolicyBundle } from './policy-bundle.js';
import { flagValuesIn, pluginPathsIn, resolvePolicies } from './policy-resolution.js';
import { parseRunArgs, type RunArgs, type RunFlags } from './run-flags.js';
import { quoteText } from '../show-value.js';
import {
  generateLegacyRequests,
  generateSpecRequests,
  readTraceRequests,
  type LegacyWorkloadParams,
  type LoadedSpec,
} from './workload-source.js';

/** logrus levels, least to most verbose. */
export const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Diagnostic {
  level: 'warn' | 'info';
  message: string;
}

/** Options that only affect what is written after the simulation. */
export interface RunOutputOptions {
  /** Absolute path, or '' for none. */
  resultsPath: string;
  /** Raw `--fitness-weights`, already validated (the reference failed only after the run: quirk 32). */
  fitnessWeights: string;
  summarizeTrace: boolean;
  traceLevel: string;
}

export interface ResolvedRunConfig {
  sim: SimConfig;
  output: RunOutputOptions;
  logLevel: LogLevel;
  /** Warnings and info messages in the order the reference logs them; never printed here. */
  diagnostics: Diagnostic[];
}

/** Caches reused across resolutions (the lab resolves hundreds of runs per process). Requests are shared: treat them as immutable. */
export class RunConfigCache {
  readonly defaultsFiles = new DefaultsFileCache();
  readonly workloads = new BoundedCache<string, readonly GeneratedRequest[]>(16);
  readonly workloadSpecs = new BoundedCache<string, LoadedSpec>(16);
  readonly policyBundles = new BoundedCache<string, PolicyBundle>(16);
}

export interface ResolveRunOptions {
  /** Directory that relative paths in flags are resolved against. */
  cwd: string;
  /** Defaults to a cache shared by all callers that pass none. */
  cache?: RunConfigCache;
}

const sharedCache = new RunConfigCache();

function fail(message: string): never {
  throw new ServesimError(message);
}

export function parseLogLevel(text: string): LogLevel {
  const lower = text.toLowerCase();
  const level = lower === 'warning' ? 'warn' : lower;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) fail(`Invalid log level: ${text}`);
  return level as LogLevel;
}

/** A file's identity for cache keys: content changes must invalidate cached workloads. */
function fileStamp(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return 'missing';
  }
}

/** The policy catalog of a command line: the built-ins plus the plugins of --plugin and of the policy bundle. */
export function catalogForArgv(argv: readonly string[], cwd: string): PolicyCatalog {
  const bundlePath = flagValuesIn(argv, 'policy-config').pop();
  const bundlePlugins = bundlePath === undefined || bundlePath === '' ? [] : readBundlePlugins(resolve(cwd, bundlePath));
  return catalogWithPlugins([...pluginPathsIn(argv, cwd), ...bundlePlugins], cwd);
}

/** Parses `run` flags against the catalog their plugins define (argv without the `run` word). */
export function parseRunCommandLine(argv: readonly string[], cwd: string): RunArgs {
  return parseRunArgs(argv, catalogForArgv(argv, cwd));
}

/** Resolves `run` flags (argv without the `run` word; a leading `run` is tolerated) to a simulation config. */
export function resolveRunConfig(argv: readonly string[], options: ResolveRunOptions): ResolvedRunConfig {
  const args = parseRunCommandLine(argv[0] === 'run' ? argv.slice(1) : argv, options.cwd);
  if (args.helpRequested) fail('--help cannot be resolved to a run configuration');
  return resolveRunArgs(args, options);
}

function legacyFlagLengths(f: RunFlags): LegacyLengthSettings {
  return {
    prefixTokens: f.prefixTokens,
    prompt: { mean: f.promptTokens, stdev: f.promptTokensStdev, min: f.promptTokensMin, max: f.promptTokensMax },
    output: { mean: f.outputTokens, stdev: f.outputTokensStdev, min: f.outputTokensMin, max: f.outputTokensMax },
  };
}

const VALID_TRACE_LEVELS = ['none', 'decisions'];

/** Measured memory of one simulated instance (weighted routing: state, KV store, router prefix index), rounded up. */
const BYTES_PER_INSTANCE = 40 * 1024;

interface ResolutionContext {
  args: RunArgs;
  cwd: string;
  cache: RunConfigCache;
  given: (flag: string) => boolean;
  loadDefaults: () => DefaultsFile;
  diagnostics: Diagnostic[];
  warn: (message: string) => void;
}

interface WorkloadResolution {
  horizon: number;
  /** Spec workloads are generated (or, when large, set up to stream) first: their errors come first … */
  requests?: readonly GeneratedRequest[] | RequestStream;
  /** … legacy and trace workloads only after every other check, as in the reference. */
  deferred?: () => readonly GeneratedRequest[];
}

/** Step 4: the workload. Trace workloads are set up with the engine checks (step 5). */
function resolveWorkload(ctx: ResolutionContext): WorkloadResolution {
  const { args, cwd, cache, given } = ctx;
  const f = args.flags;
  if (f.workloadSpec !== '') {
    const specPath = resolve(cwd, f.workloadSpec);
    const generated = generateSpecRequests(specPath, {
      seed: given('seed') ? f.seed : undefined,
      horizon: given('horizon') ? f.horizon : undefined,
      numRequests: given('num-requests') ? f.numRequests : undefined,
      cache: cache.workloads,
      specCache: cache.workloadSpecs,
      stamp: fileStamp(specPath),
      onWarning: ctx.warn,
    });
    return { horizon: generated.horizon, requests: generated.requests };
  }
  if (f.workload === 'traces') return { horizon: f.horizon };
  const distribution = f.workload === 'distribution';
  // Presets come from the same defaults file as the coefficients.
  const lengths = distribution ? legacyFlagLengths(f) : legacyPreset(f.workload, ctx.loadDefaults().workloads);
  const legacy: LegacyWorkloadParams = {
    ...lengths,
    seed: f.seed,
    rate: f.rate,
    numRequests: f.numRequests,
    horizon: f.horizon,
    checkLengthRanges: distribution,
  };
  validateLegacyWorkloadParams(legacy);
  return { horizon: f.horizon, deferred: () => generateLegacyRequests(legacy, cache.workloads) };
}

/** Step 5: engine flags, and the trace workload's file. */
function checkEngine(ctx: ResolutionContext, totalKvBlocks: number, workload: WorkloadResolution): void {
  const f = ctx.args.flags;
  if (f.numInstances < 1) fail('num-instances must be >= 1');
  const instanceBytes = f.numInstances * BYTES_PER_INSTANCE;
  // Small clusters cannot exhaust memory; only large ones ask the OS how much there is.
  if (instanceBytes > 2 ** 28 && instanceBytes > usableMemoryBytes()) {
    fail(
      `--num-instances ${f.numInstances} would need about ${formatBytes(instanceBytes)} for the instances alone ` +
        `(≈ ${BYTES_PER_INSTANCE / 1024} KiB each); this machine can give ${formatBytes(usableMemoryBytes())}`,
    );
  }
  if (totalKvBlocks <= 0) fail(`--total-kv-blocks must be > 0, got ${totalKvBlocks}`);
  if (f.blockSizeInTokens <= 0) fail(`--block-size-in-tokens must be > 0, got ${f.blockSizeInTokens}`);
  if (f.maxNumRunningReqs <= 0) fail(`--max-num-running-reqs must be > 0, got ${f.maxNumRunningReqs}`);
  if (f.maxNumScheduledTokens <= 0) fail(`--max-num-scheduled-tokens must be > 0, got ${f.maxNumScheduledTokens}`);
  if (f.longPrefillTokenThreshold < 0) fail(`--long-prefill-token-threshold must be >= 0, got ${f.longPrefillTokenThreshold}`);
  if (f.workloadSpec === '' && f.workload === 'traces') {
    if (f.workloadTracesFilepath === '') fail('--workload-traces-filepath is required when using --workload traces');
    const tracePath = resolve(ctx.cwd, f.workloadTracesFilepath);
    const horizon = workload.horizon;
    workload.deferred = () => readTraceRequests(tracePath, horizon, fileStamp(tracePath), ctx.cache.workloads);
  }
}

/** Step 6: the policy bundle, if any. */
function loadBundle(ctx: ResolutionContext): PolicyBundle | undefined {
  const f = ctx.args.flags;
  if (f.policyConfig === '') return undefined;
  const path = resolve(ctx.cwd, f.policyConfig);
  const catalog = ctx.args.catalog;
  const bundle = ctx.cache.policyBundles.getOrCreate(`${path}|${fileStamp(path)}|${catalog.plugins().join('|')}`, () =>
    loadPolicyBundle(path, catalog),
  );
  ctx.diagnostics.push({ level: 'info', message: `Loaded policy config from ${f.policyConfig}` });
  return bundle;
}

/** Step 7 (after the policies): trace and KV-tier flags. */
function checkTraceAndKv(ctx: ResolutionContext): void {
  const f = ctx.args.flags;
  if (!VALID_TRACE_LEVELS.includes(f.traceLevel)) fail(`Unknown trace level ${quoteText(f.traceLevel)}. Valid: ${VALID_TRACE_LEVELS.join(', ')}`);
  if (f.counterfactualK < 0) fail(`--counterfactual-k must be >= 0, got ${f.counterfactualK}`);
  if (f.traceLevel === 'none' && f.counterfactualK > 0) ctx.warn('--counterfactual-k has no effect without --trace-level decisions');
  if (f.traceLevel === 'none' && f.summarizeTrace) ctx.warn('--summarize-trace has no effect without --trace-level decisions');
  if (f.kvCpuBlocks < 0) fail(`--kv-cpu-blocks must be >= 0, got ${f.kvCpuBlocks}`);
  if (!(f.kvOffloadThreshold >= 0 && f.kvOffloadThreshold <= 1)) {
    fail(`--kv-offload-threshold must be in [0, 1], got ${formatGoFloatF(f.kvOffloadThreshold)}`);
  }
  if (f.kvCpuBlocks > 0 && !(Number.isFinite(f.kvTransferBandwidth) && f.kvTransferBandwidth > 0)) {
    fail(`--kv-transfer-bandwidth must be a finite value > 0 when --kv-cpu-blocks > 0, got ${formatGoFloatF(f.kvTransferBandwidth)}`);
  }
  if (f.kvTransferBaseLatency < 0) fail(`--kv-transfer-base-latency must be >= 0, got ${f.kvTransferBaseLatency}`);
  if (f.snapshotRefreshInterval < 0) fail(`--snapshot-refresh-interval must be >= 0, got ${f.snapshotRefreshInterval}`);
}

export function resolveRunArgs(args: RunArgs, options: ResolveRunOptions): ResolvedRunConfig {
  const f = args.flags;
  const cache = options.cache ?? sharedCache;
  const diagnostics: Diagnostic[] = [];
  const defaultsPath = f.defaultsFilepath !== '' ? resolve(options.cwd, f.defaultsFilepath) : SHIPPED_DEFAULTS_PATH;
  const ctx: ResolutionContext = {
    args,
    cwd: options.cwd,
    cache,
    given: (flag) => args.explicit.has(flag),
    loadDefaults: () => cache.defaultsFiles.load(defaultsPath),
    diagnostics,
    warn: (message) => void diagnostics.push({ level: 'warn', message }),
  };
  // Step 1, then steps 2–3.
  const logLevel = parseLogLevel(f.log);
  if (f.model === '') fail('LLM name not provided. Exiting simulation.');
  const model = f.model.toLowerCase();
  const { latency, totalKvBlocks } = resolveLatency({ ...ctx, flags: f, model, defaultsPath });
  const workload = resolveWorkload(ctx);
  checkEngine(ctx, totalKvBlocks, workload);
  const { policies, warnings } = resolvePolicies(args, loadBundle(ctx));
  checkTraceAndKv(ctx);
  warnings.forEach(ctx.warn);
  // Output settings are checked before any simulation work.
  const output: RunOutputOptions = {
    resultsPath: f.resultsPath !== '' ? resolve(options.cwd, f.resultsPath) : '',
    fitnessWeights: f.fitnessWeights,
    summarizeTrace: f.summarizeTrace,
    traceLevel: f.traceLevel,
  };
  if (output.fitnessWeights !== '') validateFitnessWeights(output.fitnessWeights);
  if (output.resultsPath !== '') checkWritableFile(output.resultsPath, '--results-path');
  // Model construction, then the deferred workload generation.
  checkCoefficients('AlphaCoeffs', latency.alpha);
  if (latency.kind === 'blackbox') checkCoefficients('BetaCoeffs', latency.beta);
  const requests = workload.requests ?? workload.deferred?.() ?? [];
  const sim: SimConfig = {
    numInstances: f.numInstances,
    horizon: workload.horizon,
    latency,
    engine: {
      totalKvBlocks,
      blockSize: f.blockSizeInTokens,
      maxRunningReqs: f.maxNumRunningReqs,
      maxScheduledTokens: f.maxNumScheduledTokens,
      longPrefillTokenThreshold: f.longPrefillTokenThreshold,
      kvCpuBlocks: f.kvCpuBlocks,
      kvOffloadThreshold: f.kvOffloadThreshold,
      kvTransferBandwidth: f.kvTransferBandwidth,
      kvTransferBaseLatency: f.kvTransferBaseLatency,
    },
    policies,
    trace: { level: f.traceLevel, counterfactualK: f.counterfactualK },
    // Shared with the workload cache; the simulator only reads it.
    requests,
    catalog: args.catalog,
  };
  return { sim, output, logLevel, diagnostics };
}

function checkCoefficients(name: 'AlphaCoeffs' | 'BetaCoeffs', values: readonly number[]): void {
  if (values.length < 3) fail(`${name} requires at least 3 elements, got ${values.length}`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) fail(`${name}[${i}] must be a finite number, got ${formatGoFloatV(v)}`);
  });
}
