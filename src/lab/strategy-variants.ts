// Strategy variants: `extends: base.yaml` inherits another strategy and overrides or removes what it names, and
// `--set FLAG=VALUE` overrides one flag of a loaded strategy from the command line.
// Merging happens on the raw YAML data, with every inherited path made absolute first (paths are relative to the file
// that wrote them), so a variant in another folder still finds its base's workload, plugins and files.
//
//   extends: ../presets/strategies/iter8-opt.yaml
//   name: iter8-budget-1024              # required: the store's strategy key
//   fixed_args: [--max-num-scheduled-tokens 1024]   # a flag set here replaces the inherited flag (and a parameter
//                                                   # or derived flag searching it)
//   remove_args: [--slo-prefill]         # inherited fixed flags to drop
//   remove_parameters: [max_tokens]      # inherited parameters to drop
//   parameters: [...]                    # a parameter with an inherited name replaces it
//
// Everything else (description, workload_spec, seeds, objective(s), constraints, penalties, initial_points,
// components, references, validation_seeds) is inherited unless given (inherited initial points drop the parameters that are no longer searched);
// plugins are the union.

import { dirname, isAbsolute, resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { quoteText } from '../show-value.js';
import { FILE_VALUED_FLAGS } from '../config/run-flags.js';
import { argvGroups } from '../config/flags.js';
import { checkStrategyFlags } from './strategy-flags.js';

/** The raw strategy fields merging reads and writes (validated by the strategy schema before and after). */
export interface RawStrategyData {
  extends?: string;
  name?: string;
  description?: string;
  workload_spec?: string;
  seeds?: unknown;
  plugins?: string[];
  fixed_args?: string[];
  remove_args?: string[];
  remove_parameters?: string[];
  parameters?: Array<{ name: string; flag: string } & Record<string, unknown>>;
  derived?: Array<{ flag: string; when: { param: string } } & Record<string, unknown>>;
  objective?: unknown;
  objectives?: unknown[];
  constraints?: unknown[];
  references?: string[];
  validation_seeds?: unknown;
  penalties?: unknown;
  seed_allocation?: unknown;
  surrogate?: unknown;
  initial_points?: 'defaults' | Array<'defaults' | Record<string, unknown>>;
  components?: Record<string, string[]>;
}

/** Reads and schema-checks a strategy file's raw data (strategy.ts supplies it, keeping one parser). */
export type RawStrategyReader = (file: string) => RawStrategyData;

/** `--flag value` groups of fixed_args entries, with file-valued flags' values made absolute against `dir`. */
function flagGroups(entries: readonly string[], dir: string): Array<{ flag: string; text: string }> {
  const groups: Array<{ flag: string; text: string }> = [];
  for (const entry of entries) {
    const tokens = entry.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0 || !tokens[0]!.startsWith('--')) {
      groups.push({ flag: tokens[0] ?? '', text: entry }); // reported by the strategy checks
      continue;
    }
    let [flag, inline] = [tokens[0]!, undefined as string | undefined];
    const eq = flag.indexOf('=');
    if (eq >= 0) [flag, inline] = [flag.slice(0, eq), flag.slice(eq + 1)];
    const absolute = (value: string): string => (FILE_VALUED_FLAGS.has(flag) || flag === '--plugin') && !isAbsolute(value) ? resolve(dir, value) : value;
    const text = inline !== undefined ? `${flag}=${absolute(inline)}` : [flag, ...tokens.slice(1).map(absolute)].join(' ');
    groups.push({ flag, text });
  }
  return groups;
}

/** The strategy's own data with every path absolute. */
function absolutized(data: RawStrategyData, file: string): RawStrategyData {
  const dir = dirname(file);
  return {
    ...data,
    ...(data.workload_spec !== undefined ? { workload_spec: resolve(dir, data.workload_spec) } : {}),
    ...(data.plugins ? { plugins: data.plugins.map((p) => resolve(dir, p)) } : {}),
    ...(data.fixed_args ? { fixed_args: flagGroups(data.fixed_args, dir).map((g) => g.text) } : {}),
    ...(data.references ? { references: data.references.map((r) => resolve(dir, r)) } : {}),
    ...(data.constraints ? { constraints: data.constraints.map((c) => absoluteConstraintTarget(c, dir)) } : {}),
  };
}

