// The `servesim run` flag table: the engine, workload and output flags declared here, and every policy's
// selection flag and parameters derived from the policy catalog — plus a typed view of a parse.

import { BUILTIN_CATALOG, type PolicyCatalog } from '../policies/catalog.js';
import { domainMessage, inDomain, type ParamValue } from '../policies/params.js';
import { AXIS_INFO, type Axis } from '../policies/policy.js';
import { FlagError, parseFlags, type FlagSpec, type FlagValue, type ParsedFlags } from './flags.js';
import { quoteText } from '../show-value.js';

export const RUN_FLAG_GROUPS = {
  model: 'Model, coefficients and hardware:',
  engine: 'Engine (per instance):',
  workload: 'Workload:',
  cluster: 'Cluster, admission and routing:',
  scheduling: 'Scheduling and priority:',
  output: 'Output and analysis:',
  plugins: 'Plugins:',
} as const;

const INT64_MAX = (1n << 63n) - 1n;

type Group = keyof typeof RUN_FLAG_GROUPS;

function flag(
  group: Group,
  name: string,
  type: FlagSpec['type'],
  defaultValue: FlagValue,
  description: string,
  domain?: FlagSpec['domain'],
  valueHint?: string,
): FlagSpec {
  return { name, type, default: defaultValue, group: RUN_FLAG_GROUPS[group], description, valueHint, domain };
}

