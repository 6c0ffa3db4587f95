// Long runs: requests generated while the run reaches them (RequestStream), kept only while they are in the system
// (RunTables rows carry what the metrics need), and waiting with packed tokens. None of it may change a result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { RequestFeed } from '../src/cluster/request-feed.js';
import { simulate } from '../src/cluster/simulate.js';
import { RunConfigCache, resolveRunConfig } from '../src/config/resolve-run.js';
import { FrozenTokenStore } from '../src/instance/frozen-tokens.js';
import { RunTables } from '../src/instance/run-tables.js';
import { createSimRequest } from '../src/instance/sim-request.js';
import { BUILTIN_MODULES, PolicyCatalog, type PolicyModule } from '../src/policies/index.js';
import { ServesimError } from '../src/errors.js';
import type { GeneratedRequest, RequestStream, SimConfig, SimResult } from '../src/types.js';
import { SpecRequestStream, generateSpecWorkload } from '../src/workload/generate-spec.js';
import { loadWorkloadSpec } from '../src/workload/load-spec.js';
import { unlabelledRequest } from '../src/workload/unlabelled-request.js';

const GOLDEN_DIR = join(fileURLToPath(new URL('../', import.meta.url)), 'test', 'fixtures', 'golden');
const MODEL = ['--model', 'meta-llama/llama-3.1-8b-instruct'];

function request(id: string, arrivalTime: number, input: number[], output: number[], sharedPrefix?: Int32Array): GeneratedRequest {
  return { ...unlabelledRequest(id, arrivalTime, Int32Array.from(input), Int32Array.from(output)), sharedPrefix };
}

/** A stream over a list (what a generator hands out), counting how far it was read. */
function streamOf(list: readonly GeneratedRequest[]): RequestStream & { read: number } {
  const stream = {
    read: 0,
    next: () => (stream.read < list.length ? list[stream.read++] : undefined),
  };
  return stream;
}

function resolve(argv: string[]): SimConfig {
  return resolveRunConfig(argv, { cwd: GOLDEN_DIR, cache: new RunConfigCache() }).sim;
}

/** Everything a result says, per-request records included. */
function fingerprint(result: SimResult): string {
  return JSON.stringify({ ...result, requests: result.requests }, (_, v: unknown) =>
    v instanceof Float64Array ? Array.from(v) : typeof v === 'bigint' ? String(v) : v,
  );
}

describe('frozen tokens', () => {
  const tokens = fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 80 });
  const small = fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 80 });

  it('thaw gives back exactly the arrays that were frozen, with or without a shared prefix', () => {
    const store = new FrozenTokenStore();
    fc.assert(
      fc.property(fc.oneof(tokens, small), fc.oneof(tokens, small), fc.nat(20), (own, output, prefixLength) => {
        const prefix = Int32Array.from({ length: prefixLength }, (_, i) => 1000 + i);
        const gen = request('request_0', 0, [...prefix, ...own], output, prefixLength > 0 ? prefix : undefined);
        const req = createSimRequest(gen, 0);
        store.freeze(req);
        expect(req.inputTokens.length).toBe(0);
        expect(req.outputTokens.length).toBe(0);
        store.thaw(req);
        expect(Array.from(req.inputTokens)).toEqual([...prefix, ...own]);
        expect(Array.from(req.outputTokens)).toEqual(output);
        expect(req.frozenChunk).toBeNull();
      }),
    );
    expect(store.frozenWords).toBe(0);
  });

  it('packs at the width of the largest token and leaves the shared prefix out', () => {
    const store = new FrozenTokenStore();
    const prefix = Int32Array.from({ length: 512 }, (_, i) => i);
    const own = Array.from({ length: 256 }, (_, i) => (i * 7919) % 128_256);
    own[3] = 128_255; // 17 bits
    const output = Array.from({ length: 128 }, (_, i) => i);
    const req = createSimRequest(request('request_0', 0, [...prefix, ...own], output, prefix), 0);
    store.freeze(req);
    expect(req.frozenBits).toBe(17);
    expect(store.frozenWords).toBe(Math.ceil(((256 + 128) * 17) / 32));
  });

  it('frees emptied chunks and moves the survivors of mostly thawed ones, so memory follows the frozen requests', () => {
    // Interleaved classes where one class is never served (a starved SLO class): 1 in 10 requests stays frozen.
    const store = new FrozenTokenStore();
    const own = Array.from({ length: 300 }, (_, i) => (i * 7919) % 100_000);
    const frozen: ReturnType<typeof createSimRequest>[] = [];
    const starved: ReturnType<typeof createSimRequest>[] = [];
    for (let k = 0; k < 60_000; k++) {
      const req = createSimRequest(request(`request_${k}`, k, [k, ...own], [k % 7]), k);
      store.freeze(req);
      (k % 10 === 0 ? starved : frozen).push(req);
      // Everything else thaws soon after it froze (served in order).
      if (frozen.length > 100) store.thaw(frozen.shift()!);
    }
    for (const req of frozen) store.thaw(req);
    const perEntry = store.frozenWords / starved.length;
    expect(store.allocatedWords).toBeLessThan(4 * perEntry * starved.length + 2 * (1 << 20));
    for (const req of starved) {
      const k = req.index;
      store.thaw(req);
      expect(req.inputTokens[0]).toBe(k);
      expect(Array.from(req.inputTokens.subarray(1))).toEqual(own);
      expect(req.outputTokens[0]).toBe(k % 7);
    }
    expect(store.frozenWords).toBe(0);
    expect(store.allocatedWords).toBeLessThanOrEqual(1 << 20);
  });
});

