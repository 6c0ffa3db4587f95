// The policy catalog: every policy a run can select, by axis — the built-ins plus any plugins — and the parameter
// table derived from their declarations. Immutable; a run with plugins gets its own catalog.

import { ServesimError } from '../errors.js';
import { admissionModules } from './admission/index.js';
import { defaultParams, type ParamSpec, type ParamValue } from './params.js';
import { AXES, AXIS_INFO, type Axis, type ModuleByAxis, type PolicyModule } from './policy.js';
import { preemptionModules } from './preemption/index.js';
import { priorityModules } from './priority/index.js';
import { routingModules } from './routing/index.js';
import { schedulerModules } from './scheduler/index.js';
import { scorerModules } from './scorers/index.js';
import { quoteText } from '../show-value.js';

/** One row of the derived parameter table: a flag, its declaration, and the axis and policies that read it. */
export interface CatalogParam {
  readonly flag: string;
  readonly spec: ParamSpec;
  readonly axis: Axis;
  /** Names of the policies that declare it (shared declarations list several). */
  readonly owners: readonly string[];
  /** Path of the plugin file that declared it, '' for built-ins. */
  readonly plugin: string;
}

/** Where a policy came from: '' for built-ins, else the plugin file. */
export interface CatalogEntry<A extends Axis = Axis> {
  readonly module: ModuleByAxis[A];
  readonly plugin: string;
}

export const BUILTIN_MODULES: readonly PolicyModule[] = [
  ...admissionModules,
  ...routingModules,
  ...scorerModules,
  ...priorityModules,
  ...schedulerModules,
  ...preemptionModules,
];

/** The flag of parameter `key` of `module`: the declared one, or `<policy>.<key>` for plugins. */
export function paramFlag(module: PolicyModule, key: string): string {
  return module.params[key]!.flag ?? `${module.name}.${key}`;
}

export class PolicyCatalog {
  private readonly byAxis = new Map<Axis, Map<string, CatalogEntry>>();
  private readonly paramRows: CatalogParam[] = [];
  private readonly paramByFlag = new Map<string, CatalogParam>();

  /** `entries` in registration order; names must be unique per axis and flags unique across policies. */
  constructor(entries: readonly CatalogEntry[]) {
    for (const axis of AXES) this.byAxis.set(axis, new Map());
    for (const entry of entries) this.register(entry);
  }

  private register(entry: CatalogEntry): void {
    const { module, plugin } = entry;
    const axisEntries = this.byAxis.get(module.axis)!;
    const existing = axisEntries.get(module.name);
    if (existing) {
      const where = existing.plugin === '' ? 'a built-in' : `one from ${existing.plugin}`;
      throw new ServesimError(`${plugin === '' ? 'built-in' : `plugin ${plugin}`}: ${module.axis} policy "${module.name}" clashes with ${where} of the same name`);
    }
    axisEntries.set(module.name, entry);
    for (const key of Object.keys(module.params)) {
      const flag = paramFlag(module, key);
      const spec = module.params[key]!;
      const row = this.paramByFlag.get(flag);
      if (row === undefined) {
        const added: CatalogParam = { flag, spec, axis: module.axis, owners: [module.name], plugin };
        this.paramRows.push(added);
        this.paramByFlag.set(flag, added);
      } else if (row.spec === spec) {
        (row.owners as string[]).push(module.name);
      } else {
        throw new ServesimError(`${plugin === '' ? 'built-in' : `plugin ${plugin}`}: policy "${module.name}" declares --${flag}, already declared by "${row.owners[0]}"`);
      }
    }
  }

  /** A new catalog with `entries` added after these. */
  extend(entries: readonly CatalogEntry[]): PolicyCatalog {
    const all: CatalogEntry[] = [];
    for (const axis of AXES) all.push(...this.byAxis.get(axis)!.values());
    return new PolicyCatalog([...all, ...entries]);
  }

  /** Sorted names on an axis (error messages list them). */
  names(axis: Axis): string[] {
    return [...this.byAxis.get(axis)!.keys()].sort();
  }

  has(axis: Axis, name: string): boolean {
    return this.byAxis.get(axis)!.has(name);
  }

  entries(axis: Axis): CatalogEntry[] {
    return [...this.byAxis.get(axis)!.values()];
  }

  /** The policy named `name` on `axis` ('' = the axis default); an unknown name is a one-line error listing the valid ones. */
  get<A extends Axis>(axis: A, name: string): ModuleByAxis[A] {
    return this.entry(axis, name).module;
  }

  entry<A extends Axis>(axis: A, name: string): CatalogEntry<A> {
    const key = name === '' ? AXIS_INFO[axis].defaultName : name;
    const found = this.byAxis.get(axis)!.get(key);
    if (found === undefined) {
      throw new ServesimError(`Unknown ${AXIS_INFO[axis].label} ${quoteText(name)}. Valid: ${this.names(axis).join(', ')}`);
    }
    return found as CatalogEntry<A>;
  }

  /** Every parameter flag, built-ins first, in declaration order. */
  params(): readonly CatalogParam[] {
    return this.paramRows;
  }

  param(flag: string): CatalogParam | undefined {
    return this.paramByFlag.get(flag);
  }

  /** Plugin files contributing to this catalog, in load order. */
  plugins(): string[] {
    const files = new Set<string>();
    for (const axis of AXES) for (const entry of this.byAxis.get(axis)!.values()) if (entry.plugin !== '') files.add(entry.plugin);
    return [...files];
  }
}

export const BUILTIN_CATALOG = new PolicyCatalog(BUILTIN_MODULES.map((module) => ({ module, plugin: '' })));

/**
 * The parameter values of `module` keyed as its factory reads them: `given` (by key) over the declared defaults.
 * Library users may pass a partial set.
 */
export function moduleParams(module: PolicyModule, given: Readonly<Record<string, ParamValue>> | undefined): Record<string, ParamValue> {
  return { ...defaultParams(module.params), ...(given ?? {}) };
}