/** Flags that are not policy parameters; policy selection flags get their help text from the catalog. */
const BASE_RUN_FLAGS: readonly FlagSpec[] = [
  flag('model', 'model', 'string', '', 'LLM name (required), e.g. meta-llama/llama-3.1-8b-instruct; lower-cased before use'),
  flag('model', 'hardware', 'string', '', 'GPU type (H100, A100-80, ...); default from the defaults file'),
  flag('model', 'tp', 'int', 0n, 'tensor parallelism; 0 = default from the defaults file', { min: 0 }),
  flag('model', 'vllm-version', 'string', '', 'vLLM version of the coefficient row; default from the defaults file'),
  flag('model', 'alpha-coeffs', 'floatList', [0, 0, 0], 'alpha0,alpha1,alpha2: queueing delay and output-token processing time (µs)', undefined, '<a0,a1,a2>'),
  flag('model', 'beta-coeffs', 'floatList', [0, 0, 0], 'beta0,beta1,beta2: step time = beta0 + beta1*prefill + beta2*decode tokens (µs)', undefined, '<b0,b1,b2>'),
  flag('model', 'defaults-filepath', 'string', '', 'coefficient/preset YAML, relative to the working directory (default: the shipped defaults.yaml)'),
  flag('model', 'roofline', 'bool', false, 'analytical roofline step time (needs --hardware and --tp)'),
  flag('model', 'model-config-folder', 'string', '', 'folder containing the HuggingFace config.json (roofline)'),
  flag('model', 'hardware-config', 'string', '', 'hardware JSON for roofline (default: hardware_config.json next to the defaults file)'),

  flag('engine', 'total-kv-blocks', 'int64', 1_000_000n, 'GPU KV blocks per instance (> 0); replaced by the defaults-file value unless given', { min: 0, exclusiveMin: true }),
  flag('engine', 'block-size-in-tokens', 'int64', 16n, 'tokens per KV block (> 0)', { min: 0, exclusiveMin: true }),
  flag('engine', 'max-num-running-reqs', 'int64', 256n, 'maximum running batch size (> 0)', { min: 0, exclusiveMin: true }),
  flag('engine', 'max-num-scheduled-tokens', 'int64', 2048n, 'token budget per step (> 0)', { min: 0, exclusiveMin: true }),
  flag('engine', 'long-prefill-token-threshold', 'int64', 0n, 'prefill chunk size; 0 = no chunking (>= 0)', { min: 0 }),
  flag('engine', 'max-model-len', 'int', 2048n, 'accepted for compatibility; unused', { min: 0, exclusiveMin: true }),
  flag('engine', 'kv-cpu-blocks', 'int64', 0n, 'CPU-tier KV blocks; 0 = single tier (>= 0)', { min: 0 }),
  flag('engine', 'kv-offload-threshold', 'float', 0.9, 'GPU utilisation above which blocks are offloaded to CPU, in [0, 1]', { min: 0, max: 1 }),
  // No flag-level bound: like the reference, the bandwidth is only checked (in resolve-run) when a CPU tier exists.
  flag('engine', 'kv-transfer-bandwidth', 'float', 100.0, 'CPU->GPU transfer bandwidth in blocks per tick (> 0 with a CPU tier)'),
  flag('engine', 'kv-transfer-base-latency', 'int64', 0n, 'fixed CPU->GPU transfer latency in ticks (>= 0)', { min: 0 }),

  flag('workload', 'workload-spec', 'string', '', 'workload spec v2 YAML; overrides --workload'),
  flag('workload', 'workload', 'string', 'distribution', 'distribution, chatbot, summarization, contentgen, multidoc or traces'),
  flag('workload', 'workload-traces-filepath', 'string', '', 'CSV trace for --workload traces'),
  flag('workload', 'seed', 'int64', 42n, 'workload seed; overrides the spec seed only when given'),
  flag('workload', 'horizon', 'int64', INT64_MAX, 'simulation horizon in ticks (µs); events after it are not executed', { min: 0, exclusiveMin: true }),
  flag('workload', 'rate', 'float', 1.0, 'requests per second (legacy generator and presets)', { min: 0, exclusiveMin: true }),
  flag('workload', 'num-requests', 'int', 100n, 'number of requests (legacy/presets; caps a spec only when given)', { min: 0 }),
  flag('workload', 'prefix-tokens', 'int', 0n, 'shared prefix length (distribution)', { min: 0 }),
  flag('workload', 'prompt-tokens', 'int', 512n, 'prompt length mean (distribution)', { min: 0 }),
  flag('workload', 'prompt-tokens-stdev', 'int', 256n, 'prompt length standard deviation', { min: 0 }),
  flag('workload', 'prompt-tokens-min', 'int', 2n, 'prompt length minimum', { min: 0 }),
  flag('workload', 'prompt-tokens-max', 'int', 7000n, 'prompt length maximum', { min: 0 }),
  flag('workload', 'output-tokens', 'int', 512n, 'output length mean (distribution)', { min: 0 }),
  flag('workload', 'output-tokens-stdev', 'int', 256n, 'output length standard deviation', { min: 0 }),
  flag('workload', 'output-tokens-min', 'int', 2n, 'output length minimum', { min: 0 }),
  flag('workload', 'output-tokens-max', 'int', 7000n, 'output length maximum', { min: 0 }),

  flag('cluster', 'num-instances', 'int', 1n, 'number of instances (>= 1)', { min: 1 }),
  flag('cluster', 'admission-policy', 'string', 'always-admit', ''),
  flag('cluster', 'admission-latency', 'int64', 0n, 'admission decision latency in ticks', { min: 0 }),
  flag('cluster', 'routing-latency', 'int64', 0n, 'routing decision latency in ticks', { min: 0 }),
  flag('cluster', 'routing-policy', 'string', 'round-robin', ''),
  flag('cluster', 'routing-scorers', 'string', '', 'weighted routing scorers (default prefix-affinity:3,queue-depth:2,kv-utilization:2)', undefined, '<name:weight,...>'),
  flag('cluster', 'snapshot-refresh-interval', 'int64', 0n, 'KV snapshot refresh interval in µs; 0 = always fresh (>= 0)', { min: 0 }),
  flag('cluster', 'slo-priority-bridge', 'bool', false, 'pass an SLO priority hint from the router (no observable effect)'),

  flag('scheduling', 'scheduler', 'string', 'fcfs', ''),
  flag('scheduling', 'priority-policy', 'string', 'constant', ''),
  flag('scheduling', 'slo-prefill', 'bool', false, 'per-SLO-class prefill chunk thresholds'),
  flag('scheduling', 'slo-prefill-critical', 'int64', 128n, 'prefill chunk size for critical requests; 0 = no chunking', { min: 0 }),
  flag('scheduling', 'slo-prefill-sheddable', 'int64', 0n, 'prefill chunk size for sheddable requests; 0 = no chunking', { min: 0 }),
  flag('scheduling', 'preemption-policy', 'string', 'batch-tail', ''),
  flag('scheduling', 'slo-preemption', 'bool', false, 'same as --preemption-policy lowest-priority'),

  flag('output', 'results-path', 'string', '', 'write the cluster metrics and per-request results as JSON to this file'),
  flag('output', 'fitness-weights', 'string', '', 'fitness score weights, e.g. throughput:0.5,p99_ttft:0.5', undefined, '<key:weight,...>'),
  flag('output', 'trace-level', 'string', 'none', 'none or decisions'),
  flag('output', 'counterfactual-k', 'int', 0n, 'counterfactual candidates kept per routing decision (>= 0)', { min: 0 }),
  flag('output', 'summarize-trace', 'bool', false, 'print the decision-trace summary (needs --trace-level decisions)'),
  flag('output', 'policy-config', 'string', '', 'policy bundle YAML; applies to policy flags that were not given'),
  flag('output', 'progress', 'bool', false, 'show progress on stderr (simulated time, requests done, rate); default when stderr is a terminal'),
  flag('output', 'log', 'string', 'warn', 'stderr log level: panic, fatal, error, warn, info, debug or trace'),
  flag('plugins', 'plugin', 'stringList', [], 'load policies from a .ts/.mts/.js/.mjs file (repeatable); see `servesim plugins`', undefined, '<file>'),
];

