// Strategy YAML: a parameterised `run` set-up (fixed flags + searched flags) plus how to score it.
//
// Format (all paths relative to the strategy file):
//
//   extends: base.yaml                    # optional: inherit another strategy (see strategy-variants.ts)
//   name: iter8-opt                       # required, used as the store's strategy key
//   description: free text
//   workload_spec: ../workloads/mixed-production.yaml   # required; the lab adds --workload-spec and --seed
//   seeds: 42,43,44                       # or [42, 43, 44]; default seeds, --seeds overrides
//   plugins: [../plugins/edf.ts]          # policy plugins (become --plugin flags); their flags may be searched
//   fixed_args:                           # `run` flags; an item may hold a flag and its value
//     - --model meta-llama/llama-3.1-8b-instruct
//     - --slo-prefill
//   parameters:                           # searched by `optimize`
//     - {name: max_tokens, flag: --max-num-scheduled-tokens, type: integer, low: 768, high: 4096}
//     - {name: age_weight, flag: --slo-age-weight, type: real, low: 1.0e-6, high: 1.0e-4, prior: log-uniform}
//     - {name: scorers, flag: --routing-scorers, type: categorical, categories: ["a:1", "b:2"]}
//     # optional `default:` — the value compare/ledger use (and `initial_points: defaults` evaluates first)
//   components: {priority: [--scheduler priority-fcfs, --priority-policy slo-tiered], bridge: [--slo-priority-bridge]}
//                                         # named groups of fixed flags, for `ablate`
//   initial_points: defaults              # or a list of points, e.g. [defaults, {max_tokens: 1024}] (an omitted
//                                         # parameter takes its default): `optimize` evaluates them first, as calls
//                                         # 1, 2, …, then its --n-initial space-filling points, then the GP's
//   derived:                              # flags computed from parameters
//     - {flag: --slo-prefill-sheddable, when: {param: prefill_critical, equals: 0}, then: 0, else: 256}
//   objective: {metric: critical_ttft_p99_ms, direction: minimize}      # or maximize
//   objectives:                           # instead of objective: several → `optimize` searches a Pareto front
//     - {metric: critical_ttft_p99_ms, direction: minimize}
//     - {metric: throughput_tps, direction: maximize}
//   penalties: per_seed                   # or on_means: how constraint penalties combine with seeds (objective.ts)
//   seed_allocation: racing               # optimize: race proposals seed by seed within n-calls × seeds simulations
//                                         # (src/lab/seed-racing.ts); default: every point on every seed
//   surrogate: composite                  # optimize: one GP per metric, EI of the known score (needs on_means;
//                                         # src/optimize/composite.ts); default gp: one GP of the score
//   constraints:                          # penalties: weight × violation (single objective only)
//     - {metric: throughput_tps, direction: at_least, threshold: 15000, weight: 0.01}
//     - {metric: sheddable_ttft_p99_ms, direction: at_most, threshold: 600, weight: 2}
//                                         # or hard constraints, modelled by the optimiser (relative-constraints.ts):
//     - throughput_tps >= reference       # the first `references:` entry, paired per seed
//     - {require: sheddable_ttft_p99_ms <= iter8-opt.yaml, tolerance: 1%}   # another strategy; tolerance % or absolute
//     - rejected == 0                     # a fixed number
//   references: [iter8-opt.yaml, baseline.yaml]   # compared with after the search (validation) and named by `reference`
//   validation_seeds: 52-61               # held-out seeds `optimize` validates on; must not overlap seeds
//
// Boolean values (in categories, derived then/else or defaults) mean "flag present" (true) or "flag absent" (false).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ServesimError } from '../errors.js';
import { isMetricName, METRIC_NAMES } from './metrics.js';
import { formatSeeds, parseSeeds } from './seeds.js';
import { resolveExtends, type RawStrategyData } from './strategy-variants.js';
import { checkStrategyFlags } from './strategy-flags.js';

