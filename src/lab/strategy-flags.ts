// A strategy's flags checked against the `run` flag table when the strategy loads (with its plugins' flags), so a
// typo or a value of the wrong type fails at once with the YAML path, not at the first evaluation inside a worker.

import { catalogForArgv } from '../config/resolve-run.js';
import { parseRunArgs, runFlagTable } from '../config/run-flags.js';
import { ServesimError } from '../errors.js';
import { domainMessage, inDomain, type ParamSpec } from '../policies/params.js';
import type { FlagSpec } from '../config/flags.js';

type Fail = (path: string, message: string) => never;

/** The parts of a strategy parameter this check reads. */
interface SearchedFlag {
  flag: string;
  type: 'real' | 'integer' | 'categorical';
  low?: number;
  high?: number;
}

function closest(flag: string, table: readonly FlagSpec[]): string {
  const name = flag.slice(2);
  const hit = table.find((spec) => spec.name.startsWith(name.slice(0, Math.max(4, name.length - 3))));
  return hit ? ` (did you mean --${hit.name}?)` : '';
}

function checkParameter(p: SearchedFlag, path: string, spec: FlagSpec, domain: ParamSpec | undefined, fail: Fail): void {
  const integerFlag = spec.type === 'int' || spec.type === 'int64';
  if (p.type === 'real' && integerFlag) fail(`${path}.type`, `${p.flag} takes integers; use type: integer`);
  if (p.type !== 'categorical' && spec.type === 'bool') fail(`${path}.type`, `${p.flag} is a boolean flag; use type: categorical with true/false`);
  if (p.type !== 'categorical' && (spec.type === 'string' || spec.type === 'stringList')) {
    fail(`${path}.type`, `${p.flag} takes text; use type: categorical`);
  }
  if (domain === undefined || p.type === 'categorical') return;
  for (const bound of ['low', 'high'] as const) {
    const value = p[bound];
    if (value !== undefined && !inDomain(domain, value)) fail(`${path}.${bound}`, domainMessage(p.flag, domain, value));
  }
}

/** Checks fixed_args values and every searched or derived flag; `baseDir` anchors relative plugin paths. */
export function checkStrategyFlags(
  fixedArgs: readonly string[],
  parameters: readonly SearchedFlag[],
  derived: readonly { flag: string }[],
  baseDir: string,
  fail: Fail,
): void {
  let catalog;
  try {
    catalog = catalogForArgv(fixedArgs, baseDir);
    parseRunArgs(fixedArgs, catalog);
  } catch (error) {
    if (error instanceof ServesimError) fail('fixed_args', error.message);
    throw error;
  }
  const table = runFlagTable(catalog);
  const byFlag = new Map(table.map((spec) => [`--${spec.name}`, spec]));
  const lookup = (flag: string, path: string): FlagSpec => {
    const spec = byFlag.get(flag);
    if (spec === undefined) fail(path, `unknown run flag ${flag}${closest(flag, table)}`);
    return spec;
  };
  parameters.forEach((p, i) => {
    const spec = lookup(p.flag, `parameters[${i}].flag`);
    checkParameter(p, `parameters[${i}]`, spec, catalog.param(spec.name)?.spec, fail);
  });
  derived.forEach((d, i) => void lookup(d.flag, `derived[${i}].flag`));
}
