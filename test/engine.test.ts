import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/cluster/simulate.js';
import { EventHeap, EventKind } from '../src/instance/event-heap.js';
import type { CheckedKVStore } from '../src/kv/index.js';
import { createLatencyModel } from '../src/latency/index.js';
import { countInversions } from '../src/metrics/aggregate.js';
import { percentileMs, percentileTicks } from '../src/metrics/stats.js';
import type { GeneratedRequest, SimConfig, SimRequest, SimResult } from '../src/types.js';
import { GOLDEN_DIR, defaultConfig, makeConfig, makeRequest, readTraceCsv, type ConfigOverrides } from './support/sim-config.js';

function popAll(heap: EventHeap): number[] {
  const order: number[] = [];
  while (heap.size > 0) {
    order.push(heap.peekReq());
    heap.pop();
  }
  return order;
}

describe('Go container/heap port', () => {
  it('equal timestamps come out in heap-layout order, not insertion order', () => {
    const heap = new EventHeap(2);
    for (const id of [0, 1, 2]) heap.push(5, EventKind.Scheduled, id);
    // pop swaps root with last, sift-down stops at the first non-strictly-smaller child: A, C, B.
    expect(popAll(heap)).toEqual([0, 2, 1]);
  });

  it('a smaller head followed by four ties pops the ties in reverse insertion order', () => {
    const heap = new EventHeap(2);
    heap.push(1, EventKind.Step, 100);
    for (const id of [0, 1, 2, 3]) heap.push(5, EventKind.Queued, id);
    expect(popAll(heap)).toEqual([100, 3, 2, 1, 0]);
  });

  it('push sifts up with strict less only (ties stay below their parent)', () => {
    const heap = new EventHeap(2);
    heap.push(3, EventKind.Step, 0);
    heap.push(3, EventKind.Step, 1);
    heap.push(2, EventKind.Step, 2);
    expect(heap.layout().map((e) => e[2])).toEqual([2, 1, 0]);
    heap.push(3, EventKind.Step, 3);
    expect(heap.layout().map((e) => e[2])).toEqual([2, 1, 0, 3]);
  });

  it('orders distinct timestamps like a priority queue and keeps kinds attached', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const heap = new EventHeap(1);
        times.forEach((t, i) => heap.push(t, (i % 6) as EventKind, i));
        const popped: number[] = [];
        while (heap.size > 0) {
          expect(heap.peekKind()).toBe(heap.peekReq() % 6);
          popped.push(heap.peekTime());
          heap.pop();
        }
        expect(popped).toEqual([...times].sort((a, b) => a - b));
      }),
    );
  });
});

describe('latency model (docs/spec-notes.md, Latency model)', () => {
  // The default model's coefficients (llama-3.1-8b on H100/TP2 from the shipped defaults file).
  const model = createLatencyModel(defaultConfig().latency);
  const req = (input: number, progress: number, newTokens: number, output = 3): SimRequest =>
    ({
      inputTokens: new Int32Array(input),
      outputTokens: new Int32Array(output),
      inputLength: input,
      outputLength: output,
      progressIndex: progress,
      numNewTokens: newTokens,
    }) as unknown as SimRequest;

  it('reproduces the derived default values', () => {
    expect(model.outputTokenProcessingTime).toBe(1805);
    expect(model.stepTime([], 0)).toBe(6910);
    expect(model.stepTime([req(100, 100, 1)], 1)).toBe(6913);
    expect(model.stepTime([req(100, 0, 100)], 1)).toBe(8677);
    expect(model.queueingTime(req(100, 0, 0))).toBe(1952);
  });

  it('uses stale NumNewTokens of requests that got no budget', () => {
    expect(model.stepTime([req(100, 0, 100), req(100, 0, 100)], 2)).toBe(Math.trunc(6910.420479880494 + 17.67057489844186 * 200));
  });
});

describe('stats operand order', () => {
  it('JSON percentile and per-SLO percentile use their own operand orders', () => {
    const v = Float64Array.from([1, 2, 3, 10]);
    expect(percentileMs(v, 99)).toBe(3 / 1000 + ((10 - 3) * (0.99 * 3 - 2)) / 1000);
    expect(percentileTicks(v, 99)).toBe(3 + (0.99 * 3 - 2) * (10 - 3));
    expect(percentileTicks(Float64Array.from([7]), 99)).toBe(7);
  });

  it('counts priority inversions like the quadratic definition', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }), (values) => {
        let expected = 0;
        for (let i = 0; i < values.length; i++)
          for (let j = i + 1; j < values.length; j++) if (values[i] > 2 * values[j]) expected++;
        expect(countInversions(Float64Array.from(values))).toBe(expected);
      }),
    );
  });
});

