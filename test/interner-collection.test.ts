// PrefixInterner collection (ids of forgotten identities are reused) and the router prefix index's recycled slots:
// forgetting must never change a run, live identities must stay bounded on long runs, and the router index must
// behave exactly like the naive per-instance map while its tables stay within its capacity.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate, type SimulateOptions } from '../src/cluster/simulate.js';
import { RunConfigCache, resolveRunConfig } from '../src/config/resolve-run.js';
import type { InstanceSimulator } from '../src/instance/instance.js';
import { GpuKVStore, PrefixInterner, TieredKVStore, type CheckedKVStore } from '../src/kv/index.js';
import { RouterPrefixIndex } from '../src/policies/scorers/prefix-affinity.js';
import type { SimConfig, SimResult } from '../src/types.js';
import { NaiveIndex } from './support/naive-router-index.js';
import { GOLDEN_DIR } from './support/sim-config.js';

const MODEL = ['--model', 'meta-llama/llama-3.1-8b-instruct'];
const SCORER_PLUGIN = join(fileURLToPath(new URL('..', import.meta.url)), 'examples/plugins/queue-delay-scorer.ts');
const cache = new RunConfigCache();

function config(args: string[]): SimConfig {
  return resolveRunConfig(['run', ...MODEL, ...args], { cwd: GOLDEN_DIR, cache }).sim;
}

function internerOf(instance: InstanceSimulator): PrefixInterner {
  const kv = instance.kv;
  if (kv instanceof TieredKVStore) return kv.gpu.interner;
  if (kv instanceof GpuKVStore) return kv.interner;
  throw new Error('unknown KV store');
}

interface CollectedRun {
  result: SimResult;
  interner: PrefixInterner;
  instances: readonly InstanceSimulator[];
  /** Instance steps right after which a collection had happened (each checked against the KV invariants). */
  checkedAfterCollection: number;
}

/** Runs with collections every `minNodes` live identities, auditing every KV store after each collection. */
function runCollecting(sim: SimConfig, minNodes: number, options: SimulateOptions = {}, audit = true): CollectedRun {
  let interner: PrefixInterner | undefined;
  let instances: readonly InstanceSimulator[] = [];
  let seen = 0;
  let checked = 0;
  const result = simulate(sim, {
    ...options,
    internerCollectMinNodes: minNodes,
    onStep(observation, all) {
      instances = all;
      interner ??= internerOf(all[0]);
      // A collection runs between events: audit the first step after one (every store, not just this one).
      if (audit && interner.collections !== seen) {
        seen = interner.collections;
        for (const instance of all) (instance.kv as CheckedKVStore).checkInvariants();
        checked++;
      }
      options.onStep?.(observation, all);
    },
  });
  return { result, interner: interner!, instances, checkedAfterCollection: checked };
}

