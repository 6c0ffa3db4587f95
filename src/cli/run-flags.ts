// The `servesim run` flag table (cli.md §1): names, types, defaults, help groups — and a typed view of a parse.

import { FlagError, parseFlags, type FlagSpec, type FlagValue, type ParsedFlags } from './flags.js';

export const RUN_FLAG_GROUPS = {
  model: 'Model, coefficients and hardware:',
  engine: 'Engine (per instance):',
  workload: 'Workload:',
  cluster: 'Cluster, admission and routing:',
  scheduling: 'Scheduling and priority:',
  output: 'Output and analysis:',
} as const;

const INT64_MAX = (1n << 63n) - 1n;

type Group = keyof typeof RUN_FLAG_GROUPS;

function flag(group: Group, name: string, type: FlagSpec['type'], defaultValue: FlagValue, description: string, valueHint?: string): FlagSpec {
  return { name, type, default: defaultValue, group: RUN_FLAG_GROUPS[group], description, valueHint };
}

export const RUN_FLAGS: readonly FlagSpec[] = [
  flag('model', 'model', 'string', '', 'LLM name (required), e.g. meta-llama/llama-3.1-8b-instruct; lower-cased before use'),
  flag('model', 'hardware', 'string', '', 'GPU type (H100, A100-80, ...); default from the defaults file'),
  flag('model', 'tp', 'int', 0n, 'tensor parallelism; 0 = default from the defaults file'),
  flag('model', 'vllm-version', 'string', '', 'vLLM version of the coefficient row; default from the defaults file'),
  flag('model', 'alpha-coeffs', 'floatList', [0, 0, 0], 'alpha0,alpha1,alpha2: queueing delay and output-token processing time (µs)', '<a0,a1,a2>'),
  flag('model', 'beta-coeffs', 'floatList', [0, 0, 0], 'beta0,beta1,beta2: step time = beta0 + beta1*prefill + beta2*decode tokens (µs)', '<b0,b1,b2>'),
  flag('model', 'defaults-filepath', 'string', '', 'coefficient/preset YAML, relative to the working directory (default: the shipped defaults.yaml)'),
  flag('model', 'roofline', 'bool', false, 'analytical roofline step time (needs --hardware and --tp)'),
  flag('model', 'model-config-folder', 'string', '', 'folder containing the HuggingFace config.json (roofline)'),
  flag('model', 'hardware-config', 'string', '', 'hardware JSON for roofline (default: hardware_config.json next to the defaults file)'),

  flag('engine', 'total-kv-blocks', 'int64', 1_000_000n, 'GPU KV blocks per instance (> 0); replaced by the defaults-file value unless given'),
  flag('engine', 'block-size-in-tokens', 'int64', 16n, 'tokens per KV block (> 0)'),
  flag('engine', 'max-num-running-reqs', 'int64', 256n, 'maximum running batch size (> 0)'),
  flag('engine', 'max-num-scheduled-tokens', 'int64', 2048n, 'token budget per step (> 0)'),
  flag('engine', 'long-prefill-token-threshold', 'int64', 0n, 'prefill chunk size; 0 = no chunking (>= 0)'),
  flag('engine', 'max-model-len', 'int', 2048n, 'accepted for compatibility; unused'),
  flag('engine', 'kv-cpu-blocks', 'int64', 0n, 'CPU-tier KV blocks; 0 = single tier (>= 0)'),
  flag('engine', 'kv-offload-threshold', 'float', 0.9, 'GPU utilisation above which blocks are offloaded to CPU, in [0, 1]'),
  flag('engine', 'kv-transfer-bandwidth', 'float', 100.0, 'CPU->GPU transfer bandwidth in blocks per tick (> 0 with a CPU tier)'),
  flag('engine', 'kv-transfer-base-latency', 'int64', 0n, 'fixed CPU->GPU transfer latency in ticks (>= 0)'),

  flag('workload', 'workload-spec', 'string', '', 'workload spec v2 YAML; overrides --workload'),
  flag('workload', 'workload', 'string', 'distribution', 'distribution, chatbot, summarization, contentgen, multidoc or traces'),
  flag('workload', 'workload-traces-filepath', 'string', '', 'CSV trace for --workload traces'),
  flag('workload', 'seed', 'int64', 42n, 'workload seed; overrides the spec seed only when given'),
  flag('workload', 'horizon', 'int64', INT64_MAX, 'simulation horizon in ticks (µs); events after it are not executed'),
  flag('workload', 'rate', 'float', 1.0, 'requests per second (legacy generator and presets)'),
  flag('workload', 'num-requests', 'int', 100n, 'number of requests (legacy/presets; caps a spec only when given)'),
  flag('workload', 'prefix-tokens', 'int', 0n, 'shared prefix length (distribution)'),
  flag('workload', 'prompt-tokens', 'int', 512n, 'prompt length mean (distribution)'),
  flag('workload', 'prompt-tokens-stdev', 'int', 256n, 'prompt length standard deviation'),
  flag('workload', 'prompt-tokens-min', 'int', 2n, 'prompt length minimum'),
  flag('workload', 'prompt-tokens-max', 'int', 7000n, 'prompt length maximum'),
  flag('workload', 'output-tokens', 'int', 512n, 'output length mean (distribution)'),
  flag('workload', 'output-tokens-stdev', 'int', 256n, 'output length standard deviation'),
  flag('workload', 'output-tokens-min', 'int', 2n, 'output length minimum'),
  flag('workload', 'output-tokens-max', 'int', 7000n, 'output length maximum'),

  flag('cluster', 'num-instances', 'int', 1n, 'number of instances (>= 1)'),
  flag('cluster', 'admission-policy', 'string', 'always-admit', 'always-admit, token-bucket, reject-all or slo-gated'),
  flag('cluster', 'admission-latency', 'int64', 0n, 'admission decision latency in ticks'),
  flag('cluster', 'routing-latency', 'int64', 0n, 'routing decision latency in ticks'),
  flag('cluster', 'token-bucket-capacity', 'float', 10000, 'token-bucket capacity in prompt tokens'),
  flag('cluster', 'token-bucket-refill-rate', 'float', 1000, 'token-bucket refill rate in tokens per second'),
  flag('cluster', 'slo-gated-threshold', 'float', 8.0, 'slo-gated: reject sheddable work above this average EffectiveLoad'),
  flag('cluster', 'routing-policy', 'string', 'round-robin', 'round-robin, least-loaded, weighted, prefix-affinity or always-busiest'),
  flag('cluster', 'routing-scorers', 'string', '', 'weighted routing scorers (default prefix-affinity:3,queue-depth:2,kv-utilization:2)', '<name:weight,...>'),
  flag('cluster', 'snapshot-refresh-interval', 'int64', 0n, 'KV snapshot refresh interval in µs; 0 = always fresh (>= 0)'),
  flag('cluster', 'slo-scorer-bias-critical', 'float', 0.9, 'slo-priority scorer bias for critical requests'),
  flag('cluster', 'slo-scorer-bias-sheddable', 'float', 0.2, 'slo-priority scorer bias for sheddable requests'),
  flag('cluster', 'slo-priority-bridge', 'bool', false, 'pass an SLO priority hint from the router (no observable effect)'),

  flag('scheduling', 'scheduler', 'string', 'fcfs', 'fcfs, priority-fcfs, sjf or reverse-priority'),
  flag('scheduling', 'priority-policy', 'string', 'constant', 'constant, slo-based, inverted-slo, slo-tiered or load-adaptive'),
  flag('scheduling', 'slo-base-critical', 'float', 10.0, 'base priority of critical requests'),
  flag('scheduling', 'slo-base-standard', 'float', 5.0, 'base priority of standard requests'),
  flag('scheduling', 'slo-base-sheddable', 'float', 1.0, 'base priority of sheddable requests'),
  flag('scheduling', 'slo-age-weight', 'float', 1e-5, 'priority gained per µs of age beyond the class threshold'),
  flag('scheduling', 'slo-threshold-standard', 'int64', 100_000n, 'age (µs) after which standard requests gain priority'),
  flag('scheduling', 'slo-threshold-sheddable', 'int64', 200_000n, 'age (µs) after which sheddable requests gain priority'),
  flag('scheduling', 'load-adaptive-low', 'int', 2n, 'load-adaptive: queue depth with minimal differentiation'),
  flag('scheduling', 'load-adaptive-high', 'int', 15n, 'load-adaptive: queue depth with full differentiation'),
  flag('scheduling', 'slo-prefill', 'bool', false, 'per-SLO-class prefill chunk thresholds'),
  flag('scheduling', 'slo-prefill-critical', 'int64', 128n, 'prefill chunk size for critical requests; 0 = no chunking'),
  flag('scheduling', 'slo-prefill-sheddable', 'int64', 0n, 'prefill chunk size for sheddable requests; 0 = no chunking'),
  flag('scheduling', 'slo-preemption', 'bool', false, 'preempt the lowest-priority running request instead of the batch tail'),

  flag('output', 'results-path', 'string', '', 'write the cluster metrics and per-request results as JSON to this file'),
  flag('output', 'fitness-weights', 'string', '', 'fitness score weights, e.g. throughput:0.5,p99_ttft:0.5', '<key:weight,...>'),
  flag('output', 'trace-level', 'string', 'none', 'none or decisions'),
  flag('output', 'counterfactual-k', 'int', 0n, 'counterfactual candidates kept per routing decision (>= 0)'),
  flag('output', 'summarize-trace', 'bool', false, 'print the decision-trace summary (needs --trace-level decisions)'),
  flag('output', 'policy-config', 'string', '', 'policy bundle YAML; applies to policy flags that were not given'),
  flag('output', 'log', 'string', 'warn', 'stderr log level: panic, fatal, error, warn, info, debug or trace'),
];