describe('worked example (golden G24; docs/reference-quirks.md, quirk 3)', () => {
  it('one 100/3-token request: TTFT 12434, E2E 38588, TPOT 13077, duration 0.024455 s', () => {
    const result = simulate(makeConfig([makeRequest(0, 0, 100, 3)]));
    const record = result.requests[0];
    expect(record.ttftMs).toBe(12.434);
    expect(record.e2eMs).toBe(38.588);
    expect(record.itlMs).toBe(13.077);
    expect(record.schedulingDelayMs).toBe(1.952);
    expect(result.cluster.vllm_estimated_duration_s).toBe(0.024455);
    expect(result.cluster.total_output_tokens).toBe(2);
    expect(result.cluster.itl_mean_ms).toBe(8.718);
  });
});

/** Parses a golden per-request CSV into id → numeric fields. */
function goldenRecords(name: string): Map<string, Record<string, string>> {
  const [header, ...rows] = readFileSync(`${GOLDEN_DIR}${name}.requests.csv`, 'utf8').trim().split('\n');
  const keys = header.split(',');
  return new Map(
    rows.map((row) => {
      const values = row.split(',');
      return [values[0], Object.fromEntries(keys.map((k, i) => [k, values[i]]))];
    }),
  );
}

function expectRecordsMatch(result: SimResult, name: string): void {
  const golden = goldenRecords(name);
  expect(result.requests.length).toBe(golden.size);
  for (const record of result.requests) {
    const g = golden.get(record.id)!;
    expect(g, record.id).toBeDefined();
    expect(record.arrivedAtS).toBe(Number(g.arrived_at_s));
    expect(record.numPrefillTokens).toBe(Number(g.num_prefill_tokens));
    expect(record.numDecodeTokens).toBe(Number(g.num_decode_tokens));
    expect(record.handledBy).toBe(g.handled_by);
    expect(record.ttftMs).toBe(Number(g.ttft_ms));
    expect(record.e2eMs).toBe(Number(g.e2e_ms));
    expect(record.itlMs).toBe(Number(g.itl_ms));
    expect(record.schedulingDelayMs).toBe(Number(g.scheduling_delay_ms));
  }
}

