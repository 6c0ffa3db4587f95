import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyModel, latencyView } from '../src/latency/index.js';
import { BUILTIN_CATALOG, moduleParams } from '../src/policies/catalog.js';
import { describeDomain, domainMessage, inDomain, type ParamValue } from '../src/policies/params.js';
import type {
  Axis,
  ModuleByAxis,
  PolicyContext,
  RequestView,
  RoutingContext,
  ScorerContext,
  SchedulerContext,
} from '../src/policies/policy.js';
import { createRouterState } from '../src/policies/router-state.js';
import { DEFAULT_SCORERS } from '../src/policies/routing/weighted.js';
import { prefixAffinityScorer } from '../src/policies/scorers/prefix-affinity.js';
import { NaiveIndex } from './support/naive-router-index.js';
import { defaultConfig } from './support/sim-config.js';

/** A request view carrying its block prefix ids (the engine's interner computes them from the tokens). */
type TestRequest = RequestView & { inputPrefixIds: Int32Array | null };

function request(fields: Partial<Omit<TestRequest, 'inputPrefixIds'>> & { ids?: number[] }): TestRequest {
  const { ids, ...rest } = fields;
  const inputLength = fields.inputTokens?.length ?? 32;
  return {
    id: 'request_0',
    index: 0,
    inputTokens: new Int32Array(inputLength),
    outputTokens: new Int32Array(4),
    inputLength,
    outputLength: 4,
    progressIndex: 0,
    arrivalTime: 0,
    sloClass: '',
    priority: 0,
    inputPrefixIds: ids ? Int32Array.from(ids) : null,
    ...rest,
  };
}

const latency = latencyView(createLatencyModel(defaultConfig().latency));

function baseContext(numInstances: number): PolicyContext {
  return { numInstances, blockSize: 16, latency };
}

function scorerContext(numInstances: number): ScorerContext {
  const prefixIds = (req: RequestView) => (req as TestRequest).inputPrefixIds ?? new Int32Array(0);
  return {
    ...baseContext(numInstances),
    prefixIds,
    affinityKey: (req) => {
      const ids = prefixIds(req);
      return ids.length > 0 ? ids[ids.length - 1]! : -1;
    },
    cachedPrefixBlocks: () => 0,
  };
}

/** Creates built-in policy `name` of `axis` the way the engine does: declared defaults under `params`. */
function create<A extends Axis>(
  axis: A,
  name: string,
  ctx: Parameters<ModuleByAxis[A]['create']>[1],
  params: Record<string, ParamValue> = {},
): ReturnType<ModuleByAxis[A]['create']> {
  const module = BUILTIN_CATALOG.get(axis, name);
  return (module.create as (p: unknown, c: unknown) => ReturnType<ModuleByAxis[A]['create']>)(moduleParams(module, params), ctx);
}

function schedulerContext(): SchedulerContext {
  return { ...baseContext(1), idRank: () => new Int32Array(0) };
}

describe('catalog', () => {
  it('lists sorted valid names per axis', () => {
    expect(BUILTIN_CATALOG.names('admission')).toEqual(['always-admit', 'reject-all', 'slo-gated', 'tiered-load-shed', 'token-bucket']);
    expect(BUILTIN_CATALOG.names('routing')).toEqual(['always-busiest', 'least-loaded', 'prefix-affinity', 'round-robin', 'weighted']);
    expect(BUILTIN_CATALOG.names('priority')).toEqual(['constant', 'inverted-slo', 'load-adaptive', 'slo-based', 'slo-tiered']);
    expect(BUILTIN_CATALOG.names('scheduler')).toEqual(['fcfs', 'priority-fcfs', 'reverse-priority', 'sjf']);
    expect(BUILTIN_CATALOG.names('scorer')).toEqual(['kv-utilization', 'load-balance', 'prefix-affinity', 'queue-depth', 'slo-priority']);
    expect(BUILTIN_CATALOG.names('preemption')).toEqual(['batch-tail', 'lowest-priority']);
  });

  it('rejects unknown names with the sorted list and accepts "" as the default', () => {
    expect(() => BUILTIN_CATALOG.get('admission', 'nope')).toThrow(
      'Unknown admission policy "nope". Valid: always-admit, reject-all, slo-gated, tiered-load-shed, token-bucket',
    );
    expect(() => BUILTIN_CATALOG.get('scheduler', 'x')).toThrow('Unknown scheduler "x". Valid: fcfs, priority-fcfs, reverse-priority, sjf');
    expect(create('scheduler', '', schedulerContext()).compare).toBeNull();
    expect(create('priority', '', { ...baseContext(1), instance: 0 }).compute(request({}), 5)).toBe(0);
    expect(BUILTIN_CATALOG.get('preemption', '').name).toBe('batch-tail');
  });

  it('derives one parameter row per flag; shared declarations list every policy that reads them', () => {
    const flags = BUILTIN_CATALOG.params().map((p) => p.flag);
    expect(new Set(flags).size).toBe(flags.length);
    expect(BUILTIN_CATALOG.param('slo-base-critical')).toMatchObject({ axis: 'priority', owners: ['slo-tiered', 'load-adaptive'], plugin: '' });
    expect(BUILTIN_CATALOG.param('token-bucket-capacity')).toMatchObject({ axis: 'admission', owners: ['token-bucket'] });
    expect(BUILTIN_CATALOG.param('nope')).toBeUndefined();
  });
});