export type ParamValue = number | string | boolean;
export type ParamValues = Record<string, ParamValue>;

export interface RealParameter {
  name: string;
  flag: string;
  type: 'real';
  low: number;
  high: number;
  prior: 'uniform' | 'log-uniform';
  default?: number;
}
export interface IntegerParameter {
  name: string;
  flag: string;
  type: 'integer';
  low: number;
  high: number;
  prior: 'uniform' | 'log-uniform';
  default?: number;
}
export interface CategoricalParameter {
  name: string;
  flag: string;
  type: 'categorical';
  categories: ParamValue[];
  default?: ParamValue;
}
export type ParameterSpec = RealParameter | IntegerParameter | CategoricalParameter;

export interface DerivedFlag {
  flag: string;
  when: { param: string; equals: ParamValue };
  then: ParamValue;
  else: ParamValue;
}

export interface Objective {
  metric: string;
  direction: 'minimize' | 'maximize';
}

/** `at_most`: the metric must stay ≤ threshold; `at_least`: ≥ threshold. */
export interface Constraint {
  metric: string;
  direction: 'at_most' | 'at_least';
  threshold: number;
  weight: number;
}

/** A hard constraint: `metric op target` per seed, feasible iff the mean per-seed slack is ≤ 0 (relative-constraints.ts). */
export interface Requirement {
  /** As the user wrote it, normalised (`metric op target`), for messages and reports. */
  text: string;
  metric: string;
  op: '<=' | '>=' | '==';
  /** A fixed number, or another strategy (absolute file) evaluated on the same seed. */
  target: { kind: 'value'; value: number } | { kind: 'strategy'; file: string };
  /** Allowed slack: a fraction of the target's per-seed value, or an absolute amount; negative = a required margin. */
  tolerance: { kind: 'relative'; fraction: number } | { kind: 'absolute'; value: number };
}

export interface Strategy {
  name: string;
  description: string;
  /** Absolute path of the YAML file (empty when parsed from a string without a file). */
  file: string;
  /** `run` argv tokens, in file order. */
  fixedArgs: string[];
  parameters: ParameterSpec[];
  derived: DerivedFlag[];
  /** Absolute path. */
  workloadSpec: string;
  seeds?: number[];
  /** The (first) objective; with `objectives:` the first of them. */
  objective?: Objective;
  /** `objectives:` as given (present only when the file lists them); more than one makes `optimize` multi-objective. */
  objectives?: Objective[];
  /** Penalty constraints (weight × violation added to the score). */
  constraints: Constraint[];
  /** Hard constraints modelled by the optimiser; present only when the file has some. */
  requirements?: Requirement[];
  /** `references:` as absolute files; present only when given. */
  references?: string[];
  /** Held-out seeds for `optimize`'s validation; never overlapping `seeds`. */
  validationSeeds?: number[];
  /** Whether penalties apply per seed (default) or to the means over seeds. */
  penalties: 'per_seed' | 'on_means';
  /** `optimize`'s use of the seeds (src/lab/seed-racing.ts); absent = every point on every seed. */
  seedAllocation?: 'all' | 'racing';
  /** `optimize`'s model: one GP of the score (absent/gp) or one GP per metric (composite; src/lab/composite.ts). */
  surrogate?: 'gp' | 'composite';
  /** Points `optimize` evaluates first, in order (`initial_points`, resolved); absent when the file gives none. */
  initialPoints?: ParamValues[];
  /** Named groups of fixed flags that `ablate` adds to a baseline or removes one at a time (file order). */
  components: Array<{ name: string; args: string[] }>;
}

const scalar = z.union([z.number(), z.string(), z.boolean()]);

const parameterSchema = z.strictObject({
  name: z.string().min(1),
  flag: z.string().min(1),
  type: z.enum(['real', 'integer', 'categorical']),
  low: z.number().optional(),
  high: z.number().optional(),
  prior: z.enum(['uniform', 'log-uniform']).optional(),
  categories: z.array(scalar).optional(),
  default: scalar.optional(),
});

