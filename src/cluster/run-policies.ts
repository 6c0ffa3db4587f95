// Creates one run's policy objects from the configuration's choices and the catalog. Plugin policies are wrapped so
// that whatever they return or throw becomes a one-line error naming the plugin file, the policy, the request and
// the time, instead of corrupting the run; built-ins run unwrapped.

import { ServesimError } from '../errors.js';
import type { KVStore } from '../types.js';
import { latencyView, type LatencyModel } from '../latency/index.js';
import { BUILTIN_CATALOG, moduleParams, type CatalogEntry, type PolicyCatalog } from '../policies/catalog.js';
import type {
  AdmissionPolicy,
  Axis,
  PolicyContext,
  PreemptionPolicy,
  PriorityPolicy,
  RequestView,
  RoutingPolicy,
  Scheduler,
  Scorer,
  ScorerContext,
  WeightedScorer,
} from '../policies/policy.js';
import { DEFAULT_SCORERS } from '../policies/routing/weighted.js';
import type { GeneratedRequest, PolicyChoice, SimConfig, SimRequest } from '../types.js';
import type { PrefixInterner } from '../kv/index.js';

export interface RunPolicyInputs {
  config: SimConfig;
  latency: LatencyModel;
  interner: PrefixInterner;
  /** Live KV store of an instance (for cachedPrefixBlocks). */
  kvStore: (instance: number) => KVStore;
  /** Every request of the run (only asked for by policies that rank all request IDs up front). */
  allRequests: () => readonly GeneratedRequest[];
}

/** Factories for the per-instance policies and the cluster-level ones of one run. */
export interface RunPolicies {
  admission: AdmissionPolicy;
  routing: RoutingPolicy;
  /** The routing policy composes scorers (and so carries the SLO priority bridge). */
  composesScorers: boolean;
  priority(instance: number): PriorityPolicy;
  scheduler(): Scheduler;
  preemption(): PreemptionPolicy;
  /** Some selected policy (or scorer) comes from a plugin: it may read anything a RequestView offers at any time. */
  usesPlugins: boolean;
  /**
   * Every routing policy and scorer is a built-in, and those report the prefix identities they keep: the interner
   * may forget the others (false with a plugin router or scorer).
   */
  idsReported: boolean;
}

function describe(entry: CatalogEntry): string {
  return `${entry.plugin}: ${entry.module.axis} policy "${entry.module.name}"`;
}