describe('per-request values match the golden results files', () => {
  it.each([
    ['G24', 'one-request.csv'],
    ['G25', 'zero-output-then-cache-hit.csv'],
    ['G26', 'zero-input.csv'],
    ['G16', 'two-simultaneous.csv'],
  ])('%s', (name, file) => {
    expectRecordsMatch(simulate(makeConfig(readTraceCsv(`${GOLDEN_DIR}workloads/${file}`))), name);
  });

  it('G25: early idle lets request_1 start at its queue time, overlapping the previous step', () => {
    const result = simulate(makeConfig(readTraceCsv(`${GOLDEN_DIR}workloads/zero-output-then-cache-hit.csv`)));
    // request_0 (N = 0) completes in its prefill step: one ITL entry, TPOT 0.
    expect(result.requests[0].e2eMs).toBe(22.916);
    expect(result.requests[0].itlMs).toBe(0);
    expect(result.requests[1].ttftMs).toBe(10.738); // prefix-cache hit
  });

  it('G16: two same-tick requests run two interleaved step chains', () => {
    const result = simulate(makeConfig(readTraceCsv(`${GOLDEN_DIR}workloads/two-simultaneous.csv`)));
    expect(result.cluster.e2e_mean_ms).toBe(101.411);
    expect(result.cluster.vllm_estimated_duration_s).toBe(0.04006);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Invariants on random workloads.

interface Scenario {
  requests: GeneratedRequest[];
  overrides: ConfigOverrides;
}

/** Tight admission settings so that token-bucket and slo-gated actually reject some requests. */
const ADMISSION_PARAMS: Record<string, Record<string, number>> = {
  'always-admit': {},
  'token-bucket': { capacity: 2000, refillRate: 20000 },
  'slo-gated': { threshold: 3 },
};

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    count: fc.integer({ min: 1, max: 40 }),
    seedTokens: fc.integer({ min: 1, max: 1000 }),
    sharedPrefix: fc.integer({ min: 0, max: 64 }),
    arrivals: fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 40, maxLength: 40 }),
    inputs: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 40, maxLength: 40 }),
    outputs: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 40, maxLength: 40 }),
    classes: fc.array(fc.constantFrom('', 'critical', 'standard', 'sheddable', 'batch'), { minLength: 40, maxLength: 40 }),
    numInstances: fc.integer({ min: 1, max: 4 }),
    totalKvBlocks: fc.integer({ min: 8, max: 120 }),
    kvCpuBlocks: fc.constantFrom(0, 0, 20),
    blockSize: fc.constantFrom(4, 16),
    maxScheduledTokens: fc.integer({ min: 16, max: 600 }),
    maxRunningReqs: fc.integer({ min: 1, max: 8 }),
    threshold: fc.constantFrom(0, 32, 100),
    routing: fc.constantFrom('round-robin', 'least-loaded', 'weighted', 'prefix-affinity', 'always-busiest'),
    scheduler: fc.constantFrom('fcfs', 'priority-fcfs', 'sjf', 'reverse-priority'),
    priority: fc.constantFrom('constant', 'slo-based', 'inverted-slo', 'slo-tiered', 'load-adaptive'),
    admission: fc.constantFrom('always-admit', 'token-bucket', 'slo-gated'),
    sloPreemption: fc.boolean(),
    horizon: fc.constantFrom(Infinity, Infinity, 150_000, 3_000_000),
  })
  .map((p) => {
    const requests: GeneratedRequest[] = [];
    let allSequenceBlocks = 0;
    const order = p.arrivals.slice(0, p.count).sort((a, b) => a - b);
    for (let k = 0; k < p.count; k++) {
      const input = Array.from({ length: p.inputs[k] }, (_, i) =>
        i < p.sharedPrefix ? i + 1 : (p.seedTokens * 7919 + k * 104729 + i * 31) % 128000,
      );
      // An empty prompt needs N >= 2: with N = 1 the reference indexes past the output (crash).
      const output = Math.max(p.outputs[k], p.inputs[k] === 0 ? 2 : 0);
      requests.push(makeRequest(k, order[k], input, output, { sloClass: p.classes[k] }));
      allSequenceBlocks += Math.ceil((input.length + output) / p.blockSize) + 1;
    }
    // Under KV pressure the reference can get stuck forever (ghost-held blocks, self-evicting requests); only a
    // finite horizon ends such runs, so unbounded scenarios get a cache that never needs preemption.
    const totalKvBlocks = p.horizon === Infinity ? Math.max(p.totalKvBlocks, allSequenceBlocks) : p.totalKvBlocks;
    const overrides: ConfigOverrides = {
      numInstances: p.numInstances,
      horizon: p.horizon,
      engine: {
        totalKvBlocks,
        kvCpuBlocks: p.kvCpuBlocks,
        blockSize: p.blockSize,
        maxScheduledTokens: p.maxScheduledTokens,
        maxRunningReqs: p.maxRunningReqs,
        longPrefillTokenThreshold: p.threshold,
      },
      policies: {
        routing: p.routing,
        priorityBridge: { enabled: true },
        scheduler: p.scheduler,
        priority: p.priority,
        preemption: p.sloPreemption ? 'lowest-priority' : 'batch-tail',
        admission: { name: p.admission, params: ADMISSION_PARAMS[p.admission] },
      },
    };
    return { requests, overrides };
  });

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** simulate() with invariant checks after every step (plain checks: this runs hundreds of thousands of times). */
function runChecked(config: SimConfig, checkKv = true): SimResult {
  const lastNow = new Float64Array(config.numInstances);
  let steps = 0;
  return simulate(config, {
    onStep(obs, instances) {
      check(++steps <= 20_000, () => 'too many steps (livelock?)');
      check(obs.usedBlocks >= 0 && obs.usedBlocks <= obs.totalBlocks, () => `used blocks ${obs.usedBlocks} out of range`);
      check(obs.stepTime >= 0, () => `negative step time ${obs.stepTime}`);
      check(obs.now >= lastNow[obs.instance], () => `step time went back: ${obs.now} < ${lastNow[obs.instance]}`);
      lastNow[obs.instance] = obs.now;
      check(obs.runningLength <= config.engine.maxRunningReqs, () => `batch of ${obs.runningLength}`);
      // The full KV audit is O(blocks + held lists); sample it to keep the property test fast.
      if (checkKv && (steps & 15) === 0) (instances[obs.instance].kv as CheckedKVStore).checkInvariants();
      for (const req of instances[obs.instance].runningRequests()) {
        // With --slo-preemption the reference's swap-remove can visit one request twice in a step
        // (docs/reference-quirks.md, quirk 6), counting its prefill chunk twice: progress then overshoots its
        // length (and it never completes). Only the lower bound holds there.
        check(
          req.progressIndex >= 0 &&
            (config.policies.preemption.name === 'lowest-priority' || req.progressIndex <= req.inputTokens.length + req.outputTokens.length),
          () => `${req.id} progress ${req.progressIndex}`,
        );
      }
    },
  });
}

