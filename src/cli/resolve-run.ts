// `servesim run` configuration resolution: from command-line flags to a validated SimConfig, following the
// reference's processing order and fatal messages (cli.md §2). Pure with respect to the process: it never prints
// or exits — failures are ServesimErrors, warnings are returned — so the strategy lab can call it in-process
// hundreds of times. Expensive inputs (defaults file, generated workloads) are cached in a RunConfigCache.

import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { admissionPolicyNames } from '../policies/admission/index.js';
import { priorityPolicyNames } from '../policies/priority/index.js';
import { DEFAULT_SCORERS, routingPolicyNames } from '../policies/routing/index.js';
import { schedulerNames } from '../policies/scheduler/index.js';
import type { GeneratedRequest, LatencyConfig, PolicyConfig, ScorerSpec, SimConfig } from '../types.js';
import { BoundedCache } from './bounded-cache.js';
import { DefaultsFileCache, SHIPPED_DEFAULTS_PATH, lookupCoefficients, type DefaultsFile } from './defaults-file.js';
import { formatGoFloatF, formatGoFloatV } from '../go/fmt.js';
import { loadPolicyBundle, type PolicyBundle } from './policy-bundle.js';
import { loadRooflineHardwareParams, loadRooflineModelParams } from './roofline-files.js';
import { ScorerConfigError, parseScorerList } from './routing-scorers.js';
import { parseRunArgs, type RunArgs, type RunFlags } from './run-flags.js';
import { legacyPreset, validateLegacyWorkloadParams, type LegacyLengthSettings } from '../workload/legacy.js';
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
  /** Raw `--fitness-weights`; parsed after the simulation like the reference (metrics.md §4.1). */
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