const derivedSchema = z.strictObject({
  flag: z.string().min(1),
  when: z.strictObject({ param: z.string().min(1), equals: scalar }),
  then: scalar,
  else: scalar,
});

const objectiveSchema = z.strictObject({
  metric: z.string().min(1),
  direction: z.enum(['minimize', 'maximize']),
});

const constraintSchema = z.strictObject({
  metric: z.string().min(1),
  direction: z.enum(['at_most', 'at_least']),
  threshold: z.number(),
  weight: z.number().positive(),
});

const requirementSchema = z.strictObject({
  require: z.string().min(1),
  tolerance: z.union([z.number(), z.string()]).optional(),
});

const seedsSchema = z.union([z.array(z.number().int()).min(1), z.string(), z.number().int()]);

const initialPointSchema = z.union([z.literal('defaults'), z.record(z.string(), scalar)]);

const strategySchema = z.strictObject({
  extends: z.string().min(1).optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  plugins: z.array(z.string().min(1)).optional(),
  fixed_args: z.array(z.string()).optional(),
  parameters: z.array(parameterSchema).optional(),
  derived: z.array(derivedSchema).optional(),
  workload_spec: z.string().min(1).optional(),
  remove_args: z.array(z.string().min(1)).optional(),
  remove_parameters: z.array(z.string().min(1)).optional(),
  seeds: seedsSchema.optional(),
  validation_seeds: seedsSchema.optional(),
  objective: objectiveSchema.optional(),
  objectives: z.array(objectiveSchema).min(1).optional(),
  constraints: z.array(z.union([constraintSchema, z.string().min(1), requirementSchema])).optional(),
  references: z.array(z.string().min(1)).min(1).optional(),
  penalties: z.enum(['per_seed', 'on_means']).optional(),
  seed_allocation: z.enum(['all', 'racing']).optional(),
  surrogate: z.enum(['gp', 'composite']).optional(),
  initial_points: z.union([z.literal('defaults'), z.array(initialPointSchema)]).optional(),
  components: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), z.array(z.string().min(1)).min(1)).optional(),
});

const ALLOWED_KEYS = {
  strategy: Object.keys(strategySchema.shape),
  parameter: Object.keys(parameterSchema.shape),
  derived: Object.keys(derivedSchema.shape),
  when: ['param', 'equals'],
  objective: Object.keys(objectiveSchema.shape),
  constraint: Object.keys(constraintSchema.shape),
  requirement: Object.keys(requirementSchema.shape),
};

/** The lab owns these flags: it sets them per evaluation. */
const RESERVED_FLAGS = new Set(['--seed', '--workload-spec']);

/** `plugins`: extra plugin files (absolute), e.g. a ledger's, loaded before the strategy's own. */
export interface StrategyLoadOptions {
  checkFiles?: boolean;
  plugins?: readonly string[];
}