describe('run tables', () => {
  it('keep a request row after the request leaves, and grow no further than the announced request count', () => {
    const tables = new RunTables(4, 10);
    for (let k = 0; k < 10; k++) {
      const gen = { ...request(k === 3 ? 'trace-row-3' : `request_${k}`, 100 * k, [1, 2, 3], [4]), sloClass: k % 2 ? 'critical' : '' };
      tables.add(createSimRequest(gen, k), gen);
      tables.release(k);
    }
    expect(tables.stage.length).toBe(10);
    expect(tables.count).toBe(10);
    expect(tables.live.every((r) => r === undefined)).toBe(true);
    expect([tables.id(2), tables.id(3)]).toEqual(['request_2', 'trace-row-3']);
    expect([tables.arrivalTime[9], tables.inputLength[9], tables.outputLength[9], tables.label(9).sloClass]).toEqual([900, 3, 1, 'critical']);
    expect(tables.labels).toHaveLength(2);
    expect(Number.isNaN(tables.ttft[9])).toBe(true);
  });
});

describe('request feed', () => {
  it('hands out a list in arrival order, ties in list order, with list indices', () => {
    const list = [3, 1, 3, 0, 1].map((t, i) => request(`r${i}`, t, [1], [1]));
    const feed = new RequestFeed(list);
    const seen: number[] = [];
    while (feed.hasNext) {
      seen.push(feed.peekIndex());
      feed.take();
    }
    expect(seen).toEqual([3, 1, 4, 0, 2]);
  });

  it('refuses a stream that goes back in time, and drains a stream on all() only before the run starts', () => {
    const list = [0, 5, 4].map((t, i) => request(`request_${i}`, t, [1], [1]));
    const feed = new RequestFeed(streamOf(list));
    feed.take();
    expect(() => feed.take()).toThrow(ServesimError);
    expect(() => feed.all()).toThrow(/after the run started/);
    const fresh = new RequestFeed(streamOf(list.slice(0, 2)));
    expect(fresh.all().map((r) => r.id)).toEqual(['request_0', 'request_1']);
    expect(fresh.peekIndex()).toBe(0);
  });
});