/** Flags whose value names a file whose content is part of the simulation input. */
export const FILE_VALUED_FLAGS: ReadonlySet<string> = new Set([
  '--workload-spec',
  '--workload-traces-filepath',
  '--policy-config',
  '--defaults-filepath',
  '--hardware-config',
  '--model-config-folder',
]);

/** The policy selection flag of each axis that has one (scorers are chosen by --routing-scorers). */
const SELECT_FLAGS = new Map<string, Axis>(
  (Object.keys(AXIS_INFO) as Axis[]).filter((axis) => axis !== 'scorer').map((axis) => [AXIS_INFO[axis].selectFlag, axis]),
);

/** Help group of a policy parameter: next to its axis' selection flag; plugin parameters under Plugins. */
function paramGroup(axis: Axis, plugin: string): string {
  if (plugin !== '') return RUN_FLAG_GROUPS.plugins;
  return axis === 'admission' || axis === 'routing' || axis === 'scorer' ? RUN_FLAG_GROUPS.cluster : RUN_FLAG_GROUPS.scheduling;
}

/** The full `run` flag table for a catalog: base flags, selection flags listing the catalog's names, every parameter. */
export function runFlagTable(catalog: PolicyCatalog = BUILTIN_CATALOG): FlagSpec[] {
  const table: FlagSpec[] = [];
  for (const base of BASE_RUN_FLAGS) {
    const axis = SELECT_FLAGS.get(base.name);
    table.push(axis === undefined ? base : { ...base, description: catalog.names(axis).join(', ') });
    if (axis === undefined && base.name !== 'routing-scorers') continue;
    const axes: Axis[] = axis === undefined ? ['scorer'] : [axis];
    for (const param of catalog.params()) {
      if (!axes.includes(param.axis)) continue;
      table.push({
        name: param.flag,
        type: param.spec.type,
        default: param.spec.type === 'bool' ? param.spec.default : param.spec.type === 'float' ? param.spec.default : BigInt(param.spec.default as number),
        group: paramGroup(param.axis, param.plugin),
        description: `${param.spec.help} (${param.owners.join(', ')})`,
        domain: { min: param.spec.min, max: param.spec.max, exclusiveMin: param.spec.exclusiveMin },
      });
    }
  }
  return table;
}

export const RUN_FLAGS: readonly FlagSpec[] = runFlagTable(BUILTIN_CATALOG);

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
  routingPolicy: string;
  routingScorers: string;
  snapshotRefreshInterval: number;
  sloPriorityBridge: boolean;
  scheduler: string;
  priorityPolicy: string;
  sloPrefill: boolean;
  sloPrefillCritical: number;
  sloPrefillSheddable: number;
  preemptionPolicy: string;
  sloPreemption: boolean;
  resultsPath: string;
  fitnessWeights: string;
  traceLevel: string;
  counterfactualK: number;
  summarizeTrace: boolean;
  policyConfig: string;
  log: string;
  progress: boolean;
  plugin: readonly string[];
}