export function loadStrategy(file: string, options: StrategyLoadOptions = {}): Strategy {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ServesimError(`strategy file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseStrategy(text, abs, options);
}

type StrategyData = z.infer<typeof strategySchema>;

function checkedData(raw: unknown, where: string): StrategyData {
  const parsed = strategySchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ServesimError(`${where}: ${formatIssues(parsed.error.issues, allowedKeysAt)}`);
  return parsed.data;
}

/** A strategy file's own data, schema-checked (the reader `extends` uses for base files). */
function readStrategyData(file: string): RawStrategyData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ServesimError(`strategy file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return checkedData(parseYamlDocument(text, `strategy ${file}`), `strategy ${file}`) as RawStrategyData;
}

/** Parses and validates strategy YAML; `file` anchors relative paths and names the source in errors. */
export function parseStrategy(text: string, file: string, options: StrategyLoadOptions = {}): Strategy {
  const where = `strategy ${file}`;
  let data = checkedData(parseYamlDocument(text, where), where);
  for (const key of ['remove_args', 'remove_parameters'] as const) {
    if (data[key] !== undefined && data.extends === undefined) throw new ServesimError(`${where}: ${key}: only meaningful with extends`);
  }
  if (data.extends !== undefined) data = checkedData(resolveExtends(data as RawStrategyData, file, readStrategyData), where);
  const fail = (path: string, message: string): never => {
    throw new ServesimError(`${where}: ${path}: ${message}`);
  };
  if (data.workload_spec === undefined) fail('workload_spec', 'required (here or in the strategy it extends)');

  const baseDir = file === '' ? process.cwd() : dirname(file);
  // Plugins become --plugin flags (absolute), so workers load them and the trial store hashes their code.
  const pluginFiles = [...(options.plugins ?? []), ...(data.plugins ?? []).map((plugin) => resolve(baseDir, plugin))];
  const pluginArgs = [...new Set(pluginFiles)].flatMap((plugin) => ['--plugin', plugin]);
  const fixedArgs = (data.fixed_args ?? []).flatMap((item, i) => {
    const tokens = item.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) fail(`fixed_args[${i}]`, 'empty entry');
    if (!tokens[0]!.startsWith('--')) fail(`fixed_args[${i}]`, `expected a flag starting with "--", got "${tokens[0]}"`);
    return tokens;
  });
  fixedArgs.unshift(...pluginArgs);
  const fixedFlags = new Set<string>();
  fixedArgs.forEach((token) => {
    if (!token.startsWith('--')) return;
    const flag = token.split('=')[0]!;
    if (RESERVED_FLAGS.has(flag)) {
      fail('fixed_args', `${flag} is set by the lab (use workload_spec and seeds / --seeds instead)`);
    }
    fixedFlags.add(flag);
  });

  const parameters = (data.parameters ?? []).map((p, i) => validateParameter(p, `parameters[${i}]`, fail));
  const names = new Set<string>();
  const flags = new Set<string>();
  parameters.forEach((p, i) => {
    if (names.has(p.name)) fail(`parameters[${i}].name`, `"${p.name}" is used twice`);
    if (flags.has(p.flag)) fail(`parameters[${i}].flag`, `${p.flag} is searched twice`);
    if (fixedFlags.has(p.flag)) fail(`parameters[${i}].flag`, `${p.flag} is also in fixed_args; remove one of them`);
    names.add(p.name);
    flags.add(p.flag);
  });

  const derived = (data.derived ?? []).map((d, i) => {
    const path = `derived[${i}]`;
    checkFlag(d.flag, `${path}.flag`, fail);
    if (!names.has(d.when.param)) {
      fail(`${path}.when.param`, `unknown parameter "${d.when.param}"; parameters: ${[...names].join(', ') || '(none)'}`);
    }
    if (fixedFlags.has(d.flag) || flags.has(d.flag)) fail(`${path}.flag`, `${d.flag} is already set elsewhere`);
    flags.add(d.flag);
    return { flag: d.flag, when: d.when, then: d.then, else: d.else } satisfies DerivedFlag;
  });

  const checkMetric = (metric: string, path: string) => {
    if (!isMetricName(metric)) fail(path, `unknown metric "${metric}"; valid metrics: ${METRIC_NAMES.join(', ')}`);
  };
  if (data.objective && data.objectives) fail('objectives', 'objective and objectives exclude each other; list the objective in objectives');
  if (data.objective) checkMetric(data.objective.metric, 'objective.metric');
  data.objectives?.forEach((o, i) => checkMetric(o.metric, `objectives[${i}].metric`));
  const objectiveMetrics = new Set<string>();
  data.objectives?.forEach((o, i) => {
    if (objectiveMetrics.has(o.metric)) fail(`objectives[${i}].metric`, `"${o.metric}" is listed twice`);
    objectiveMetrics.add(o.metric);
  });
  const references = data.references?.map((r) => resolve(baseDir, r));
  const constraints: Constraint[] = [];
  const requirements: Requirement[] = [];
  (data.constraints ?? []).forEach((c, i) => {
    const path = `constraints[${i}]`;
    if (typeof c === 'string' || 'require' in c) {
      const text = typeof c === 'string' ? c : c.require;
      const tolerance = typeof c === 'string' ? undefined : c.tolerance;
      requirements.push(parseRequirement(text, tolerance, { baseDir, references, path, fail }));
      return;
    }
    checkMetric(c.metric, `${path}.metric`);
    if ((data.objectives?.length ?? 0) > 1) {
      fail(path, `penalty constraints (threshold/weight) add to a single objective's score; with several objectives write a hard constraint like "${c.metric} ${c.direction === 'at_most' ? '<=' : '>='} ${c.threshold}"`);
    }
    constraints.push({ ...c });
  });

  const seedList = (raw: z.infer<typeof seedsSchema>, key: string): number[] => {
    const list = Array.isArray(raw) ? [...raw] : parseSeeds(String(raw), `${where}: ${key}`);
    if (new Set(list).size !== list.length) fail(key, 'a seed is listed twice');
    return list;
  };
  const seeds = data.seeds === undefined ? undefined : seedList(data.seeds, 'seeds');
  const validationSeeds = data.validation_seeds === undefined ? undefined : seedList(data.validation_seeds, 'validation_seeds');
  if (seeds && validationSeeds) {
    const overlap = validationSeeds.filter((s) => seeds.includes(s));
    if (overlap.length > 0) fail('validation_seeds', `must not overlap the tuning seeds (${formatSeeds(seeds)}); both list ${formatSeeds(overlap)}`);
  }

  const initialPoints = data.initial_points === undefined ? undefined : resolveInitialPoints(data.initial_points, parameters, fail);

  const workloadSpec = resolve(baseDir, data.workload_spec!);
  if (options.checkFiles ?? true) {
    if (!existsSync(workloadSpec)) fail('workload_spec', `file not found: ${workloadSpec}`);
    references?.forEach((r, i) => {
      if (!existsSync(r)) fail(`references[${i}]`, `file not found: ${r}`);
    });
    requirements.forEach((r, i) => {
      if (r.target.kind === 'strategy' && !existsSync(r.target.file)) fail('constraints', `"${r.text}": file not found: ${r.target.file}`);
    });
    checkStrategyFlags(fixedArgs, parameters, derived, baseDir, fail);
  }

  return {
    name: data.name,
    description: data.description ?? '',
    file,
    fixedArgs,
    parameters,
    derived,
    workloadSpec,
    ...(seeds ? { seeds } : {}),
    ...(data.objective ? { objective: { ...data.objective } } : {}),
    ...(data.objectives ? { objective: { ...data.objectives[0]! }, objectives: data.objectives.map((o) => ({ ...o })) } : {}),
    constraints,
    ...(requirements.length > 0 ? { requirements } : {}),
    ...(references ? { references } : {}),
    ...(validationSeeds ? { validationSeeds } : {}),
    penalties: data.penalties ?? 'per_seed',
    // Only when not the default: the run key hashes the strategy, and runs stored before these keys existed (or
    // with the default spelled out) must still resume.
    ...(data.seed_allocation === 'racing' ? { seedAllocation: data.seed_allocation } : {}),
    ...(data.surrogate === 'composite' ? { surrogate: data.surrogate } : {}),
    ...(initialPoints ? { initialPoints } : {}),
    components: Object.entries(data.components ?? {}).map(([name, args]) => ({ name, args: [...args] })),
  };
}