describe('forced collection changes nothing', () => {
  // Runs long enough, against caches small enough, that identities are forgotten and their ids reused.
  const mixed = ['--seed', '42', '--workload-spec', 'workloads/mixed-production-workload.yaml'];
  const cases: Array<{ name: string; args: string[]; check?: (run: CollectedRun) => void }> = [
    {
      name: 'prefix groups, prefix-affinity scorer (router index evictions), CPU tier, preemptions',
      args: [
        '--num-instances', '2', '--routing-policy', 'weighted', '--routing-scorers', 'prefix-affinity:3,queue-depth:2,kv-utilization:2',
        '--total-kv-blocks', '6000', '--kv-cpu-blocks', '1000', '--kv-offload-threshold', '0.9', ...mixed, '--num-requests', '3000',
      ],
      check({ result }) {
        expect(result.cluster.preemption_count).toBeGreaterThan(0);
      },
    },
    {
      name: 'standalone prefix-affinity routing (its key map keeps every prompt)',
      args: [
        '--num-instances', '2', '--routing-policy', 'prefix-affinity', '--total-kv-blocks', '3000', '--prefix-tokens', '256',
        '--prompt-tokens', '300', '--prompt-tokens-stdev', '100', '--prompt-tokens-min', '10', '--prompt-tokens-max', '1000',
        '--output-tokens', '400', '--output-tokens-stdev', '100', '--output-tokens-min', '10', '--output-tokens-max', '1000',
        '--rate', '40', '--num-requests', '1500',
      ],
    },
    {
      name: 'tiered KV: offloads and reloads',
      args: [
        '--num-instances', '2', '--routing-policy', 'weighted', '--total-kv-blocks', '5000', '--kv-cpu-blocks', '1000',
        '--kv-offload-threshold', '0.5', ...mixed, '--num-requests', '3000', '--horizon', '20000000',
      ],
      check({ instances }) {
        let offloads = 0;
        let reloads = 0;
        for (const instance of instances) {
          const counters = (instance.kv as TieredKVStore).counters;
          offloads += counters.offloadCount;
          reloads += counters.cpuHits;
        }
        expect(offloads).toBeGreaterThan(0);
        expect(reloads).toBeGreaterThan(0);
      },
    },
    {
      name: 'small KV with preemptions, no router index (least-loaded)',
      args: [
        '--num-instances', '2', '--routing-policy', 'least-loaded', '--total-kv-blocks', '3000', '--long-prefill-token-threshold', '256',
        ...mixed, '--num-requests', '3000', '--horizon', '20000000',
      ],
      check({ result }) {
        expect(result.cluster.preemption_count).toBeGreaterThan(0);
      },
    },
    {
      name: 'multi-turn sessions with accumulated context, prefix-affinity scorer',
      args: [
        '--num-instances', '2', '--routing-policy', 'weighted', '--total-kv-blocks', '10000', '--long-prefill-token-threshold', '256',
        '--workload-spec', 'workloads/workload-multiturn-heavy.yaml', '--seed', '7', '--num-requests', '2000',
      ],
    },
  ];

  for (const { name, args, check } of cases) {
    it(name, () => {
      const sim = config(args);
      const reference = simulate(sim);
      const collected = runCollecting(sim, 64);
      const { interner } = collected;
      expect(interner.collections).toBeGreaterThan(5);
      expect(collected.checkedAfterCollection).toBeGreaterThan(0);
      // Some identities were forgotten (and their ids handed to new ones).
      expect(interner.size).toBeLessThan(interner.created);
      expect(collected.result).toEqual(reference);
      check?.(collected);
    });
  }

  it('never collects when a plugin scores (it may keep ids nobody reports)', () => {
    const sim = config([
      '--plugin', SCORER_PLUGIN, '--num-instances', '4', '--routing-policy', 'weighted', '--routing-scorers', 'prefix-affinity:3,predicted-delay:1',
      '--workload-spec', 'workloads/mixed-production-workload.yaml', '--num-requests', '200',
    ]);
    const run = runCollecting(sim, 64);
    expect(run.interner.collections).toBe(0);
    expect(run.interner.size).toBe(run.interner.created);
    expect(run.result).toEqual(simulate(sim));
  });
});

describe('live identities stay bounded', () => {
  it('20 000 requests keep a small fraction of the identities they create', () => {
    // What stays held is bounded by the KV blocks, CPU entries and router indexes, not by the requests.
    const sim = config([
      '--num-instances', '2', '--routing-policy', 'weighted', '--total-kv-blocks', '8000', '--kv-cpu-blocks', '3000',
      '--kv-offload-threshold', '0.5', '--seed', '3', '--workload-spec', 'workloads/mixed-production-workload.yaml',
      '--num-requests', '20000',
    ]);
    const minNodes = 1 << 15;
    let peakLive = 0;
    // No KV audits here (the equivalence cases do them): this run is about the interner's size.
    const run = runCollecting(
      sim,
      minNodes,
      {
        onStep(_observation, all) {
          peakLive = Math.max(peakLive, internerOf(all[0]).size);
        },
      },
      false,
    );
    const { interner } = run;
    expect(run.result.cluster.completed_requests).toBe(20_000);
    expect(interner.created).toBeGreaterThan(500_000);
    expect(interner.collections).toBeGreaterThan(10);
    // Held: per instance ≤ 8000 block names + as many stale map keys + 3000 CPU entries + 10 000 router entries (their
    // ancestors are router entries too: whole prompt chains are touched); a collection is due at twice the survivors.
    const heldBound = 2 * (2 * 8000 + 3000 + 10_000);
    expect(peakLive).toBeLessThanOrEqual(Math.max(minNodes, 2 * heldBound));
    expect(interner.size).toBeLessThan(interner.created / 10);
  });
});

