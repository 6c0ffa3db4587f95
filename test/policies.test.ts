import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admissionPolicyNames,
  createAdmissionPolicy,
  createPriorityPolicy,
  createRouterState,
  createRoutingPolicy,
  createScheduler,
  priorityPolicyNames,
  routingPolicyNames,
  schedulerNames,
  scorerNames,
} from '../src/policies/index.js';
import { RouterPrefixIndex, createPrefixAffinityScorer } from '../src/policies/scorers/prefix-affinity.js';
import type { RoutingContext } from '../src/policies/routing/types.js';
import type { SimRequest } from '../src/types.js';
import { makeConfig } from './support/sim-config.js';

const defaults = makeConfig([]).policies;

function request(fields: Partial<SimRequest> & { ids?: number[] }): SimRequest {
  return {
    id: 'request_0',
    index: 0,
    inputTokens: new Int32Array(fields.inputTokens?.length ?? 32),
    outputTokens: new Int32Array(4),
    arrivalTime: 0,
    sloClass: '',
    priority: 0,
    inputPrefixIds: fields.ids ? Int32Array.from(fields.ids) : null,
    ...fields,
  } as SimRequest;
}

describe('registries', () => {
  it('export sorted valid names', () => {
    expect(admissionPolicyNames).toEqual(['always-admit', 'reject-all', 'slo-gated', 'token-bucket']);
    expect(routingPolicyNames).toEqual(['always-busiest', 'least-loaded', 'prefix-affinity', 'round-robin', 'weighted']);
    expect(priorityPolicyNames).toEqual(['constant', 'inverted-slo', 'load-adaptive', 'slo-based', 'slo-tiered']);
    expect(schedulerNames).toEqual(['fcfs', 'priority-fcfs', 'reverse-priority', 'sjf']);
    expect(scorerNames).toEqual(['kv-utilization', 'load-balance', 'prefix-affinity', 'queue-depth', 'slo-priority']);
  });

  it('reject unknown names with the sorted list and accept "" as the default', () => {
    expect(() => createAdmissionPolicy({ ...defaults.admission, policy: 'nope' })).toThrow(
      'Unknown admission policy "nope". Valid: always-admit, reject-all, slo-gated, token-bucket',
    );
    expect(() => createScheduler('x', new Int32Array(0))).toThrow('Unknown scheduler "x". Valid: fcfs, priority-fcfs, reverse-priority, sjf');
    expect(createScheduler('', new Int32Array(0)).compare).toBeNull();
    expect(createPriorityPolicy({ ...defaults.priority, policy: '' }).compute(request({}), 5)).toBe(0);
  });
});

describe('admission', () => {
  const state = createRouterState(['instance_0', 'instance_1']);
  it('token bucket refills by elapsed µs · rate / 1e6 and charges the prompt length', () => {
    const bucket = createAdmissionPolicy({ ...defaults.admission, policy: 'token-bucket', tokenBucketCapacity: 100, tokenBucketRefillRate: 1000 });
    const req = request({ inputTokens: new Int32Array(60) });
    state.clock = 0;
    expect(bucket.admit(req, state)).toBe(true); // 100 → 40
    expect(bucket.admit(req, state)).toBe(false);
    state.clock = 20_000; // +20 tokens → 60
    expect(bucket.admit(req, state)).toBe(true);
  });

  it('slo-gated compares the average EffectiveLoad strictly', () => {
    const gate = createAdmissionPolicy({ ...defaults.admission, policy: 'slo-gated', sloGatedThreshold: 2 });
    state.queueDepth.set([3, 1]);
    state.batchSize.set([0, 0]);
    state.pendingRequests.set([0, 0]);
    expect(gate.admit(request({ sloClass: 'batch' }), state)).toBe(true); // avg 2, not > 2
    state.queueDepth.set([4, 1]);
    expect(gate.admit(request({ sloClass: 'sheddable' }), state)).toBe(false);
    expect(gate.admit(request({ sloClass: '' }), state)).toBe(true);
  });
});

describe('priority policies', () => {
  const p = { ...defaults.priority };
  it('slo-tiered: a standard request overtakes a fresh critical one after 600 ms', () => {
    const tiered = createPriorityPolicy({ ...p, policy: 'slo-tiered' });
    expect(tiered.compute(request({ sloClass: 'critical' }), 0)).toBe(10);
    expect(tiered.compute(request({ sloClass: 'standard' }), 600_000)).toBeCloseTo(10, 12);
    expect(tiered.compute(request({ sloClass: 'batch' }), 1_100_000)).toBeCloseTo(10, 12);
  });

  it('load-adaptive interpolates the bases by queue length', () => {
    const adaptive = createPriorityPolicy({ ...p, policy: 'load-adaptive' });
    adaptive.observeQueueLength!(2);
    expect(adaptive.compute(request({ sloClass: 'critical' }), 0)).toBe(1);
    adaptive.observeQueueLength!(15);
    expect(adaptive.compute(request({ sloClass: 'critical' }), 0)).toBe(10);
    expect(adaptive.compute(request({ sloClass: 'sheddable' }), 0)).toBe(1);
  });
});