const REQUIREMENT_PATTERN = /^\s*([A-Za-z0-9_]+)\s*(<=|>=|==)\s*(\S(?:.*\S)?)\s*$/;

/**
 * A hard constraint `metric op target`: the target is a number, `reference` (the first `references:` entry) or a
 * strategy file (relative to this strategy's file). `tolerance`: `1%` (of the target's per-seed value) or an absolute
 * number, ≥ 0.
 */
export function parseRequirement(
  text: string,
  tolerance: number | string | undefined,
  context: { baseDir: string; references: readonly string[] | undefined; path: string; fail: (path: string, message: string) => never },
): Requirement {
  const { path, fail } = context;
  const match = REQUIREMENT_PATTERN.exec(text);
  if (!match) fail(path, `expected "METRIC <=|>=|== TARGET" (TARGET: a number, reference or a strategy .yaml), got ${JSON.stringify(text)}`);
  const [, metric, op, rawTarget] = match!;
  if (!isMetricName(metric!)) fail(path, `unknown metric "${metric}"; valid metrics: ${METRIC_NAMES.join(', ')}`);
  let target: Requirement['target'];
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(rawTarget!)) target = { kind: 'value', value: Number(rawTarget) };
  else if (rawTarget === 'reference') {
    if (!context.references?.length) fail(path, `"reference" names the first entry of references:, but the strategy lists none`);
    target = { kind: 'strategy', file: context.references![0]! };
  } else if (/\.ya?ml$/.test(rawTarget!)) target = { kind: 'strategy', file: resolve(context.baseDir, rawTarget!) };
  else fail(path, `expected a number, reference or a strategy .yaml file after ${op}, got "${rawTarget}"`);
  let tol: Requirement['tolerance'] = { kind: 'absolute', value: 0 };
  if (tolerance !== undefined) {
    const pct = typeof tolerance === 'string' ? /^\s*(\d+\.?\d*|\.\d+)\s*%\s*$/.exec(tolerance) : null;
    const abs = typeof tolerance === 'number' ? tolerance : pct ? NaN : Number(tolerance);
    if (pct) tol = { kind: 'relative', fraction: Number(pct[1]) / 100 };
    else if (Number.isFinite(abs) && abs >= 0 && String(tolerance).trim() !== '') tol = { kind: 'absolute', value: abs };
    else fail(`${path}.tolerance`, `expected a percentage like 1% or a number >= 0, got ${JSON.stringify(tolerance)}`);
  }
  const shown = target!.kind === 'value' ? String(target!.value) : rawTarget === 'reference' ? `reference (${target!.file.split('/').pop()})` : rawTarget!;
  const tolText = tol.kind === 'relative' ? ` (tolerance ${+(tol.fraction * 100).toFixed(6)}%)` : tol.value !== 0 ? ` (tolerance ${tol.value})` : '';
  return { text: `${metric} ${op} ${shown}${tolText}`, metric: metric!, op: op as Requirement['op'], target: target!, tolerance: tol };
}