function fault(entry: CatalogEntry, what: string): ServesimError {
  return new ServesimError(`${describe(entry)} ${what}`);
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** Runs `create`, turning a plugin factory's exception into a one-line error. */
function instantiate<T>(entry: CatalogEntry, choice: PolicyChoice, ctx: unknown): T {
  const params = moduleParams(entry.module, choice.params);
  if (entry.plugin === '') return (entry.module.create as (p: unknown, c: unknown) => T)(params, ctx);
  let created: T;
  try {
    created = (entry.module.create as (p: unknown, c: unknown) => T)(Object.freeze(params), ctx);
  } catch (error) {
    throw fault(entry, `failed to start: ${errorText(error)}`);
  }
  if (created === null || typeof created !== 'object') throw fault(entry, `create() returned ${String(created)}, expected an object`);
  return created;
}

function requireMethod(entry: CatalogEntry, policy: object, method: string): void {
  if (typeof (policy as Record<string, unknown>)[method] !== 'function') {
    throw fault(entry, `create() returned an object without a ${method}() method`);
  }
}

/** A plugin method's exception as a one-line error with the request and time. (Callers catch inline: no closure per call.) */
function thrown(entry: CatalogEntry, method: string, req: RequestView | undefined, now: number, error: unknown): ServesimError {
  if (error instanceof ServesimError) return error;
  return fault(entry, `${method}() threw${at(req, now)}: ${errorText(error)}`);
}

function at(req: RequestView | undefined, now: number): string {
  const time = Number.isNaN(now) ? '' : ` at t=${now} µs`;
  return req === undefined ? time : ` for ${req.id}${time}`;
}

function guardAdmission(entry: CatalogEntry, policy: AdmissionPolicy): AdmissionPolicy {
  requireMethod(entry, policy, 'admit');
  return {
    ignoresState: policy.ignoresState === true,
    admit(req, cluster) {
      let verdict: boolean;
      try {
        verdict = policy.admit(req, cluster);
      } catch (error) {
        throw thrown(entry, 'admit', req, cluster.clock, error);
      }
      if (typeof verdict !== 'boolean') throw fault(entry, `admit() returned ${String(verdict)}${at(req, cluster.clock)}; expected true or false`);
      return verdict;
    },
  };
}

function guardRouting(entry: CatalogEntry, policy: RoutingPolicy): RoutingPolicy {
  requireMethod(entry, policy, 'route');
  return {
    get lastScores() {
      return policy.lastScores ?? null;
    },
    route(req, cluster) {
      let target: number;
      try {
        target = policy.route(req, cluster);
      } catch (error) {
        throw thrown(entry, 'route', req, cluster.clock, error);
      }
      if (!(Number.isInteger(target) && target >= 0 && target < cluster.numInstances)) {
        throw fault(entry, `route() returned ${String(target)}${at(req, cluster.clock)}; expected an instance index in [0, ${cluster.numInstances - 1}]`);
      }
      return target;
    },
  };
}

function guardScorer(entry: CatalogEntry, scorer: Scorer): Scorer {
  requireMethod(entry, scorer, 'score');
  const observe = scorer.observe;
  return {
    score(req, cluster, out) {
      try {
        scorer.score(req, cluster, out);
      } catch (error) {
        throw thrown(entry, 'score', req, cluster.clock, error);
      }
      for (let i = 0; i < cluster.numInstances; i++) {
        if (!Number.isFinite(out[i]!)) {
          throw fault(entry, `score() gave ${formatNumber(out[i]!)} for instance ${i}${at(req, cluster.clock)}; scores must be finite`);
        }
      }
    },
    observe:
      observe === undefined
        ? undefined
        : (req, target) => {
            try {
              observe.call(scorer, req, target);
            } catch (error) {
              throw thrown(entry, 'observe', req, NaN, error);
            }
          },
  };
}

function guardPriority(entry: CatalogEntry, policy: PriorityPolicy): PriorityPolicy {
  requireMethod(entry, policy, 'compute');
  const observe = policy.observeQueueLength;
  return {
    alwaysZero: policy.alwaysZero === true,
    observeQueueLength:
      observe === undefined
        ? undefined
        : (length) => {
            try {
              observe.call(policy, length);
            } catch (error) {
              throw thrown(entry, 'observeQueueLength', undefined, NaN, error);
            }
          },
    compute(req, now) {
      let value: number;
      try {
        value = policy.compute(req, now);
      } catch (error) {
        throw thrown(entry, 'compute', req, now, error);
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw fault(entry, `compute() returned ${formatNumber(value)}${at(req, now)}; priorities must be finite numbers`);
      }
      return value;
    },
  };
}

function guardScheduler(entry: CatalogEntry, scheduler: Scheduler): Scheduler {
  const compare = scheduler.compare;
  if (compare === null || compare === undefined) return { compare: null };
  if (typeof compare !== 'function') throw fault(entry, 'create() returned a compare that is neither a function nor null');
  return {
    compare(a, b) {
      let order: number;
      try {
        order = compare(a, b);
      } catch (error) {
        throw thrown(entry, 'compare', a, NaN, error);
      }
      if (typeof order !== 'number' || Number.isNaN(order)) {
        throw fault(entry, `compare() returned ${formatNumber(order)} for ${a.id} and ${b.id}; expected a number`);
      }
      return order;
    },
  };
}

function guardPreemption(entry: CatalogEntry, policy: PreemptionPolicy): PreemptionPolicy {
  requireMethod(entry, policy, 'victim');
  return {
    victim(running, count) {
      let index: number;
      try {
        index = policy.victim(running, count);
      } catch (error) {
        throw thrown(entry, 'victim', undefined, NaN, error);
      }
      if (!(Number.isInteger(index) && index >= 0 && index < count)) {
        throw fault(entry, `victim() returned ${String(index)}; expected an index in [0, ${count - 1}]`);
      }
      return index;
    },
  };
}

function formatNumber(value: unknown): string {
  if (typeof value !== 'number') return String(value);
  return Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);
}