/** Typed values of every run flag. Integers are JS numbers except the seed, which must stay exact. */
export interface RunFlags {
  model: string;
  hardware: string;
  tp: number;
  vllmVersion: string;
  alphaCoeffs: readonly number[];
  betaCoeffs: readonly number[];
  defaultsFilepath: string;
  roofline: boolean;
  modelConfigFolder: string;
  hardwareConfig: string;
  totalKvBlocks: number;
  blockSizeInTokens: number;
  maxNumRunningReqs: number;
  maxNumScheduledTokens: number;
  longPrefillTokenThreshold: number;
  maxModelLen: number;
  kvCpuBlocks: number;
  kvOffloadThreshold: number;
  kvTransferBandwidth: number;
  kvTransferBaseLatency: number;
  workloadSpec: string;
  workload: string;
  workloadTracesFilepath: string;
  seed: bigint;
  /** `Infinity` for the int64-max default (and any horizon beyond exact double range). */
  horizon: number;
  rate: number;
  numRequests: number;
  prefixTokens: number;
  promptTokens: number;
  promptTokensStdev: number;
  promptTokensMin: number;
  promptTokensMax: number;
  outputTokens: number;
  outputTokensStdev: number;
  outputTokensMin: number;
  outputTokensMax: number;
  numInstances: number;
  admissionPolicy: string;
  admissionLatency: number;
  routingLatency: number;
  tokenBucketCapacity: number;
  tokenBucketRefillRate: number;
  sloGatedThreshold: number;
  routingPolicy: string;
  routingScorers: string;
  snapshotRefreshInterval: number;
  sloScorerBiasCritical: number;
  sloScorerBiasSheddable: number;
  sloPriorityBridge: boolean;
  scheduler: string;
  priorityPolicy: string;
  sloBaseCritical: number;
  sloBaseStandard: number;
  sloBaseSheddable: number;
  sloAgeWeight: number;
  sloThresholdStandard: number;
  sloThresholdSheddable: number;
  loadAdaptiveLow: number;
  loadAdaptiveHigh: number;
  sloPrefill: boolean;
  sloPrefillCritical: number;
  sloPrefillSheddable: number;
  sloPreemption: boolean;
  resultsPath: string;
  fitnessWeights: string;
  traceLevel: string;
  counterfactualK: number;
  summarizeTrace: boolean;
  policyConfig: string;
  log: string;
}