/**
 * `initial_points` as full points: `defaults` is every parameter's default; a mapping names some parameters (the
 * others take their defaults). Values are checked against each parameter's domain, as the optimiser would.
 */
export function resolveInitialPoints(
  raw: 'defaults' | Array<'defaults' | Record<string, ParamValue>>,
  parameters: readonly ParameterSpec[],
  fail: (path: string, message: string) => never,
): ParamValues[] {
  if (parameters.length === 0) fail('initial_points', 'the strategy has no parameters to search');
  const items = raw === 'defaults' ? ['defaults' as const] : raw;
  if (items.length === 0) fail('initial_points', 'expected "defaults" or a non-empty list of points');
  const names = new Set(parameters.map((p) => p.name));
  return items.map((item, i) => {
    const path = raw === 'defaults' ? 'initial_points' : `initial_points[${i}]`;
    const given = item === 'defaults' ? {} : item;
    for (const name of Object.keys(given)) {
      if (!names.has(name)) fail(`${path}.${name}`, `unknown parameter "${name}"; parameters: ${[...names].join(', ')}`);
    }
    const point: ParamValues = {};
    for (const p of parameters) {
      const value = given[p.name] ?? p.default;
      if (value === undefined) {
        fail(path, item === 'defaults' ? `parameter "${p.name}" has no default` : `no value for "${p.name}" (and it has no default)`);
      }
      point[p.name] = checkedPointValue(p, value!, `${path}.${p.name}`, fail);
    }
    return point;
  });
}