function allZeros(values: readonly number[]): boolean {
  return values.every((v) => v === 0);
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

/** Resolves `run` flags (argv without the `run` word; a leading `run` is tolerated) to a simulation config. */
export function resolveRunConfig(argv: readonly string[], options: ResolveRunOptions): ResolvedRunConfig {
  const args = parseRunArgs(argv[0] === 'run' ? argv.slice(1) : argv);
  if (args.helpRequested) fail('--help cannot be resolved to a run configuration');
  return resolveRunArgs(args, options);
}

interface LatencyResolution {
  latency: LatencyConfig;
  totalKvBlocks: number;
}

/** cli.md §2 steps 1–3 and latency.md §Coefficient resolution. */
function resolveLatency(
  f: RunFlags,
  model: string,
  given: (flag: string) => boolean,
  cwd: string,
  loadDefaults: () => DefaultsFile,
  defaultsPath: string,
): LatencyResolution {
  let alpha: readonly number[] = f.alphaCoeffs;
  let beta: readonly number[] = f.betaCoeffs;
  let totalKvBlocks = f.totalKvBlocks;
  let gpu = f.hardware;
  let tp = f.tp;
  let vllmVersion = f.vllmVersion;
  let roofline = f.roofline;
  let modelConfigPath = '';
  let hardwarePath = '';
  const defaultsDir = dirname(defaultsPath);

  // Step 2: explicit roofline.
  if (roofline) {
    if (gpu === '') fail('--roofline requires --hardware (GPU type)');
    if (tp <= 0) fail('--roofline requires --tp > 0');
    if (f.modelConfigFolder !== '') {
      modelConfigPath = join(resolve(cwd, f.modelConfigFolder), 'config.json');
    } else {
      modelConfigPath = join(defaultsDir, 'model_configs', model, 'config.json');
      if (!existsSync(modelConfigPath)) {
        fail(
          `--roofline: no config.json for model=${model} (looked in ${dirname(modelConfigPath)}); ` +
            'pass --model-config-folder (downloading from HuggingFace is not supported)',
        );
      }
    }
    hardwarePath = f.hardwareConfig !== '' ? resolve(cwd, f.hardwareConfig) : join(defaultsDir, 'hardware_config.json');
    if (existsSync(defaultsPath)) {
      const file = loadDefaults();
      // The version default applies here too: golden G15 gets the v0.8.4 alpha row without --vllm-version.
      if (vllmVersion === '') vllmVersion = file.modelDefaults.get(model)?.vllmVersion ?? '';
      const row = lookupCoefficients(file, model, tp, gpu, vllmVersion);
      if (allZeros(alpha)) alpha = row?.alphaCoeffs ?? [];
      if (!given('total-kv-blocks') && row !== undefined && row.totalKvBlocks > 0) totalKvBlocks = row.totalKvBlocks;
    }
  }

  // Step 3: coefficient lookup when no coefficients and no roofline files were given.
  if (allZeros(alpha) && allZeros(beta) && f.modelConfigFolder === '' && f.hardwareConfig === '') {
    const file = loadDefaults();
    const defaults = file.modelDefaults.get(model);
    if (defaults !== undefined) {
      if (tp === 0) tp = defaults.tensorParallelism;
      if (gpu === '') gpu = defaults.gpu;
      if (vllmVersion === '') vllmVersion = defaults.vllmVersion;
    }
    const row = lookupCoefficients(file, model, tp, gpu, vllmVersion);
    alpha = row?.alphaCoeffs ?? [];
    beta = row?.betaCoeffs ?? [];
    // A missing row yields 0 blocks (fatal later) unless the flag was given.
    if (!given('total-kv-blocks')) totalKvBlocks = row?.totalKvBlocks ?? 0;
  }

  // Implicit roofline, or the reference's "provide config" fatals.
  if (allZeros(alpha) && allZeros(beta) && !roofline) {
    if (f.modelConfigFolder !== '' && f.hardwareConfig !== '' && gpu !== '' && tp > 0) {
      roofline = true;
      modelConfigPath = join(resolve(cwd, f.modelConfigFolder), 'config.json');
      hardwarePath = resolve(cwd, f.hardwareConfig);
    } else if (f.modelConfigFolder === '') {
      fail(`Please provide model config folder containing config.json for model=${model}`);
    } else if (f.hardwareConfig === '') {
      fail(`Please provide hardware config path (e.g. hardware_config.json) for model=${model}`);
    } else {
      fail(`Roofline mode needs --hardware (GPU type) and --tp > 0 for model=${model}`);
    }
  }

  if (!roofline) return { latency: { kind: 'blackbox', alpha, beta }, totalKvBlocks };
  return {
    latency: {
      kind: 'roofline',
      alpha,
      tp,
      model: loadRooflineModelParams(modelConfigPath),
      hardware: loadRooflineHardwareParams(hardwarePath, gpu),
    },
    totalKvBlocks,
  };
}

function legacyFlagLengths(f: RunFlags): LegacyLengthSettings {
  return {
    prefixTokens: f.prefixTokens,
    prompt: { mean: f.promptTokens, stdev: f.promptTokensStdev, min: f.promptTokensMin, max: f.promptTokensMax },
    output: { mean: f.outputTokens, stdev: f.outputTokensStdev, min: f.outputTokensMin, max: f.outputTokensMax },
  };
}

const VALID_TRACE_LEVELS = ['none', 'decisions'];

export function resolveRunArgs(args: RunArgs, options: ResolveRunOptions): ResolvedRunConfig {
  const cache = options.cache ?? sharedCache;
  const cwd = options.cwd;
  const f = args.flags;
  const given = (flag: string): boolean => args.explicit.has(flag);
  const diagnostics: Diagnostic[] = [];
  const warn = (message: string): void => void diagnostics.push({ level: 'warn', message });

  // Step 1.
  const logLevel = parseLogLevel(f.log);
  if (f.model === '') fail('LLM name not provided. Exiting simulation.');
  const model = f.model.toLowerCase();

  // Steps 2–3.
  const defaultsPath = f.defaultsFilepath !== '' ? resolve(cwd, f.defaultsFilepath) : SHIPPED_DEFAULTS_PATH;
  const loadDefaults = (): DefaultsFile => cache.defaultsFiles.load(defaultsPath);
  const { latency, totalKvBlocks } = resolveLatency(f, model, given, cwd, loadDefaults, defaultsPath);

  // Step 4: workload. Spec workloads are generated now (their errors come here); legacy and trace workloads are
  // generated by the reference inside the simulation, i.e. after every other check, so they are deferred.
  let horizon = f.horizon;
  let requests: readonly GeneratedRequest[] | undefined;
  let deferredRequests: (() => readonly GeneratedRequest[]) | undefined;
  if (f.workloadSpec !== '') {
    const specPath = resolve(cwd, f.workloadSpec);
    const generated = generateSpecRequests(specPath, {
      seed: given('seed') ? f.seed : undefined,
      horizon: given('horizon') ? f.horizon : undefined,
      numRequests: given('num-requests') ? f.numRequests : undefined,
      cache: cache.workloads,
      specCache: cache.workloadSpecs,
      stamp: fileStamp(specPath),
      onWarning: warn,
    });
    requests = generated.requests;
    horizon = generated.horizon;
  } else if (f.workload === 'traces') {
    // The path requirement is checked with the engine flags (step 5).
  } else {
    const distribution = f.workload === 'distribution';
    // Presets come from the same defaults file as the coefficients (workload.md §9).
    const lengths = distribution ? legacyFlagLengths(f) : legacyPreset(f.workload, loadDefaults().workloads);
    const legacy: LegacyWorkloadParams = {
      ...lengths,
      seed: f.seed,
      rate: f.rate,
      numRequests: f.numRequests,
      horizon,
      checkLengthRanges: distribution,
    };
    validateLegacyWorkloadParams(legacy);
    deferredRequests = () => generateLegacyRequests(legacy, cache.workloads);
  }

  // Step 5: engine.
  if (f.numInstances < 1) fail('num-instances must be >= 1');
  if (totalKvBlocks <= 0) fail(`--total-kv-blocks must be > 0, got ${totalKvBlocks}`);
  if (f.blockSizeInTokens <= 0) fail(`--block-size-in-tokens must be > 0, got ${f.blockSizeInTokens}`);
  if (f.maxNumRunningReqs <= 0) fail(`--max-num-running-reqs must be > 0, got ${f.maxNumRunningReqs}`);
  if (f.maxNumScheduledTokens <= 0) fail(`--max-num-scheduled-tokens must be > 0, got ${f.maxNumScheduledTokens}`);
  if (f.longPrefillTokenThreshold < 0) fail(`--long-prefill-token-threshold must be >= 0, got ${f.longPrefillTokenThreshold}`);
  if (f.workloadSpec === '' && f.workload === 'traces') {
    if (f.workloadTracesFilepath === '') fail('--workload-traces-filepath is required when using --workload traces');
    const tracePath = resolve(cwd, f.workloadTracesFilepath);
    const traceHorizon = horizon;
    deferredRequests = () => readTraceRequests(tracePath, traceHorizon, fileStamp(tracePath), cache.workloads);
  }

  // Step 6: policy bundle; each value applies only where the flag was not given.
  let admissionPolicy = f.admissionPolicy;
  let tokenBucketCapacity = f.tokenBucketCapacity;
  let tokenBucketRefillRate = f.tokenBucketRefillRate;
  let routingPolicy = f.routingPolicy;
  let priorityPolicy = f.priorityPolicy;
  let scheduler = f.scheduler;
  let bundleScorers: ScorerSpec[] = [];
  if (f.policyConfig !== '') {
    const bundlePath = resolve(cwd, f.policyConfig);
    const bundle = cache.policyBundles.getOrCreate(`${bundlePath}|${fileStamp(bundlePath)}`, () => loadPolicyBundle(bundlePath));
    diagnostics.push({ level: 'info', message: `Loaded policy config from ${f.policyConfig}` });
    if (bundle.admission.policy !== '' && !given('admission-policy')) admissionPolicy = bundle.admission.policy;
    if (bundle.admission.tokenBucketCapacity !== undefined && !given('token-bucket-capacity')) {
      tokenBucketCapacity = bundle.admission.tokenBucketCapacity;
    }
    if (bundle.admission.tokenBucketRefillRate !== undefined && !given('token-bucket-refill-rate')) {
      tokenBucketRefillRate = bundle.admission.tokenBucketRefillRate;
    }
    if (bundle.routing.policy !== '' && !given('routing-policy')) routingPolicy = bundle.routing.policy;
    if (bundle.priority.policy !== '' && !given('priority-policy')) priorityPolicy = bundle.priority.policy;
    if (bundle.scheduler !== '' && !given('scheduler')) scheduler = bundle.scheduler;
    bundleScorers = bundle.routing.scorers;
  }

  // Step 7: policy parameters and names.
  if (admissionPolicy === 'token-bucket') {
    if (!(Number.isFinite(tokenBucketCapacity) && tokenBucketCapacity > 0)) {
      fail(`--token-bucket-capacity must be a finite value > 0, got ${formatGoFloatV(tokenBucketCapacity)}`);
    }
    if (!(Number.isFinite(tokenBucketRefillRate) && tokenBucketRefillRate > 0)) {
      fail(`--token-bucket-refill-rate must be a finite value > 0, got ${formatGoFloatV(tokenBucketRefillRate)}`);
    }
  }
  const checkName = (what: string, name: string, valid: readonly string[]): void => {
    if (name !== '' && !valid.includes(name)) fail(`Unknown ${what} ${JSON.stringify(name)}. Valid: ${valid.join(', ')}`);
  };
  checkName('admission policy', admissionPolicy, admissionPolicyNames);
  checkName('routing policy', routingPolicy, routingPolicyNames);
  checkName('priority policy', priorityPolicy, priorityPolicyNames);
  checkName('scheduler', scheduler, schedulerNames);
  if (!VALID_TRACE_LEVELS.includes(f.traceLevel)) fail(`Unknown trace level ${JSON.stringify(f.traceLevel)}. Valid: ${VALID_TRACE_LEVELS.join(', ')}`);
  if (f.counterfactualK < 0) fail(`--counterfactual-k must be >= 0, got ${f.counterfactualK}`);
  if (f.traceLevel === 'none' && f.counterfactualK > 0) warn('--counterfactual-k has no effect without --trace-level decisions');
  if (f.traceLevel === 'none' && f.summarizeTrace) warn('--summarize-trace has no effect without --trace-level decisions');
  if (f.kvCpuBlocks < 0) fail(`--kv-cpu-blocks must be >= 0, got ${f.kvCpuBlocks}`);
  if (!(f.kvOffloadThreshold >= 0 && f.kvOffloadThreshold <= 1)) {
    fail(`--kv-offload-threshold must be in [0, 1], got ${formatGoFloatF(f.kvOffloadThreshold)}`);
  }
  if (f.kvCpuBlocks > 0 && !(Number.isFinite(f.kvTransferBandwidth) && f.kvTransferBandwidth > 0)) {
    fail(`--kv-transfer-bandwidth must be a finite value > 0 when --kv-cpu-blocks > 0, got ${formatGoFloatF(f.kvTransferBandwidth)}`);
  }
  if (f.kvTransferBaseLatency < 0) fail(`--kv-transfer-base-latency must be >= 0, got ${f.kvTransferBaseLatency}`);
  if (f.snapshotRefreshInterval < 0) fail(`--snapshot-refresh-interval must be >= 0, got ${f.snapshotRefreshInterval}`);
  let scorers: ScorerSpec[] = [];
  if (routingPolicy === 'weighted') {
    if (f.routingScorers !== '') {
      try {
        scorers = parseScorerList(f.routingScorers);
      } catch (error) {
        if (error instanceof ScorerConfigError) fail(`Invalid --routing-scorers: ${error.message}`);
        throw error;
      }
    } else {
      scorers = bundleScorers.length > 0 ? bundleScorers : DEFAULT_SCORERS.map((s) => ({ ...s }));
    }
  } else if (f.routingScorers !== '') {
    warn(`--routing-scorers has no effect unless --routing-policy is weighted (got ${JSON.stringify(routingPolicy)})`);
  }

  // Model construction (latency.md step 4), then the deferred workload generation.
  checkCoefficients('AlphaCoeffs', latency.alpha);
  if (latency.kind === 'blackbox') checkCoefficients('BetaCoeffs', latency.beta);
  requests ??= deferredRequests?.() ?? [];

  const policies: PolicyConfig = {
    admission: {
      policy: admissionPolicy,
      tokenBucketCapacity,
      tokenBucketRefillRate,
      sloGatedThreshold: f.sloGatedThreshold,
    },
    admissionLatency: f.admissionLatency,
    routingLatency: f.routingLatency,
    routing: {
      policy: routingPolicy,
      scorers,
      snapshotRefreshInterval: f.snapshotRefreshInterval,
      sloScorerBiasCritical: f.sloScorerBiasCritical,
      sloScorerBiasSheddable: f.sloScorerBiasSheddable,
      sloPriorityBridge: f.sloPriorityBridge,
    },
    scheduler,
    priority: {
      policy: priorityPolicy,
      sloBaseCritical: f.sloBaseCritical,
      sloBaseStandard: f.sloBaseStandard,
      sloBaseSheddable: f.sloBaseSheddable,
      sloAgeWeight: f.sloAgeWeight,
      sloThresholdStandard: f.sloThresholdStandard,
      sloThresholdSheddable: f.sloThresholdSheddable,
      loadAdaptiveLow: f.loadAdaptiveLow,
      loadAdaptiveHigh: f.loadAdaptiveHigh,
    },
    sloPrefill: { enabled: f.sloPrefill, critical: f.sloPrefillCritical, sheddable: f.sloPrefillSheddable },
    sloPreemption: f.sloPreemption,
  };

  const sim: SimConfig = {
    numInstances: f.numInstances,
    horizon,
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
    requests: requests as GeneratedRequest[],
  };
  const output: RunOutputOptions = {
    resultsPath: f.resultsPath !== '' ? resolve(cwd, f.resultsPath) : '',
    fitnessWeights: f.fitnessWeights,
    summarizeTrace: f.summarizeTrace,
    traceLevel: f.traceLevel,
  };
  return { sim, output, logLevel, diagnostics };
}

function checkCoefficients(name: 'AlphaCoeffs' | 'BetaCoeffs', values: readonly number[]): void {
  if (values.length < 3) fail(`${name} requires at least 3 elements, got ${values.length}`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) fail(`${name}[${i}] must be a finite number, got ${formatGoFloatV(v)}`);
  });
}
