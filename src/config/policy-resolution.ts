// From parsed flags (and an optional policy bundle) to the engine's PolicyConfig: which policy runs on each axis,
// each selected policy's parameter values, the scorer pipeline and the SLO priority bridge. Every rule is checked
// here once, with the message derived from the parameter's declaration.

import { resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { paramFlag, type PolicyCatalog } from '../policies/catalog.js';
import type { ParamValue } from '../policies/params.js';
import type { Axis, PolicyModule } from '../policies/policy.js';
import { SLO_TIER_PARAMS } from '../policies/priority/slo-tier-params.js';
import type { PolicyChoice, PolicyConfig, ScorerChoice, ScorerSpec } from '../types.js';
import type { BundleAxis, PolicyBundle } from './policy-bundle.js';
import { argvGroups } from './flags.js';
import { ScorerConfigError, parseScorerList } from './routing-scorers.js';
import type { RunArgs } from './run-flags.js';
import { quoteText } from '../show-value.js';

export interface PolicyResolution {
  policies: PolicyConfig;
  warnings: string[];
}

/** Flag-name view of the run's parameter values: explicit flags, then the bundle, then the declared defaults. */
class ParamSource {
  constructor(
    private readonly args: RunArgs,
    private readonly bundle: PolicyBundle | undefined,
  ) {}

  value(flag: string): ParamValue {
    if (!this.args.explicit.has(flag)) {
      const fromBundle = this.bundle?.params.get(flag);
      if (fromBundle !== undefined) return fromBundle;
    }
    return this.args.params.get(flag)!;
  }

  /** The values of `module`'s parameters, keyed as its factory reads them. */
  of(module: PolicyModule): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    for (const key of Object.keys(module.params)) out[key] = this.value(paramFlag(module, key));
    return out;
  }
}

function choose(args: RunArgs, bundle: PolicyBundle | undefined, axis: BundleAxis, flagValue: string, flag: string): string {
  const fromBundle = bundle?.policies[axis];
  return fromBundle !== undefined && !args.explicit.has(flag) ? fromBundle : flagValue;
}

function choice(catalog: PolicyCatalog, source: ParamSource, axis: Axis, name: string): PolicyChoice {
  const module = catalog.get(axis, name);
  const params = source.of(module);
  const relation = module.check?.(params as never);
  if (relation !== undefined) throw new ServesimError(relation);
  return { name: module.name, params };
}

function scorerSpecs(args: RunArgs, bundle: PolicyBundle | undefined): ScorerSpec[] {
  const text = args.flags.routingScorers;
  if (text === '') return bundle?.scorers ?? [];
  try {
    return parseScorerList(text, args.catalog.names('scorer'));
  } catch (error) {
    if (error instanceof ScorerConfigError) throw new ServesimError(`Invalid --routing-scorers: ${error.message}`);
    throw error;
  }
}

export function resolvePolicies(args: RunArgs, bundle: PolicyBundle | undefined): PolicyResolution {
  const { flags: f, catalog } = args;
  const warnings: string[] = [];
  const source = new ParamSource(args, bundle);
  const preemptionFlag = f.sloPreemption && !args.explicit.has('preemption-policy') ? 'lowest-priority' : f.preemptionPolicy;
  const names = {
    admission: choose(args, bundle, 'admission', f.admissionPolicy, 'admission-policy'),
    routing: choose(args, bundle, 'routing', f.routingPolicy, 'routing-policy'),
    priority: choose(args, bundle, 'priority', f.priorityPolicy, 'priority-policy'),
    scheduler: choose(args, bundle, 'scheduler', f.scheduler, 'scheduler'),
    preemption: choose(args, bundle, 'preemption', preemptionFlag, 'preemption-policy'),
  };
  const admission = choice(catalog, source, 'admission', names.admission);
  const routing = choice(catalog, source, 'routing', names.routing);
  const priority = choice(catalog, source, 'priority', names.priority);
  const scheduler = choice(catalog, source, 'scheduler', names.scheduler);
  const preemption = choice(catalog, source, 'preemption', names.preemption);

  let scorers: ScorerChoice[] = [];
  const composesScorers = catalog.get('routing', routing.name).composesScorers === true;
  if (composesScorers) {
    scorers = scorerSpecs(args, bundle).map((spec) => ({ ...choice(catalog, source, 'scorer', spec.name), weight: spec.weight }));
  } else if (f.routingScorers !== '') {
    warnings.push(`--routing-scorers has no effect unless --routing-policy composes scorers, e.g. weighted (got ${quoteText(routing.name)})`);
  }
  const bridgeBase = (key: keyof typeof SLO_TIER_PARAMS): number => source.value(SLO_TIER_PARAMS[key].flag) as number;
  const policies: PolicyConfig = {
    admission,
    routing,
    scorers,
    priority,
    scheduler,
    preemption,
    admissionLatency: f.admissionLatency,
    routingLatency: f.routingLatency,
    snapshotRefreshInterval: f.snapshotRefreshInterval,
    priorityBridge: {
      enabled: f.sloPriorityBridge,
      bases: [bridgeBase('baseCritical'), bridgeBase('baseStandard'), bridgeBase('baseSheddable')],
    },
    sloPrefill: { enabled: f.sloPrefill, critical: f.sloPrefillCritical, sheddable: f.sloPrefillSheddable },
  };
  return { policies, warnings };
}

/** Plugin files named by `--plugin` (relative to `cwd`), before the flags can be parsed. */
export function pluginPathsIn(argv: readonly string[], cwd: string): string[] {
  return flagValuesIn(argv, 'plugin').map((p) => resolve(cwd, p));
}

/** Every value of `--name` in argv (`--name v` or `--name=v`), up to a `--` that ends the flags. */
export function flagValuesIn(argv: readonly string[], name: string): string[] {
  const end = argv.indexOf('--');
  return argvGroups(end < 0 ? argv : argv.slice(0, end))
    .filter((g) => g.flag === `--${name}`)
    .flatMap((g) => (g.tokens[0]!.includes('=') ? [g.tokens[0]!.slice(name.length + 3)] : g.tokens.slice(1, 2)));
}