function checkedPointValue(p: ParameterSpec, value: ParamValue, path: string, fail: (path: string, message: string) => never): ParamValue {
  if (p.type === 'categorical') {
    const match = p.categories.find((c) => c === value);
    if (match === undefined) fail(path, `expected one of the categories (${p.categories.join(' | ')}), got ${JSON.stringify(value)}`);
    return match!;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, `expected a number, got ${JSON.stringify(value)}`);
  const n = value as number;
  if (n < p.low || n > p.high) fail(path, `expected a value in [${p.low}, ${p.high}], got ${n}`);
  if (p.type === 'integer' && !Number.isInteger(n)) fail(path, `expected an integer, got ${n}`);
  return n;
}

type RawParameter = z.infer<typeof parameterSchema>;

function validateParameter(p: RawParameter, path: string, fail: (path: string, message: string) => never): ParameterSpec {
  checkFlag(p.flag, `${path}.flag`, fail);
  if (p.type === 'categorical') {
    if (p.low !== undefined || p.high !== undefined || p.prior !== undefined) {
      fail(path, 'low/high/prior apply to real and integer parameters, not categorical');
    }
    if (!p.categories || p.categories.length === 0) fail(`${path}.categories`, 'expected a non-empty list of values');
    const categories = p.categories!;
    if (new Set(categories.map((c) => JSON.stringify(c))).size !== categories.length) {
      fail(`${path}.categories`, 'values must be distinct');
    }
    if (p.default !== undefined && !categories.some((c) => c === p.default)) {
      fail(`${path}.default`, `expected one of the categories (${categories.join(' | ')}), got ${String(p.default)}`);
    }
    return { name: p.name, flag: p.flag, type: 'categorical', categories, ...(p.default !== undefined ? { default: p.default } : {}) };
  }
  if (p.categories !== undefined) fail(`${path}.categories`, `only categorical parameters have categories (type is ${p.type})`);
  if (p.low === undefined) fail(`${path}.low`, `required for type ${p.type}`);
  if (p.high === undefined) fail(`${path}.high`, `required for type ${p.type}`);
  const low = p.low!;
  const high = p.high!;
  if (!(low < high)) fail(`${path}.high`, `expected a value greater than low (${low}), got ${high}`);
  if (p.type === 'integer') {
    if (!Number.isInteger(low)) fail(`${path}.low`, `expected an integer for an integer parameter, got ${low}`);
    if (!Number.isInteger(high)) fail(`${path}.high`, `expected an integer for an integer parameter, got ${high}`);
  }
  const prior = p.prior ?? 'uniform';
  if (prior === 'log-uniform' && low <= 0) fail(`${path}.low`, `expected a value > 0 for a log-uniform prior, got ${low}`);
  let def: number | undefined;
  if (p.default !== undefined) {
    if (typeof p.default !== 'number') fail(`${path}.default`, `expected a number, got ${JSON.stringify(p.default)}`);
    def = p.default as number;
    if (def < low || def > high) fail(`${path}.default`, `expected a value in [${low}, ${high}], got ${def}`);
    if (p.type === 'integer' && !Number.isInteger(def)) fail(`${path}.default`, `expected an integer, got ${def}`);
  }
  return { name: p.name, flag: p.flag, type: p.type, low, high, prior, ...(def !== undefined ? { default: def } : {}) };
}

