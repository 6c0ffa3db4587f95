// From a strategy point to `run` flags, and a content-addressed key for the resulting simulation input.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { readBundlePlugins } from '../config/policy-bundle.js';
import { argvGroups } from '../config/flags.js';
import { FILE_VALUED_FLAGS } from '../config/run-flags.js';
import { pluginDigest } from '../plugins/load.js';
import type { ParameterSpec, ParamValue, ParamValues, Strategy } from './strategy.js';


const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Flags that only change where or how output is written, never the simulation: left out of the config key. */
const OUTPUT_ONLY_FLAGS = new Set(['--results-path', '--log']);

/** Brings a proposed value to the parameter's domain (integers rounded) and checks it. */
export function normalizeParamValue(param: ParameterSpec, value: ParamValue): ParamValue {
  if (param.type === 'categorical') {
    const match = param.categories.find((c) => c === value || String(c) === String(value));
    if (match === undefined) {
      throw new ServesimError(`parameter ${param.name}: ${String(value)} is not one of ${param.categories.join(' | ')}`);
    }
    return match;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ServesimError(`parameter ${param.name}: expected a number, got ${String(value)}`);
  }
  return param.type === 'integer' ? Math.round(value) : value;
}

function formatFlag(flag: string, value: ParamValue): string[] {
  if (value === true) return [flag];
  if (value === false) return [];
  const text = String(value);
  // A value starting with "-" would read as a flag; the `--flag=value` form is unambiguous.
  return text.startsWith('-') ? [`${flag}=${text}`] : [flag, text];
}

/** The searched and derived flags for a point, in parameter order then derived order. */
export function parameterArgs(strategy: Strategy, params: ParamValues): string[] {
  const args: string[] = [];
  for (const p of strategy.parameters) {
    const value = params[p.name];
    if (value === undefined) throw new ServesimError(`parameter ${p.name}: no value given`);
    args.push(...formatFlag(p.flag, normalizeParamValue(p, value)));
  }
  for (const d of strategy.derived) {
    const source = strategy.parameters.find((p) => p.name === d.when.param)!;
    const value = normalizeParamValue(source, params[d.when.param]!);
    const matches = value === d.when.equals || String(value) === String(d.when.equals);
    args.push(...formatFlag(d.flag, matches ? d.then : d.else));
  }
  return args;
}

/** Full `run` flags (without the `run` word) for one seed. */
export function buildRunArgv(strategy: Strategy, params: ParamValues, seed: number): string[] {
  return [...strategy.fixedArgs, '--workload-spec', strategy.workloadSpec, '--seed', String(seed), ...parameterArgs(strategy, params)];
}

/** Splits flags into (flag, values) groups; `--flag=value` becomes (flag, [value]). */
function groupFlags(argv: readonly string[]): Array<[string, string[]]> {
  return argvGroups(argv).map(({ flag, tokens }): [string, string[]] => {
    if (flag === '') return ['', tokens];
    const first = tokens[0]!;
    return first.length > flag.length ? [flag, [first.slice(flag.length + 1), ...tokens.slice(1)]] : [flag, tokens.slice(1)];
  });
}

/**
 * Hash identifying the simulation input of `argv` apart from the seed: flags sorted by name (the flag set, not its
 * spelling or order, defines the run), numbers in canonical form (5.0 = 5), relative paths resolved against `cwd`,
 * and the content of every input file included, so editing a workload file yields a new key, not a stale result.
 */
export function configHash(argv: readonly string[], cwd: string): string {
  const hash = createHash('sha256');
  const groups = groupFlags(argv)
    .filter(([flag]) => flag !== '--seed' && !OUTPUT_ONLY_FLAGS.has(flag))
    .map(([flag, values]): [string, string[]] => {
      if (flag === '--plugin' && values.length === 1) {
        // The compiled bundle's digest: covers the plugin and every file it imports.
        const path = resolve(cwd, values[0]!);
        return [flag, [path, `sha256:${pluginDigest(path)}`]];
      }
      if (FILE_VALUED_FLAGS.has(flag) && values.length === 1) {
        const path = resolve(cwd, values[0]!);
        const plugins = flag === '--policy-config' ? bundlePluginDigests(path) : [];
        return [flag, [path, `sha256:${fileDigest(path)}`, ...plugins]];
      }
      // 0.8610 and 0.861, or 5.0 and 5, are the same run.
      return [flag, values.map((v) => (NUMERIC.test(v) ? String(Number(v)) : v))];
    });
  // Stable sort keeps the relative order of a repeated flag (the last one wins in `run`).
  groups.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  hash.update(JSON.stringify(groups));
  return hash.digest('hex');
}

/** The `--seed` value of argv (the last one wins), if any. */
export function seedOf(argv: readonly string[]): number | undefined {
  let seed: number | undefined;
  for (const [flag, values] of groupFlags(argv)) if (flag === '--seed' && values.length > 0) seed = Number(values[0]);
  return seed;
}

/** Digests of the plugins a policy bundle lists (their code is part of the run's input too). */
function bundlePluginDigests(path: string): string[] {
  try {
    return readBundlePlugins(path).map((plugin) => `${plugin}:sha256:${pluginDigest(plugin)}`);
  } catch {
    return []; // `run` reports an unreadable bundle or plugin with its own message
  }
}

const digestCache = new Map<string, { mtimeMs: number; size: number; digest: string }>();

function fileDigest(path: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 'missing'; // `run` reports the missing file with its own message
  }
  if (stats.isDirectory()) {
    return 'directory'; // model config folders: the config.json inside is read by `run`; path identity suffices
  }
  const cached = digestCache.get(path);
  if (cached && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) return cached.digest;
  const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
  digestCache.set(path, { mtimeMs: stats.mtimeMs, size: stats.size, digest });
  return digest;
}

/** argv for display: `--flag value` pairs, one string, values quoted when needed. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((t) => (/^[\w@%+=:,./-]+$/.test(t) ? t : `'${t.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** An optimiser's point (values in parameter order) as the strategy's parameter values, normalised. */
export function paramsOfPoint(strategy: Pick<Strategy, 'parameters'>, x: readonly ParamValue[]): ParamValues {
  const params: ParamValues = {};
  strategy.parameters.forEach((p, i) => (params[p.name] = normalizeParamValue(p, x[i]!)));
  return params;
}

/** The strategy's parameter values as an optimiser's point (values in parameter order). */
export function pointOfParams(strategy: Pick<Strategy, 'parameters'>, params: ParamValues): ParamValue[] {
  return strategy.parameters.map((p) => params[p.name]!);
}