/** A hard constraint naming a strategy file (`metric <= other.yaml`) with that file made absolute. */
function absoluteConstraintTarget(constraint: unknown, dir: string): unknown {
  const absolute = (text: string) => text.replace(/(<=|>=|==)\s*(\S(?:.*\S)?\.ya?ml)\s*$/, (_all, op: string, file: string) => `${op} ${resolve(dir, file)}`);
  if (typeof constraint === 'string') return absolute(constraint);
  if (constraint !== null && typeof constraint === 'object' && typeof (constraint as { require?: unknown }).require === 'string') {
    return { ...constraint, require: absolute((constraint as { require: string }).require) };
  }
  return constraint;
}

function merge(base: RawStrategyData, child: RawStrategyData, where: string): RawStrategyData {
  const fail = (path: string, message: string): never => {
    throw new ServesimError(`${where}: ${path}: ${message}`);
  };
  const baseGroups = flagGroups(base.fixed_args ?? [], '/');
  const childGroups = flagGroups(child.fixed_args ?? [], '/');
  const removed = new Set(child.remove_args ?? []);
  for (const flag of removed) {
    if (!baseGroups.some((g) => g.flag === flag)) fail('remove_args', `${flag} is not in the inherited fixed_args`);
  }
  const removedParams = new Set(child.remove_parameters ?? []);
  for (const name of removedParams) {
    if (!(base.parameters ?? []).some((p) => p.name === name)) fail('remove_parameters', `"${name}" is not an inherited parameter`);
  }
  const childFixed = new Set(childGroups.map((g) => g.flag));
  const childParams = new Map((child.parameters ?? []).map((p) => [p.name, p]));
  const childSearched = new Set((child.parameters ?? []).map((p) => p.flag));
  const set = (flag: string): boolean => childFixed.has(flag) || childSearched.has(flag);
  const parameters = [
    ...(base.parameters ?? []).filter((p) => !removedParams.has(p.name) && !childParams.has(p.name) && !set(p.flag)),
    ...(child.parameters ?? []),
  ];
  const names = new Set(parameters.map((p) => p.name));
  const derived = [
    ...(base.derived ?? []).filter((d) => !set(d.flag) && !removed.has(d.flag) && names.has(d.when.param)),
    ...(child.derived ?? []),
  ];
  return {
    name: child.name ?? base.name,
    description: child.description ?? base.description,
    workload_spec: child.workload_spec ?? base.workload_spec,
    seeds: child.seeds ?? base.seeds,
    plugins: [...new Set([...(base.plugins ?? []), ...(child.plugins ?? [])])],
    fixed_args: [...baseGroups.filter((g) => !removed.has(g.flag) && !childFixed.has(g.flag)).map((g) => g.text), ...(child.fixed_args ?? [])],
    parameters,
    derived,
    // objective and objectives replace each other: a variant naming either drops the inherited other.
    objective: child.objective ?? (child.objectives ? undefined : base.objective),
    objectives: child.objectives ?? (child.objective ? undefined : base.objectives),
    constraints: child.constraints ?? base.constraints,
    references: child.references ?? base.references,
    validation_seeds: child.validation_seeds ?? base.validation_seeds,
    penalties: child.penalties ?? base.penalties,
    seed_allocation: child.seed_allocation ?? base.seed_allocation,
    surrogate: child.surrogate ?? base.surrogate,
    initial_points: child.initial_points ?? inheritedInitialPoints(base.initial_points, names),
    components: child.components ?? base.components,
  } as RawStrategyData;
}

/** A base's initial points without the parameters the variant no longer searches. */
function inheritedInitialPoints(points: RawStrategyData['initial_points'], names: ReadonlySet<string>): RawStrategyData['initial_points'] {
  if (points === undefined || names.size === 0) return undefined; // a variant that searches nothing has no use for them
  if (points === 'defaults') return points;
  return points.map((point) => (point === 'defaults' ? point : Object.fromEntries(Object.entries(point).filter(([name]) => names.has(name)))));
}