function checkFlag(flag: string, path: string, fail: (path: string, message: string) => never): void {
  if (!/^--[a-z0-9][a-z0-9.-]*$/.test(flag)) fail(path, `expected a run flag like --slo-base-critical, got "${flag}"`);
  if (RESERVED_FLAGS.has(flag)) fail(path, `${flag} is set by the lab`);
}

/** Parses YAML, turning syntax errors into one-line ServesimErrors with the line number. */
export function parseYamlDocument(text: string, where: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    const e = err as { message?: string; linePos?: Array<{ line: number; col: number }> };
    const line = e.linePos?.[0]?.line;
    // The message ends with " at line L, column C:" and a code excerpt; keep the one-line reason only.
    const reason = (e.message ?? String(err)).split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ServesimError(`${where}: invalid YAML${line !== undefined ? ` at line ${line}` : ''}: ${reason}`);
  }
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  if (path.length === 0) return ALLOWED_KEYS.strategy;
  const [head] = path;
  if (head === 'parameters' && path.length === 2) return ALLOWED_KEYS.parameter;
  if (head === 'derived' && path.length === 2) return ALLOWED_KEYS.derived;
  if (head === 'derived' && path.length === 3) return ALLOWED_KEYS.when;
  if (head === 'objective' && path.length === 1) return ALLOWED_KEYS.objective;
  if (head === 'objectives' && path.length === 2) return ALLOWED_KEYS.objective;
  if (head === 'constraints' && path.length === 2) return [...ALLOWED_KEYS.constraint, ...ALLOWED_KEYS.requirement];
  return undefined;
}

/** `parameters[2].low` style. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  const json = JSON.stringify(input);
  return `${typeof input} ${json.length > 40 ? `${json.slice(0, 37)}...` : json}`;
}

/** One line from zod issues: field path, expectation, what was found (at most three issues). */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  allowedKeys: (path: readonly PropertyKey[]) => string[] | undefined,
): string {
  const lines = issues.slice(0, 3).map((issue) => {
    const path = formatPath(issue.path);
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case 'invalid_type':
        return input === undefined
          ? `${path}: required (expected ${issue.expected})`
          : `${path}: expected ${issue.expected}, got ${describeInput(input)}`;
      case 'invalid_value':
        return `${path}: expected one of ${issue.values.map((v) => String(v)).join(' | ')}, got ${describeInput(input)}`;
      case 'unrecognized_keys': {
        const allowed = allowedKeys(issue.path);
        const keys = issue.keys.map((k) => `"${k}"`).join(', ');
        return `${path}: unknown field ${keys}${allowed ? `; allowed: ${allowed.join(', ')}` : ''}`;
      }
      case 'invalid_union': {
        // Several forms are allowed (e.g. a penalty constraint mapping, a require: mapping, a string): report the
        // problems of the form the input matches best (fewest issues, none about the input's own type).
        const branches = ((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? []).filter(
          (b) => b.length > 0 && !b.some((sub) => sub.path.length === 0 && sub.code === 'invalid_type'),
        );
        const best = branches.sort((a, b) => a.length - b.length)[0];
        if (!best) return `${path}: unexpected ${describeInput(input)}`;
        return formatIssues(
          best.map((sub) => ({ ...sub, path: [...issue.path, ...sub.path] })),
          allowedKeys,
        );
      }
      default:
        return `${path}: ${issue.message}`;
    }
  });
  if (issues.length > 3) lines.push(`(${issues.length - 3} more)`);
  return lines.join('; ');
}

/** Values compare/ledger use: each parameter's `default`; a parameter without one is an error. */
export function defaultParameterValues(strategy: Strategy): ParamValues {
  const values: ParamValues = {};
  for (const p of strategy.parameters) {
    if (p.default === undefined) {
      throw new ServesimError(
        `strategy ${strategy.file}: parameters: "${p.name}" has no default; give it a default: value to run this strategy outside optimize`,
      );
    }
    values[p.name] = p.default;
  }
  return values;
}
