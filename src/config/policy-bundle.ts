// Policy bundle (`--policy-config`): strict YAML naming a policy per axis and parameter values, applied only to
// flags that were not given explicitly. Its schema is derived from the policy catalog: each axis section takes
// `policy` and the parameters of that axis' policies under their flag names with '_' for '-' (token-bucket-capacity
// → token_bucket_capacity; a plugin's edf.critical-budget → edf.critical_budget); `routing` also takes `scorers`
// and the scorers' parameters. `plugins:` lists plugin files relative to the bundle.

import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import type { PolicyCatalog } from '../policies/catalog.js';
import { domainMessage, inDomain, type ParamValue } from '../policies/params.js';
import type { Axis } from '../policies/policy.js';
import type { ScorerSpec } from '../types.js';
import { loadYamlModule, loadZodModule } from './lazy-modules.js';
import { ScorerConfigError, validateScorerSpecs } from './routing-scorers.js';
import { quoteText } from '../show-value.js';

/** Axes a bundle can set, with the catalog axes whose parameters their section holds. */
const SECTIONS: ReadonlyArray<[BundleAxis, readonly Axis[]]> = [
  ['admission', ['admission']],
  ['routing', ['routing', 'scorer']],
  ['priority', ['priority']],
  ['scheduler', ['scheduler']],
  ['preemption', ['preemption']],
];
export type BundleAxis = 'admission' | 'routing' | 'priority' | 'scheduler' | 'preemption';