/** A parsed `run` command line: typed values plus which flags (by CLI name) were given explicitly. */
export interface RunArgs {
  flags: RunFlags;
  explicit: ReadonlySet<string>;
  helpRequested: boolean;
}

const EXACT_DOUBLE_LIMIT = 1n << 53n;

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function toRunFlags(parsed: ParsedFlags): RunFlags {
  const out: Record<string, unknown> = {};
  for (const [name, value] of parsed.values) {
    out[camelCase(name)] = typeof value === 'bigint' ? Number(value) : value;
  }
  out.seed = parsed.values.get('seed') as bigint;
  // Times this large are unreachable; treat them like the int64-max "no horizon" default.
  const horizon = parsed.values.get('horizon') as bigint;
  out.horizon = horizon >= EXACT_DOUBLE_LIMIT ? Infinity : Number(horizon);
  return out as unknown as RunFlags;
}

/** Parses `run` flags (argv without the `run` word). Throws FlagError (exit 1) on bad input. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const parsed = parseFlags(argv, RUN_FLAGS);
  if (parsed.positionals.length > 0) {
    // cobra would silently ignore these; a stray word is almost always a mistyped flag, so reject it.
    throw new FlagError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}: run takes only flags`);
  }
  return { flags: toRunFlags(parsed), explicit: parsed.explicit, helpRequested: parsed.helpRequested };
}