describe('PrefixInterner.collect', () => {
  const sequences = fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 9 }), { minLength: 1, maxLength: 25 });

  it('keeps held identities and their prefixes under their ids, forgets the rest, and reuses ids collision-free', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), sequences, fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }), sequences, (blockSize, first, heldFlags, second) => {
        const interner = new PrefixInterner(blockSize, 16);
        const ids = first.map((tokens) => interner.sequenceId(Int32Array.from(tokens)));
        const held = first.filter((_, k) => heldFlags[k]);
        const heldIds = ids.filter((_, k) => heldFlags[k]);
        interner.addRootProvider((mark) => heldIds.forEach(mark));
        interner.collect();

        // Live = the empty sequence + every node on the held chains (full-block prefixes and the tail).
        const nodes = new Set<string>();
        for (const tokens of held) {
          for (let end = blockSize; end <= tokens.length; end += blockSize) nodes.add(tokens.slice(0, end).join(','));
          if (tokens.length % blockSize !== 0) nodes.add(tokens.join(','));
        }
        expect(interner.size).toBe(1 + nodes.size);
        held.forEach((tokens, k) => {
          expect(interner.tokensOf(heldIds[k])).toEqual(tokens);
          expect(interner.sequenceId(Int32Array.from(tokens))).toBe(heldIds[k]);
        });

        // New identities take freed ids: equal sequences ⇔ equal ids, across old and new.
        const byId = new Map<number, string>();
        for (const tokens of [...held, ...second, ...first]) {
          const id = interner.sequenceId(Int32Array.from(tokens));
          const key = tokens.join(',');
          expect(byId.get(id) ?? key).toBe(key);
          byId.set(id, key);
          expect(interner.tokensOf(id)).toEqual(tokens);
        }
        expect(new Set(byId.values()).size).toBe(byId.size);
      }),
    );
  });

  it('cuts a request\'s cached prefix ids back to those held anyway', () => {
    const interner = new PrefixInterner(2, 16);
    interner.enableCollection(1);
    const req = { inputTokens: Int32Array.from([1, 2, 3, 4, 5]), inputPrefixIds: null } as never as Parameters<PrefixInterner['inputPrefixIds']>[0];
    const before = Array.from(interner.inputPrefixIds(req));
    expect(before).toHaveLength(2);
    interner.maybeCollect();
    expect(interner.collections).toBe(1);
    expect(req.inputPrefixIds).toBeNull();
    expect(interner.size).toBe(1);
    // Recomputed consistently: the same tokens, whatever ids they now have.
    const after = interner.inputPrefixIds(req);
    expect(after.map((id) => interner.sequenceLength(id))).toEqual(Int32Array.from([2, 4]));
    expect(interner.tokensOf(after[1])).toEqual([1, 2, 3, 4]);
    // All held by someone else: the cache stays (a recomputation would find the same ids).
    let held = after[1];
    interner.addRootProvider((mark) => mark(held));
    interner.collect();
    expect(req.inputPrefixIds).toBe(after);
    // Only the first block held: the cache keeps that id, and the rest is recomputed from it.
    held = after[0];
    interner.collect();
    expect(Array.from(req.inputPrefixIds!)).toEqual([after[0]]);
    const resumed = interner.inputPrefixIds(req);
    expect(resumed[0]).toBe(after[0]);
    expect(resumed).toHaveLength(2);
    expect(interner.tokensOf(resumed[1])).toEqual([1, 2, 3, 4]);
  });

  it('fails loudly when a holder reports an identity that is not defined', () => {
    const interner = new PrefixInterner(2, 16);
    const id = interner.sequenceId(Int32Array.from([1, 2]));
    interner.collect();
    interner.addRootProvider((mark) => mark(id));
    expect(() => interner.collect()).toThrow(`held identity ${id} is not defined`);
  });
});

describe('router prefix index slots', () => {
  it('behaves like the naive model and recycles slots: tables bounded by instances × capacity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        // Ids from 0 (the index takes any id ≥ 0), from a range far larger than the capacity: slots get recycled.
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 12 }), fc.nat()), { maxLength: 120 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 12 }),
        (numInstances, capacity, operations, probe) => {
          const index = new RouterPrefixIndex(numInstances, capacity);
          const naive = new NaiveIndex(numInstances, capacity);
          for (const [rawIds, target] of operations) {
            const ids = [...new Set(rawIds)];
            const instance = target % numInstances;
            index.touch(Int32Array.from(ids), instance);
            naive.touch(ids, instance);
            const union = new Set<number>();
            for (let i = 0; i < numInstances; i++) {
              expect(index.size(i)).toBe(naive.maps[i].size);
              for (const id of naive.maps[i].keys()) union.add(id);
            }
            for (const id of ids) for (let i = 0; i < numInstances; i++) expect(index.has(id, i)).toBe(naive.maps[i].has(id));
            expect(index.distinctIds).toBe(union.size);
            const marked: number[] = [];
            index.markIds((id) => marked.push(id));
            expect(marked.sort((a, b) => a - b)).toEqual([...union].sort((a, b) => a - b));
            // Slots in use = distinct ids ≤ entries ≤ instances × capacity (a touch evicts before it takes a slot).
            expect(index.slotsUsed).toBeLessThanOrEqual(numInstances * capacity);
          }
          const ids = [...new Set(probe)];
          const out = new Float64Array(numInstances).fill(-1);
          index.matchFractions(Int32Array.from(ids), out);
          for (let i = 0; i < numInstances; i++) expect(out[i]).toBe(naive.matched(ids, i) / ids.length);
        },
      ),
    );
  });
});