/** A validated bundle. */
export interface PolicyBundle {
  /** Plugin files, absolute. */
  plugins: string[];
  /** Policy names per axis that the bundle sets. */
  policies: Partial<Record<BundleAxis, string>>;
  /** Parameter values by flag name. */
  params: Map<string, ParamValue>;
  scorers: ScorerSpec[];
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

function parseFailure(detail: string): ServesimError {
  return new ServesimError(`Failed to load policy config: parsing policy config: ${detail}`);
}

function invalid(detail: string): ServesimError {
  return new ServesimError(`Invalid policy config: ${detail}`);
}

const bundleKey = (flag: string): string => flag.replace(/-/g, '_');

function readBundleText(path: string): string {
  try {
    if (statSync(path).isDirectory()) throw new ServesimError(`Failed to load policy config: ${path} is a directory, expected a YAML file`);
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ServesimError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new ServesimError(`Failed to load policy config: open ${path}: ${reason}`);
  }
}

function parseDocument(path: string) {
  const YAML = loadYamlModule();
  const lineCounter = new YAML.LineCounter();
  const document = YAML.parseDocument(readBundleText(path), { lineCounter, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) throw parseFailure(yamlError.message.split('\n')[0]!);
  return { document, lineCounter };
}

/** The bundle's `plugins:` (absolute paths), read before the catalog exists; other errors surface in loadPolicyBundle. */
export function readBundlePlugins(path: string): string[] {
  const { document } = parseDocument(path);
  const raw = (document.toJS() as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(raw)) return [];
  return raw.filter((p): p is string => typeof p === 'string').map((p) => resolve(dirname(path), p));
}

/** Section keys per axis: `policy`, scorers for routing, and every parameter of the axis' policies. */
function sectionKeys(catalog: PolicyCatalog): Map<BundleAxis, Map<string, string>> {
  const keys = new Map<BundleAxis, Map<string, string>>();
  for (const [section, axes] of SECTIONS) {
    const byKey = new Map<string, string>();
    for (const param of catalog.params()) if (axes.includes(param.axis)) byKey.set(bundleKey(param.flag), param.flag);
    keys.set(section, byKey);
  }
  return keys;
}

function buildSchema(keys: Map<BundleAxis, Map<string, string>>) {
  const { z } = loadZodModule();
  // Any number, even NaN/±Inf, so that the domain check reports it with the parameter's own message.
  const anyNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number');
  const section = (axis: BundleAxis) => {
    const shape: Record<string, unknown> = { policy: z.string().nullish() };
    if (axis === 'routing') shape.scorers = z.array(z.strictObject({ name: z.string(), weight: anyNumber })).nullish();
    for (const key of keys.get(axis)!.keys()) shape[key] = z.union([anyNumber, z.boolean()]).nullish();
    return z.strictObject(shape as Record<string, typeof anyNumber>).nullish();
  };
  return z.strictObject({
    plugins: z.array(z.string()).nullish(),
    admission: section('admission'),
    routing: section('routing'),
    priority: section('priority'),
    scheduler: z.union([z.string(), section('scheduler')]).nullish(),
    preemption: section('preemption'),
  });
}

function describeIssue(issue: Issue, keys: Map<BundleAxis, Map<string, string>>): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const axis = where.split('.')[0] as BundleAxis;
    const known =
      where === '' ? ['plugins', ...SECTIONS.map(([s]) => s)]
      : where.startsWith('routing.scorers') ? ['name', 'weight']
      : ['policy', ...(axis === 'routing' ? ['scorers'] : []), ...(keys.get(axis)?.keys() ?? [])];
    const container = where === '' ? 'the top level' : where;
    return `field ${quoteText(issue.keys[0])} not found in ${container} (valid fields: ${known.join(', ')})`;
  }
  return `${where || 'document'}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

export function loadPolicyBundle(path: string, catalog: PolicyCatalog): PolicyBundle {
  const { document, lineCounter } = parseDocument(path);
  const keys = sectionKeys(catalog);
  const result = buildSchema(keys).safeParse(document.toJS() ?? {});
  if (!result.success) {
    // Report the issue that comes first in the file, with its line.
    const located = (result.error.issues as Issue[]).map((issue) => {
      const keyPath = issue.code === 'unrecognized_keys' && issue.keys ? [...issue.path, issue.keys[0]!] : issue.path;
      const node = document.getIn(keyPath as unknown[], true) as { range?: [number, number, number] } | undefined;
      const parent = document.getIn(issue.path as unknown[], true) as { items?: Array<{ key?: { value?: unknown; range?: number[] } }> } | undefined;
      const keyNode = parent?.items?.find((pair) => pair.key?.value === keyPath[keyPath.length - 1])?.key;
      const offset = keyNode?.range?.[0] ?? node?.range?.[0] ?? 0;
      return { issue, line: lineCounter.linePos(offset).line };
    });
    located.sort((a, b) => a.line - b.line);
    const first = located[0]!;
    throw parseFailure(`line ${first.line}: ${describeIssue(first.issue, keys)}`);
  }

  const raw = result.data as Record<string, unknown>;
  const bundle: PolicyBundle = {
    plugins: ((raw.plugins as string[] | null | undefined) ?? []).map((p) => resolve(dirname(path), p)),
    policies: {},
    params: new Map(),
    scorers: [],
  };
  for (const [axis] of SECTIONS) {
    const section = typeof raw[axis] === 'string' ? { policy: raw[axis] } : ((raw[axis] ?? {}) as Record<string, unknown>);
    const name = section.policy;
    if (typeof name === 'string' && name !== '') {
      const catalogAxis = axis as Axis;
      if (!catalog.has(catalogAxis, name)) {
        const label = axis === 'scheduler' ? 'scheduler' : `${axis} policy`;
        throw invalid(`unknown ${label} ${quoteText(name)}; valid: ${catalog.names(catalogAxis).join(', ')}`);
      }
      bundle.policies[axis] = name;
    }
    for (const [key, flag] of keys.get(axis)!) {
      const value = section[key];
      if (value === undefined || value === null) continue;
      const spec = catalog.param(flag)!.spec;
      if (!inDomain(spec, value as ParamValue)) throw invalid(domainMessage(`${axis}.${key}`, spec, value));
      bundle.params.set(flag, value as ParamValue);
    }
    if (axis === 'routing') bundle.scorers = ((section.scorers as ScorerSpec[] | null | undefined) ?? []).map((s) => ({ name: s.name, weight: s.weight }));
  }
  try {
    validateScorerSpecs(bundle.scorers, catalog.names('scorer'));
  } catch (error) {
    if (error instanceof ScorerConfigError) throw invalid(`routing.scorers: ${error.message}`);
    throw error;
  }
  return bundle;
}