/**
 * The two places where the reference panics (tiered-KV reload overflow, Go slice/index out of range;
 * docs/reference-quirks.md, Where servesim deliberately differs).
 */
function isReferenceCrash(error: unknown): boolean {
  return error instanceof Error && (error.name === 'KVReloadOverflowError' || error.name === 'KVRangeError');
}

describe('engine invariants on random workloads', () => {
  it('KV bounds and monotone step times after every step; request conservation at the end', () => {
    fc.assert(
      fc.property(scenarioArb, ({ requests, overrides }) => {
        const config = makeConfig(requests, overrides);
        if (process.env.ENGINE_DEBUG) writeFileSync('/tmp/last-scenario.json', JSON.stringify({ overrides, requests: requests.map((r) => ({ ...r, inputTokens: Array.from(r.inputTokens), outputTokens: r.outputTokens.length })) }));
        let result: SimResult;
        try {
          result = runChecked(config);
        } catch (error) {
          if (isReferenceCrash(error)) return; // the reference crashes too
          throw error;
        }
        const c = result.cluster;
        const k = result.counters;
        expect(k.generated).toBe(requests.length);
        expect(
          c.completed_requests + c.still_queued + c.still_running + c.dropped_unservable + k.rejected + k.inFlight + k.notArrived,
        ).toBe(k.generated);
        expect(c.injected_requests).toBe(c.completed_requests + c.still_queued + c.still_running + c.dropped_unservable);
        expect(result.requests.length).toBe(c.completed_requests + c.still_queued + c.still_running + k.inFlight);
        if (config.horizon === Infinity) {
          expect(k.inFlight + k.notArrived + c.still_queued + c.still_running).toBe(0);
        }
        for (const record of result.requests) {
          if (record.e2eMs > 0) expect(record.e2eMs).toBeGreaterThanOrEqual(record.ttftMs);
          expect(record.ttftMs).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: Number(process.env.ENGINE_RUNS ?? 150), seed: process.env.ENGINE_SEED ? Number(process.env.ENGINE_SEED) : undefined },
    );
  });

  it('is deterministic: the same config twice gives identical results', () => {
    fc.assert(
      fc.property(scenarioArb, ({ requests, overrides }) => {
        const run = (): SimResult | string => {
          try {
            return runChecked(makeConfig(requests, overrides), false);
          } catch (error) {
            if (isReferenceCrash(error)) return (error as Error).message;
            throw error;
          }
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: Number(process.env.ENGINE_RUNS ?? 60) / 5 },
    );
  });
});

describe('cluster event queue', () => {
  it('orders by (time, class, seq) with all arrivals created first', async () => {
    const { ClusterQueue } = await import('../src/cluster/cluster-queue.js');
    const { RequestFeed } = await import('../src/cluster/request-feed.js');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 30 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.constantFrom(1, 2)), { maxLength: 30 }),
        (arrivals, others) => {
          const queue = new ClusterQueue(new RequestFeed(arrivals.map((t) => ({ arrivalTime: t }) as GeneratedRequest)));
          type Ev = [number, number, number, number]; // time, class, seq, req
          const model: Ev[] = arrivals.map((t, i) => [t, 0, i, i]);
          let seq = arrivals.length;
          const popped: Ev[] = [];
          const expected: Ev[] = [];
          const cmp = (a: Ev, b: Ev) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
          let k = 0;
          while (!queue.isEmpty || k < others.length) {
            if (k < others.length && (k % 2 === 0 || queue.isEmpty)) {
              const [t, c] = others[k];
              queue.push(t, c as 1 | 2, 1000 + k);
              model.push([t, c, seq++, 1000 + k]);
              k++;
              continue;
            }
            model.sort(cmp);
            expected.push(model.shift()!);
            const t = queue.peekTime();
            popped.push([t, queue.peekClass(), -1, queue.peekReq()]);
            queue.pop();
          }
          expect(popped.map((e) => [e[0], e[1], e[3]])).toEqual(expected.map((e) => [e[0], e[1], e[3]]));
        },
      ),
    );
  });
});