describe('parameter domains', () => {
  const capacity = BUILTIN_CATALOG.param('token-bucket-capacity')!.spec;
  const bias = BUILTIN_CATALOG.param('slo-scorer-bias-critical')!.spec;
  const low = BUILTIN_CATALOG.param('load-adaptive-low')!.spec;

  it('describes the domain in words', () => {
    expect(describeDomain(capacity)).toBe('a finite value > 0');
    expect(describeDomain(bias)).toBe('a value in [0, 1]');
    expect(describeDomain(low)).toBe('an integer >= 0');
  });

  it('checks bounds, finiteness and integrality', () => {
    expect([0, -1, Infinity, NaN].map((v) => inDomain(capacity, v))).toEqual([false, false, false, false]);
    expect(inDomain(capacity, 1e-9)).toBe(true);
    expect([-0.1, 0, 1, 1.5].map((v) => inDomain(bias, v))).toEqual([false, true, true, false]);
    expect([-1, 0, 2.5, 3].map((v) => inDomain(low, v))).toEqual([false, true, false, true]);
  });

  it('has one message shape, spelling non-finite values like Go', () => {
    expect(domainMessage('--token-bucket-capacity', capacity, 0)).toBe('--token-bucket-capacity must be a finite value > 0, got 0');
    expect(domainMessage('--token-bucket-capacity', capacity, -Infinity)).toBe('--token-bucket-capacity must be a finite value > 0, got -Inf');
    expect(domainMessage('routing.slo_scorer_bias_critical', bias, 'x')).toBe('routing.slo_scorer_bias_critical must be a value in [0, 1], got "x"');
  });
});

describe('admission', () => {
  const state = createRouterState(['instance_0', 'instance_1']);
  it('token bucket refills by elapsed µs · rate / 1e6 and charges the prompt length', () => {
    const bucket = create('admission', 'token-bucket', baseContext(2), { capacity: 100, refillRate: 1000 });
    const req = request({ inputTokens: new Int32Array(60) });
    state.clock = 0;
    expect(bucket.admit(req, state)).toBe(true); // 100 → 40
    expect(bucket.admit(req, state)).toBe(false);
    state.clock = 20_000; // +20 tokens → 60
    expect(bucket.admit(req, state)).toBe(true);
  });

  it('slo-gated compares the average EffectiveLoad strictly', () => {
    const gate = create('admission', 'slo-gated', baseContext(2), { threshold: 2 });
    state.queueDepth.set([3, 1]);
    state.batchSize.set([0, 0]);
    state.pendingRequests.set([0, 0]);
    expect(gate.admit(request({ sloClass: 'batch' }), state)).toBe(true); // avg 2, not > 2
    state.queueDepth.set([4, 1]);
    expect(gate.admit(request({ sloClass: 'sheddable' }), state)).toBe(false);
    expect(gate.admit(request({ sloClass: '' }), state)).toBe(true);
  });

  it('tiered-load-shed sheds sheddable, then standard requests; never critical', () => {
    const shed = create('admission', 'tiered-load-shed', baseContext(2), { sheddable: 2, standard: 4 });
    state.batchSize.set([0, 0]);
    state.pendingRequests.set([0, 0]);
    const verdicts = (loads: [number, number]) => {
      state.queueDepth.set(loads);
      return ['critical', 'standard', '', 'sheddable', 'batch', 'mystery'].map((sloClass) => shed.admit(request({ sloClass }), state));
    };
    expect(verdicts([2, 2])).toEqual([true, true, true, true, true, true]); // avg 2: not > 2
    expect(verdicts([3, 2])).toEqual([true, true, true, false, false, false]); // avg 2.5
    expect(verdicts([5, 4])).toEqual([true, false, false, false, false, false]); // avg 4.5
    expect(verdicts([100, 100])[0]).toBe(true);
  });
});