/**
 * The strategy `data` of `file` with its `extends` chain merged in, every path absolute. `read` loads a base file's
 * raw data; a chain that comes back to a file it already passed is an error.
 */
export function resolveExtends(data: RawStrategyData, file: string, read: RawStrategyReader, chain: readonly string[] = []): RawStrategyData {
  const where = `strategy ${file}`;
  if (chain.includes(file)) throw new ServesimError(`${where}: extends: a cycle (${[...chain, file].join(' → ')})`);
  const own = absolutized(data, file);
  if (data.extends === undefined) return own;
  const baseFile = resolve(dirname(file), data.extends);
  const base = resolveExtends(read(baseFile), baseFile, read, [...chain, file]);
  return merge(base, own, where);
}

/** The parts of a loaded strategy that --set changes (structural, to keep this module below strategy.ts). */
interface VariantTarget {
  name: string;
  file: string;
  fixedArgs: string[];
  parameters: Array<{ name: string; flag: string; type: 'real' | 'integer' | 'categorical'; low?: number; high?: number }>;
  derived: Array<{ flag: string; when: { param: string } }>;
  workloadSpec: string;
  initialPoints?: Array<Record<string, unknown>>;
}

/**
 * A strategy with `--set FLAG=VALUE` overrides applied, in order: the flag replaces the same fixed flag, or fixes a
 * searched parameter (which then leaves the search); `true`/`false` add or drop a boolean flag; `workload-spec`
 * replaces the workload (relative to `cwd`). The result is checked against the flag table like a loaded strategy.
 */
/** `option` names the command-line option the overrides came from in error messages (--set, or --vary for sweeps). */
export function applySets<S extends VariantTarget>(strategy: S, sets: readonly string[], cwd: string, option = '--set'): S {
  if (sets.length === 0) return strategy;
  let fixedArgs = [...strategy.fixedArgs];
  let parameters = [...strategy.parameters];
  let derived = [...strategy.derived];
  let workloadSpec = strategy.workloadSpec;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new ServesimError(`--set: expected FLAG=VALUE (e.g. --set max-num-scheduled-tokens=1024), got ${quoteText(set)}`);
    const flag = `--${set.slice(0, eq).replace(/^--/, '')}`;
    const value = set.slice(eq + 1);
    if (flag === '--seed') throw new ServesimError(`${option}: the seed is chosen with --seeds`);
    if (flag === '--workload-spec') {
      workloadSpec = resolve(cwd, value);
      continue;
    }
    if (derived.some((d) => d.flag === flag)) {
      throw new ServesimError(`${option} ${flag}: derived from parameter "${derived.find((d) => d.flag === flag)!.when.param}" in ${strategy.file}; set that one`);
    }
    const fixedParam = parameters.find((p) => p.flag === flag);
    parameters = parameters.filter((p) => p.flag !== flag);
    if (fixedParam) derived = derived.filter((d) => d.when.param !== fixedParam.name);
    fixedArgs = withoutFlag(fixedArgs, flag);
    if (value === 'false') continue;
    // A file named on the command line is relative to where the command runs, not to the strategy file.
    const text = FILE_VALUED_FLAGS.has(flag) || flag === '--plugin' ? resolve(cwd, value) : value;
    fixedArgs.push(...(value === 'true' ? [flag] : [`${flag}=${text}`]));
  }
  const variant: S = { ...strategy, fixedArgs, parameters, derived, workloadSpec };
  // A parameter fixed by --set leaves the search, and so the initial points.
  const searched = new Set(parameters.map((p) => p.name));
  if (strategy.initialPoints) {
    variant.initialPoints = strategy.initialPoints.map((point) => Object.fromEntries(Object.entries(point).filter(([name]) => searched.has(name))));
  }
  checkStrategyFlags(fixedArgs, parameters, derived, strategy.file === '' ? cwd : dirname(strategy.file), (path, message) => {
    throw new ServesimError(`${option}: ${message} (in ${strategy.name}: ${path})`);
  });
  return variant;
}

/** argv tokens without `flag` and its value(s). */
function withoutFlag(argv: readonly string[], flag: string): string[] {
  return argvGroups(argv).flatMap((g) => (g.flag === flag ? [] : g.tokens));
}