const GUARDS: { [A in Axis]: (entry: CatalogEntry, policy: never) => unknown } = {
  admission: guardAdmission as never,
  routing: guardRouting as never,
  scorer: guardScorer as never,
  priority: guardPriority as never,
  scheduler: guardScheduler as never,
  preemption: guardPreemption as never,
};

function create<T>(catalog: PolicyCatalog, axis: Axis, choice: PolicyChoice, ctx: unknown): T {
  const entry = catalog.entry(axis, choice.name);
  const policy = instantiate<T>(entry, choice, ctx);
  return entry.plugin === '' ? policy : (GUARDS[axis](entry, policy as never) as T);
}

/** Rank of each request ID in byte-wise string order (scheduler tie-break). */
function idRanks(requests: readonly GeneratedRequest[]): Int32Array {
  const order = requests.map((_, i) => i);
  order.sort((a, b) => (requests[a]!.id < requests[b]!.id ? -1 : requests[a]!.id > requests[b]!.id ? 1 : 0));
  const ranks = new Int32Array(requests.length);
  order.forEach((requestIndex, rank) => (ranks[requestIndex] = rank));
  return ranks;
}

export function createRunPolicies(inputs: RunPolicyInputs): RunPolicies {
  const { config, interner } = inputs;
  const catalog = config.catalog ?? BUILTIN_CATALOG;
  const policies = config.policies;
  const base: PolicyContext = {
    numInstances: config.numInstances,
    blockSize: config.engine.blockSize,
    latency: latencyView(inputs.latency),
  };
  const routingEntry = catalog.entry('routing', policies.routing.name);
  const composesScorers = routingEntry.module.composesScorers === true;
  const scorerChoices = composesScorers ? (policies.scorers.length > 0 ? policies.scorers : DEFAULT_SCORERS) : [];
  const idsReported = routingEntry.plugin === '' && scorerChoices.every((choice) => catalog.entry('scorer', choice.name).plugin === '');
  const scorerContext: ScorerContext = {
    ...base,
    // The request's own cached ids, which built-ins only read; a plugin gets a copy it may write into.
    prefixIds: idsReported
      ? (req) => interner.inputPrefixIds(req as SimRequest)
      : (req) => interner.inputPrefixIds(req as SimRequest).slice(),
    affinityKey: (req) => interner.affinityKey(req as SimRequest),
    cachedPrefixBlocks: (req, instance) => inputs.kvStore(instance).getCachedBlocks(req as SimRequest).length,
    retainIds: (provider) => interner.addRootProvider(provider),
  };

  let scorers: WeightedScorer[] = [];
  if (composesScorers) {
    const choices = scorerChoices;
    let weightSum = 0;
    for (const choice of choices) weightSum += choice.weight;
    scorers = choices.map((choice) => ({
      name: choice.name,
      weight: choice.weight / weightSum,
      scorer: create<Scorer>(catalog, 'scorer', choice, scorerContext),
    }));
  }

  let ranks: Int32Array | undefined;
  const schedulerContext = { ...base, idRank: () => (ranks ??= idRanks(inputs.allRequests())) };
  const selected: [Axis, string][] = [
    ['admission', policies.admission.name],
    ['routing', policies.routing.name],
    ['priority', policies.priority.name],
    ['scheduler', policies.scheduler.name],
    ['preemption', policies.preemption.name],
    ...scorers.map((s): [Axis, string] => ['scorer', s.name]),
  ];
  return {
    admission: create<AdmissionPolicy>(catalog, 'admission', policies.admission, base),
    routing: create<RoutingPolicy>(catalog, 'routing', policies.routing, { ...scorerContext, scorers }),
    composesScorers,
    priority: (instance) => create<PriorityPolicy>(catalog, 'priority', policies.priority, { ...base, instance }),
    scheduler: () => create<Scheduler>(catalog, 'scheduler', policies.scheduler, schedulerContext),
    preemption: () => create<PreemptionPolicy>(catalog, 'preemption', policies.preemption, base),
    usesPlugins: selected.some(([axis, name]) => catalog.entry(axis, name).plugin !== ''),
    idsReported,
  };
}