/** A parsed `run` command line: typed values plus which flags (by CLI name) were given explicitly. */
export interface RunArgs {
  flags: RunFlags;
  /** Every policy parameter by flag name (declared defaults unless given). */
  params: ReadonlyMap<string, ParamValue>;
  /** The catalog whose flags were parsed (built-ins plus loaded plugins). */
  catalog: PolicyCatalog;
  explicit: ReadonlySet<string>;
  helpRequested: boolean;
}

const EXACT_DOUBLE_LIMIT = 1n << 53n;

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function toRunFlags(parsed: ParsedFlags, catalog: PolicyCatalog): { flags: RunFlags; params: Map<string, ParamValue> } {
  const out: Record<string, unknown> = {};
  const params = new Map<string, ParamValue>();
  for (const [name, raw] of parsed.values) {
    const value = typeof raw === 'bigint' ? Number(raw) : raw;
    if (catalog.param(name) !== undefined) params.set(name, value as ParamValue);
    else out[camelCase(name)] = value;
  }
  out.seed = parsed.values.get('seed') as bigint;
  // Times this large are unreachable; treat them like the int64-max "no horizon" default.
  const horizon = parsed.values.get('horizon') as bigint;
  out.horizon = horizon >= EXACT_DOUBLE_LIMIT ? Infinity : Number(horizon);
  return { flags: out as unknown as RunFlags, params };
}

/**
 * Every numeric flag given on the command line must lie in its domain (integers, finite numbers, bounds), checked
 * once here with one message format; defaults always do.
 */
function checkGivenDomains(parsed: ParsedFlags, table: readonly FlagSpec[]): void {
  for (const spec of table) {
    if (!parsed.explicit.has(spec.name) || spec.type === 'string' || spec.type === 'stringList') continue;
    if (spec.type === 'bool' || spec.type === 'floatList') continue;
    const raw = parsed.values.get(spec.name)!;
    const value = typeof raw === 'bigint' ? Number(raw) : (raw as number);
    const domain = { type: spec.type, ...spec.domain };
    if (!inDomain(domain, value)) throw new FlagError(domainMessage(`--${spec.name}`, domain, value));
  }
}

/**
 * For an unknown `--<policy>.<key>` (the form of plugin parameters): the parameters of the plugin policy of that
 * name and its file, or a reminder that no loaded plugin defines it.
 */
function pluginFlagHint(name: string, catalog: PolicyCatalog): string {
  const dot = name.indexOf('.');
  if (dot <= 0) return '';
  const policy = name.slice(0, dot);
  const owners = (Object.keys(AXIS_INFO) as Axis[]).flatMap((axis) =>
    catalog.entries(axis).filter((entry) => entry.plugin !== '' && entry.module.name === policy),
  );
  if (owners.length === 0) return ` (no loaded plugin defines a policy ${quoteText(policy)}; load it with --plugin FILE)`;
  return owners
    .map(({ module, plugin }) => {
      const flags = Object.keys(module.params).map((key) => `--${policy}.${key}`);
      const has = flags.length === 0 ? 'has no parameters' : `has ${flags.join(', ')}`;
      return ` (${module.axis} policy ${quoteText(policy)} from ${plugin} ${has})`;
    })
    .join('');
}

/** Parses `run` flags (argv without the `run` word). Throws FlagError (exit 1) on bad input. */
export function parseRunArgs(argv: readonly string[], catalog: PolicyCatalog = BUILTIN_CATALOG): RunArgs {
  const parsed = parseFlags(argv, catalog === BUILTIN_CATALOG ? RUN_FLAGS : runFlagTable(catalog), (name) => pluginFlagHint(name, catalog));
  if (parsed.positionals.length > 0) {
    // cobra would silently ignore these; a stray word is almost always a mistyped flag, so reject it.
    throw new FlagError(`unexpected argument ${quoteText(parsed.positionals[0])}: run takes only flags`);
  }
  checkGivenDomains(parsed, catalog === BUILTIN_CATALOG ? RUN_FLAGS : runFlagTable(catalog));
  const { flags, params } = toRunFlags(parsed, catalog);
  return { flags, params, catalog, explicit: parsed.explicit, helpRequested: parsed.helpRequested };
}