describe('priority policies', () => {
  const ctx = { ...baseContext(1), instance: 0 };
  it('slo-tiered: a standard request overtakes a fresh critical one after 600 ms', () => {
    const tiered = create('priority', 'slo-tiered', ctx);
    expect(tiered.compute(request({ sloClass: 'critical' }), 0)).toBe(10);
    expect(tiered.compute(request({ sloClass: 'standard' }), 600_000)).toBeCloseTo(10, 12);
    expect(tiered.compute(request({ sloClass: 'batch' }), 1_100_000)).toBeCloseTo(10, 12);
  });

  it('load-adaptive interpolates the bases by queue length', () => {
    const adaptive = create('priority', 'load-adaptive', ctx);
    adaptive.observeQueueLength!(2);
    expect(adaptive.compute(request({ sloClass: 'critical' }), 0)).toBe(1);
    adaptive.observeQueueLength!(15);
    expect(adaptive.compute(request({ sloClass: 'critical' }), 0)).toBe(10);
    expect(adaptive.compute(request({ sloClass: 'sheddable' }), 0)).toBe(1);
  });

  it('load-adaptive rejects low > high with a message naming both flags', () => {
    const module = BUILTIN_CATALOG.get('priority', 'load-adaptive');
    expect(module.check!(moduleParams(module, { low: 9, high: 3 }) as never)).toBe('--load-adaptive-low (9) must be <= --load-adaptive-high (3)');
    expect(module.check!(moduleParams(module, {}) as never)).toBeUndefined();
  });
});

describe('routing', () => {
  const ids = ['instance_0', 'instance_1', 'instance_2'];
  /** A routing context as the engine builds it: the scorers created and their weights normalised. */
  const ctx = (scorers: ReadonlyArray<{ name: string; weight: number }> = []): RoutingContext => {
    const context = scorerContext(3);
    const total = scorers.reduce((sum, s) => sum + s.weight, 0);
    return {
      ...context,
      scorers: scorers.map((s) => ({ name: s.name, weight: s.weight / total, scorer: create('scorer', s.name, context) })),
    };
  };

  it('least-loaded and always-busiest break ties to the lowest index', () => {
    const state = createRouterState(ids);
    state.queueDepth.set([2, 1, 1]);
    expect(create('routing', 'least-loaded', ctx()).route(request({}), state)).toBe(1);
    state.queueDepth.set([1, 2, 2]);
    expect(create('routing', 'always-busiest', ctx()).route(request({}), state)).toBe(1);
  });

  it('weighted with default scorers piles onto instance 0 at cold start, then follows the prefix', () => {
    const state = createRouterState(ids);
    const weighted = create('routing', 'weighted', ctx(DEFAULT_SCORERS));
    const req = request({ ids: [1, 2, 3] });
    expect(weighted.route(req, state)).toBe(0);
    state.queueDepth.set([1, 0, 0]);
    // prefix 3/7·1 + queue-depth 0 + kv 2/7 on instance 0 vs 2/7 + 2/7 elsewhere
    expect(weighted.route(req, state)).toBe(0);
    expect(Array.from(weighted.lastScores!)).toEqual([3 / 7 + 2 / 7, 2 / 7 + 2 / 7, 2 / 7 + 2 / 7]);
  });

  it('standalone prefix-affinity remembers whole-prompt keys', () => {
    const state = createRouterState(ids);
    const policy = create('routing', 'prefix-affinity', ctx());
    state.queueDepth.set([5, 0, 3]);
    expect(policy.route(request({ ids: [7, 8] }), state)).toBe(1);
    state.queueDepth.set([0, 9, 9]);
    expect(policy.route(request({ ids: [7, 8] }), state)).toBe(1);
    expect(policy.route(request({ ids: [7, 9] }), state)).toBe(0);
  });
});

describe('router-side prefix index', () => {
  // Index vs the naive model under capacity evictions: test/interner-collection.test.ts (router prefix index slots).

  it('scores = leading matched blocks / blocks, for every instance at once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 8 }), fc.nat()), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 8 }),
        (numInstances, history, probe) => {
          const scorer = prefixAffinityScorer.create({}, scorerContext(numInstances));
          const naive = new NaiveIndex(numInstances, 10000);
          for (const [rawIds, target] of history) {
            const ids = [...new Set(rawIds)];
            scorer.observe!(request({ ids }), target % numInstances);
            naive.touch(ids, target % numInstances);
          }
          const ids = [...new Set(probe)];
          const out = new Float64Array(numInstances).fill(-1);
          scorer.score(request({ ids }), createRouterState(Array.from({ length: numInstances }, (_, i) => `instance_${i}`)), out);
          for (let i = 0; i < numInstances; i++) {
            expect(out[i]).toBe(ids.length === 0 ? 0 : naive.matched(ids, i) / ids.length);
          }
        },
      ),
    );
  });
});