describe('routing', () => {
  const ids = ['instance_0', 'instance_1', 'instance_2'];
  const ctx = (policy: string, scorers: RoutingContext['config']['scorers'] = []): RoutingContext => ({
    config: { ...defaults.routing, policy, scorers },
    numInstances: 3,
    blockSize: 16,
    prefixIds: (req) => req.inputPrefixIds ?? new Int32Array(0),
    affinityKey: (req) => (req.inputPrefixIds && req.inputPrefixIds.length > 0 ? req.inputPrefixIds[req.inputPrefixIds.length - 1] : -1),
  });

  it('least-loaded and always-busiest break ties to the lowest index', () => {
    const state = createRouterState(ids);
    state.queueDepth.set([2, 1, 1]);
    expect(createRoutingPolicy(ctx('least-loaded')).route(request({}), state)).toBe(1);
    state.queueDepth.set([1, 2, 2]);
    expect(createRoutingPolicy(ctx('always-busiest')).route(request({}), state)).toBe(1);
  });

  it('weighted with default scorers piles onto instance 0 at cold start, then follows the prefix', () => {
    const state = createRouterState(ids);
    const weighted = createRoutingPolicy(ctx('weighted'));
    const req = request({ ids: [1, 2, 3] });
    expect(weighted.route(req, state)).toBe(0);
    state.queueDepth.set([1, 0, 0]);
    // prefix 3/7·1 + queue-depth 0 + kv 2/7 on instance 0 vs 2/7 + 2/7 elsewhere
    expect(weighted.route(req, state)).toBe(0);
    expect(Array.from(weighted.lastScores!)).toEqual([3 / 7 + 2 / 7, 2 / 7 + 2 / 7, 2 / 7 + 2 / 7]);
  });

  it('standalone prefix-affinity remembers whole-prompt keys', () => {
    const state = createRouterState(ids);
    const policy = createRoutingPolicy(ctx('prefix-affinity'));
    state.queueDepth.set([5, 0, 3]);
    expect(policy.route(request({ ids: [7, 8] }), state)).toBe(1);
    state.queueDepth.set([0, 9, 9]);
    expect(policy.route(request({ ids: [7, 8] }), state)).toBe(1);
    expect(policy.route(request({ ids: [7, 9] }), state)).toBe(0);
  });
});

/** Naive reference of policies.md §5: map id → stamp per instance, evict the smallest stamp. */
class NaiveIndex {
  readonly maps: Array<Map<number, number>>;
  readonly counters: number[];
  constructor(
    n: number,
    private readonly capacity: number,
  ) {
    this.maps = Array.from({ length: n }, () => new Map());
    this.counters = new Array<number>(n).fill(0);
  }
  touch(ids: number[], instance: number): void {
    const map = this.maps[instance];
    for (const id of ids) {
      const stamp = ++this.counters[instance];
      if (map.has(id)) map.set(id, stamp);
      else {
        if (map.size >= this.capacity) {
          let oldest = -1;
          let oldestStamp = Infinity;
          for (const [k, v] of map) if (v < oldestStamp) [oldest, oldestStamp] = [k, v];
          map.delete(oldest);
        }
        map.set(id, stamp);
      }
    }
  }
  matched(ids: number[], instance: number): number {
    let m = 0;
    while (m < ids.length && this.maps[instance].has(ids[m])) m++;
    return m;
  }
}

describe('router-side prefix index', () => {
  it('matches the naive stamp/evict-smallest model (small capacity, many instances)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 10 }), fc.nat()), { maxLength: 80 }),
        (numInstances, capacity, operations) => {
          const index = new RouterPrefixIndex(numInstances, capacity);
          const naive = new NaiveIndex(numInstances, capacity);
          for (const [rawIds, target] of operations) {
            const ids = [...new Set(rawIds)];
            const instance = target % numInstances;
            index.touch(Int32Array.from(ids), instance);
            naive.touch(ids, instance);
            for (let i = 0; i < numInstances; i++) {
              expect(index.size(i)).toBe(naive.maps[i].size);
              for (const id of naive.maps[i].keys()) expect(index.has(id, i)).toBe(true);
            }
          }
        },
      ),
    );
  });

  it('scores = leading matched blocks / blocks, for every instance at once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 8 }), fc.nat()), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 8 }),
        (numInstances, history, probe) => {
          const context: RoutingContext = {
            config: defaults.routing,
            numInstances,
            blockSize: 16,
            prefixIds: (req) => req.inputPrefixIds!,
            affinityKey: () => 0,
          };
          const scorer = createPrefixAffinityScorer(context);
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