describe('a streamed run equals the same run over a list', () => {
  const cases: Record<string, string[]> = {
    // Shared prefixes, prefix-affinity scoring, tiered KV (the quick start's set-up), overloaded.
    'G03 set-up': [
      ...MODEL, '--num-instances', '4', '--routing-policy', 'weighted', '--routing-scorers', 'prefix-affinity:3,queue-depth:2,kv-utilization:2',
      '--kv-cpu-blocks', '4000', '--kv-offload-threshold', '0.9', '--long-prefill-token-threshold', '256',
      '--workload-spec', 'workloads/mixed-production-workload.yaml', '--num-requests', '1500',
    ],
    // Multi-turn sessions whose prompts accumulate earlier rounds; a small cache forces preemptions.
    'multi-turn, preemptions': [
      ...MODEL, '--num-instances', '2', '--total-kv-blocks', '3000', '--workload-spec', 'workloads/workload-multiturn.yaml',
      '--num-requests', '600', '--priority-policy', 'slo-based', '--scheduler', 'priority-fcfs',
    ],
    // A horizon ends the run with requests still waiting and in flight.
    'horizon cut': [
      ...MODEL, '--num-instances', '2', '--workload-spec', 'workloads/workload-multiprefix.yaml', '--num-requests', '2000',
      '--horizon', '400000', '--routing-policy', 'prefix-affinity',
    ],
  };
  for (const [name, argv] of Object.entries(cases)) {
    it(name, () => {
      const config = resolve(argv);
      const list = config.requests as readonly GeneratedRequest[];
      const stream = streamOf(list);
      const fromList = simulate(config);
      const fromStream = simulate({ ...config, requests: stream });
      expect(fingerprint(fromStream)).toBe(fingerprint(fromList));
      expect(stream.read).toBeGreaterThan(0);
    });
  }

  it('the spec stream generates exactly the list that generateSpecWorkload returns, lazily', () => {
    const spec = loadWorkloadSpec(join(GOLDEN_DIR, 'workloads', 'workload-multiturn-heavy.yaml'));
    const options = { seed: 42n, horizon: Infinity, maxRequests: 400 };
    const list = generateSpecWorkload(spec, options);
    const stream = new SpecRequestStream(spec, options);
    expect(stream.expectedCount).toBe(400);
    const streamed: GeneratedRequest[] = [];
    for (let r = stream.next(); r !== undefined; r = stream.next()) streamed.push(r);
    expect(streamed).toEqual(list);
  });

  it('a run with a plugin policy keeps the tokens of waiting requests (plugins may read them)', () => {
    let checked = 0;
    const readsTokens: PolicyModule = {
      axis: 'priority',
      name: 'prompt-length',
      description: 'longer prompts first',
      params: {},
      create: () => ({
        compute(req) {
          if (req.inputTokens.length !== req.inputLength) throw new Error(`${req.id}: tokens missing while waiting`);
          checked++;
          return req.inputTokens.length;
        },
      }),
    } as PolicyModule;
    const catalog = new PolicyCatalog([
      ...BUILTIN_MODULES.map((module) => ({ module, plugin: '' })),
      { module: readsTokens, plugin: '/plugins/prompt-length.ts' },
    ]);
    const config = resolve([...MODEL, '--num-instances', '2', '--workload-spec', 'workloads/mixed-production-workload.yaml', '--num-requests', '400']);
    const list = config.requests as readonly GeneratedRequest[];
    const policies = { ...config.policies, priority: { name: 'prompt-length', params: {} } };
    const fromList = simulate({ ...config, catalog, policies });
    const fromStream = simulate({ ...config, catalog, policies, requests: streamOf(list) });
    expect(checked).toBeGreaterThan(1000);
    expect(fingerprint(fromStream)).toBe(fingerprint(fromList));
  });

  it('servesim run streams spec workloads of more than 50 000 requests or bounded by a horizon only', () => {
    const base = [...MODEL, '--workload-spec', 'workloads/mixed-production-workload.yaml'];
    expect(Array.isArray(resolve([...base, '--num-requests', '50000']).requests)).toBe(true);
    const large = resolve([...base, '--num-requests', '50001']).requests as RequestStream;
    expect(Array.isArray(large)).toBe(false);
    expect(large.expectedCount).toBe(50001);
    const first = large.next()!;
    expect(first.id).toBe('request_0');
    expect(first.sharedPrefix?.length).toBe(512);
    expect(Array.from(first.inputTokens.subarray(0, 512))).toEqual(Array.from(first.sharedPrefix!));
    const timed = resolve([...base, '--num-requests', '0', '--horizon', '1000000']).requests as RequestStream;
    expect(Array.isArray(timed)).toBe(false);
    expect(timed.expectedCount).toBeUndefined();
  });
});
