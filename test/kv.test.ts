import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKVStore,
  EMPTY_SEQUENCE_ID,
  GpuKVStore,
  KVRangeError,
  KVReloadOverflowError,
  NO_HASH,
  PrefixInterner,
  SequenceIdBuilder,
  TieredKVStore,
} from '../src/kv/index.js';
import { ServesimError } from '../src/errors.js';
import { createSimRequest } from '../src/instance/sim-request.js';
import { unlabelledRequest } from '../src/workload/unlabelled-request.js';
import type { EngineConfig, SimRequest } from '../src/types.js';
import { key, ModelGpuStore, ModelReloadCrash, ModelTieredStore } from './kv-reference-model.js';

function makeRequest(index: number, input: ArrayLike<number>, output: ArrayLike<number> = []): SimRequest {
  return createSimRequest(unlabelledRequest(`request_${index}`, 0, Int32Array.from(input), Int32Array.from(output)), index);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

function gpuStore(total: number, blockSize = 4): { store: GpuKVStore; interner: PrefixInterner } {
  const interner = new PrefixInterner(blockSize);
  return { store: new GpuKVStore(total, blockSize, interner), interner };
}

/** The token sequence behind a block's hash, or null when the block carries none. */
function hashedTokens(interner: PrefixInterner, hash: number): number[] | null {
  return hash === NO_HASH ? null : interner.tokensOf(hash);
}

describe('PrefixInterner', () => {
  it('gives equal sequences equal ids and different sequences different ids', () => {
    const interner = new PrefixInterner(4);
    const a = interner.sequenceId(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const b = interner.sequenceId(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const c = interner.sequenceId(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 9]));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(interner.tokensOf(a)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(interner.sequenceId(new Int32Array(0))).toBe(EMPTY_SEQUENCE_ID);
  });

  it('caches input prefix ids on the request and agrees with sequenceId', () => {
    const interner = new PrefixInterner(4);
    const req = makeRequest(0, range(10, 11));
    const ids = interner.inputPrefixIds(req);
    expect(req.inputPrefixIds).toBe(ids);
    expect(interner.inputPrefixIds(req)).toBe(ids);
    expect(ids.length).toBe(2);
    expect(ids[0]).toBe(interner.sequenceId(Int32Array.from(range(10, 4))));
    expect(ids[1]).toBe(interner.sequenceId(Int32Array.from(range(10, 8))));
  });

  it('keeps unaligned prefixes and short prompts apart from block-aligned ids', () => {
    const interner = new PrefixInterner(4);
    const long = makeRequest(0, [1, 2, 3, 4, 5, 6]);
    const short = makeRequest(1, [1, 2, 3]);
    const aligned = interner.inputPrefixId(long, 4);
    const unaligned = interner.inputPrefixId(long, 6);
    expect(unaligned).not.toBe(aligned);
    expect(interner.tokensOf(unaligned)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(interner.inputSequenceId(short)).toBe(interner.inputPrefixId(long, 3));
    expect(interner.inputSequenceId(short)).not.toBe(aligned);
    // Standalone prefix-affinity keys: last block-aligned prefix vs whole short prompt.
    expect(interner.affinityKey(long)).toBe(aligned);
    expect(interner.affinityKey(short)).toBe(interner.sequenceId(Int32Array.from([1, 2, 3])));
    expect(interner.affinityKey(makeRequest(2, []))).toBe(EMPTY_SEQUENCE_ID);
  });

  it('is exact under heavy hash-table load (ids ⇔ sequences)', () => {
    const interner = new PrefixInterner(2, 16);
    const seen = new Map<string, number>();
    for (let a = 0; a < 40; a++) {
      for (let b = 0; b < 40; b++) {
        for (const seq of [[a, b], [a, b, b], [a]]) {
          const id = interner.sequenceId(Int32Array.from(seq));
          const k = key(seq);
          if (seen.has(k)) expect(id).toBe(seen.get(k));
          else seen.set(k, id);
        }
      }
    }
    expect(new Set(seen.values()).size).toBe(seen.size);
    for (const [k, id] of seen) expect(key(interner.tokensOf(id))).toBe(k);
  });

  it('SequenceIdBuilder equals sequenceId for any split of the same tokens', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 10 }),
        (tokens, cuts) => {
          const interner = new PrefixInterner(4);
          const all = Int32Array.from(tokens);
          const builder = new SequenceIdBuilder(interner);
          builder.reset();
          let pos = 0;
          for (const cut of cuts) {
            const n = Math.min(cut, all.length - pos);
            builder.append(all, pos, n);
            pos += n;
          }
          builder.append(all, pos, all.length - pos);
          expect(builder.finish()).toBe(interner.sequenceId(all));
        },
      ),
    );
  });
});

describe('GpuKVStore (single tier)', () => {
  it('hits the prefix of a first request from a second one', () => {
    const { store, interner } = gpuStore(8);
    const r1 = makeRequest(1, range(100, 10));
    expect(store.allocate(r1, 0, 10, store.getCachedBlocks(r1))).toBe(true);
    expect(store.requestBlocks(r1)).toEqual([0, 1, 2]);
    expect(hashedTokens(interner, store.blockInfo(0).hash)).toEqual(range(100, 4));
    expect(hashedTokens(interner, store.blockInfo(1).hash)).toEqual(range(100, 8));
    expect(store.blockInfo(2)).toMatchObject({ hash: NO_HASH, tokens: [108, 109] }); // partial: no hash

    const r2 = makeRequest(2, [...range(100, 8), 7, 7, 7]);
    const cached = store.getCachedBlocks(r2);
    expect(cached).toEqual([0, 1]);
    expect(store.allocate(r2, 8, 11, cached)).toBe(true);
    expect(store.requestBlocks(r2)).toEqual([0, 1, 3]);
    expect(store.blockInfo(0).refCount).toBe(2);
    expect(store.cacheHitCount).toBe(2);
    expect(store.cacheMissCount).toBe(4);
    expect(store.cacheHitRate()).toBeCloseTo(2 / 6, 15);
    expect(store.usedBlocks()).toBe(4);
    store.checkInvariants();
  });

  it('hashes a partial last block when decode fills it, over the whole block list', () => {
    const { store, interner } = gpuStore(8);
    const r = makeRequest(0, [1, 2, 3, 4, 5, 6], [50, 51, 52]);
    expect(store.allocate(r, 0, 6, [])).toBe(true);
    r.progressIndex = 6;
    expect(store.allocate(r, 6, 7, [])).toBe(true); // output token 0 → block 1 holds 3 tokens
    expect(store.blockInfo(1).hash).toBe(NO_HASH);
    r.progressIndex = 7;
    expect(store.allocate(r, 7, 8, [])).toBe(true); // output token 1 → full
    const hash = store.blockInfo(1).hash;
    expect(hashedTokens(interner, hash)).toEqual([1, 2, 3, 4, 5, 6, 50, 51]);
    expect(store.hashToBlock.get(hash)).toBe(1);
    r.progressIndex = 8;
    expect(store.allocate(r, 8, 9, [])).toBe(true); // decode block: new block, never hashed in decode mode
    expect(store.requestBlocks(r)).toEqual([0, 1, 2]);
    expect(store.blockInfo(2)).toMatchObject({ hash: NO_HASH, tokens: [52] });
    expect(store.cacheMissCount).toBe(3);
    store.checkInvariants();
  });

  it('rolls back a failed allocation restoring the free-list order, hashes and counters', () => {
    const { store, interner } = gpuStore(4);
    const r1 = makeRequest(1, range(0, 8));
    expect(store.allocate(r1, 0, 8, [])).toBe(true);
    store.release(r1); // free list: 2, 3, then 1, 0 (last block first)
    expect(store.freeListOrder()).toEqual([2, 3, 1, 0]);

    const r2 = makeRequest(2, range(0, 20));
    const cached = store.getCachedBlocks(r2);
    expect(cached).toEqual([0, 1]);
    // Pre-check passes (3 blocks ≤ 4 free) but attaching the cached free blocks leaves only 2 to pop.
    expect(store.allocate(r2, 8, 20, cached)).toBe(false);
    expect(store.freeListOrder()).toEqual([2, 3, 1, 0]);
    expect(store.requestBlocks(r2)).toBeUndefined();
    expect(store.usedBlocks()).toBe(0);
    expect(store.cacheHitCount).toBe(0);
    expect(store.cacheMissCount).toBe(2);
    expect(hashedTokens(interner, store.blockInfo(0).hash)).toEqual(range(0, 4));
    expect(store.blockInfo(2).hash).toBe(NO_HASH);
    expect(store.blockInfo(3).hash).toBe(NO_HASH);
    expect([...store.hashToBlock.values()].sort()).toEqual([0, 1]);
    store.checkInvariants();
  });

  it('rollback gives a popped block its old hash back but not its tokens (hashed empty block)', () => {
    const { store, interner } = gpuStore(4);
    const a = [0, 1, 2, 3];
    const r1 = makeRequest(1, a);
    expect(store.allocate(r1, 0, 4, [])).toBe(true); // block 0 = A
    store.release(r1); // free: 1 2 3 0
    const rx = makeRequest(2, [9, 9, 9, 9]);
    expect(store.allocate(rx, 0, 4, [])).toBe(true); // block 1 = X
    store.release(rx); // free: 2 3 0 1
    const filler = makeRequest(3, range(50, 8));
    expect(store.allocate(filler, 0, 8, [])).toBe(true); // blocks 2, 3 → free: 0 1

    const r = makeRequest(4, [9, 9, 9, 9, 5, 5, 5, 5, 6, 6, 6, 6]);
    const cached = store.getCachedBlocks(r);
    expect(cached).toEqual([1]);
    // Pre-check 2 ≤ 2 free; attaching block 1 leaves only block 0: pop 0 (dropping A's mapping), then fail.
    expect(store.allocate(r, 4, 12, cached)).toBe(false);
    expect(store.freeListOrder()).toEqual([0, 1]);
    expect(store.blockInfo(0)).toMatchObject({ tokens: [], refCount: 0 });
    expect(hashedTokens(interner, store.blockInfo(0).hash)).toEqual(a);
    expect(store.hashToBlock.get(store.blockInfo(0).hash)).toBe(0);
    store.checkInvariants();

    // The empty block is now a cache hit for A, and the concatenation hash of a later list skips its tokens.
    const r2 = makeRequest(5, [...a, 7, 7, 7], [8]);
    const cached2 = store.getCachedBlocks(r2);
    expect(cached2).toEqual([0]);
    expect(store.allocate(r2, 4, 7, cached2)).toBe(true);
    expect(store.requestBlocks(r2)).toEqual([0, 1]);
    r2.progressIndex = 7;
    expect(store.allocate(r2, 7, 8, [])).toBe(true);
    expect(hashedTokens(interner, store.blockInfo(1).hash)).toEqual([7, 7, 7, 8]);
    store.checkInvariants();
  });

  it('puts the last block of a released request at the tail', () => {
    const { store } = gpuStore(5);
    const r = makeRequest(0, range(0, 12));
    expect(store.allocate(r, 0, 12, [])).toBe(true);
    expect(store.freeListOrder()).toEqual([3, 4]);
    store.release(r);
    expect(store.freeListOrder()).toEqual([3, 4, 2, 1, 0]);
    store.release(r); // no list: no-op
    expect(store.freeListOrder()).toEqual([3, 4, 2, 1, 0]);
    store.checkInvariants();
  });

  it('honours cached blocks only on the first allocation of a request', () => {
    const { store } = gpuStore(8);
    const r1 = makeRequest(1, range(0, 8));
    expect(store.allocate(r1, 0, 8, [])).toBe(true);
    const r2 = makeRequest(2, range(0, 16));
    expect(store.allocate(r2, 0, 2, [])).toBe(true); // first allocation, no cached blocks passed (ghost-like)
    r2.progressIndex = 2;
    expect(store.allocate(r2, 2, 16, store.getCachedBlocks(r2))).toBe(true); // cached list ignored
    expect(store.cacheHitCount).toBe(0);
    expect(store.blockInfo(0).refCount).toBe(1);
    expect(store.requestBlocks(r2)).toEqual([2, 3, 4, 5]);
    store.checkInvariants();
  });

  it('does nothing for an empty prefill range, even with cached blocks', () => {
    const { store } = gpuStore(4);
    const r1 = makeRequest(1, range(0, 8));
    expect(store.allocate(r1, 0, 8, [])).toBe(true);
    store.release(r1);
    const r2 = makeRequest(2, range(0, 8));
    const cached = store.getCachedBlocks(r2);
    expect(cached).toEqual([0, 1]);
    expect(store.allocate(r2, 8, 8, cached)).toBe(true);
    expect(store.requestBlocks(r2)).toBeUndefined();
    expect(store.cacheHitCount).toBe(0);
    expect(store.usedBlocks()).toBe(0);
    expect(store.blockInfo(0).refCount).toBe(0);
    store.checkInvariants();
  });

  it('reusing a free block deletes its hash mapping even when the mapping names another block', () => {
    const { store, interner } = gpuStore(4);
    const r1 = makeRequest(1, range(0, 4));
    const r2 = makeRequest(2, range(0, 4));
    expect(store.allocate(r1, 0, 4, [])).toBe(true); // block 0
    expect(store.allocate(r2, 0, 4, [])).toBe(true); // block 1, same prefix: mapping moves to 1
    const h = store.blockInfo(0).hash;
    expect(store.blockInfo(1).hash).toBe(h);
    expect(store.hashToBlock.get(h)).toBe(1);
    store.release(r1);
    store.release(r2); // free: 2, 3, 0, 1
    const other = makeRequest(3, range(100, 12));
    expect(store.allocate(other, 0, 12, [])).toBe(true); // pops 2, 3, 0
    expect(store.hashToBlock.has(h)).toBe(false);
    expect(store.blockInfo(1).hash).toBe(h); // still carried, but unreachable
    expect(store.getCachedBlocks(makeRequest(4, range(0, 4)))).toEqual([]);
    expect(hashedTokens(interner, h)).toEqual(range(0, 4));
    store.checkInvariants();
  });

  it('leaks the earlier blocks of a request whose later allocation fails mid-way', () => {
    const { store } = gpuStore(2);
    const r = makeRequest(0, range(0, 8), [1, 2, 3]);
    expect(store.allocate(r, 0, 8, [])).toBe(true); // both blocks, free list empty
    r.progressIndex = 8;
    expect(store.allocate(r, 8, 9, [])).toBe(false); // decode: last block full, no free block
    expect(store.requestBlocks(r)).toBeUndefined();
    expect(store.usedBlocks()).toBe(2);
    store.release(r); // nothing to release any more
    expect(store.usedBlocks()).toBe(2);
    expect(store.freeListOrder()).toEqual([]);
    store.checkInvariants();
  });

  it('hashes by actual block contents when a block list is not a prefix of the input (ghost visits)', () => {
    const { store, interner } = gpuStore(8);
    const r = makeRequest(0, range(0, 20));
    expect(store.allocate(r, 0, 6, [])).toBe(true); // ghost-like first allocation: [0..3], [4,5]
    // Later admission appends from a different start: fills block 1 with tokens 8,9 then new blocks.
    expect(store.allocate(r, 8, 20, [])).toBe(true);
    expect(hashedTokens(interner, store.blockInfo(1).hash)).toEqual([0, 1, 2, 3, 4, 5, 8, 9]);
    // Step 3 hashes InputTokens[0 : start + p + B] = [0 : 14] (not block-aligned).
    expect(hashedTokens(interner, store.blockInfo(2).hash)).toEqual(range(0, 14));
    expect(hashedTokens(interner, store.blockInfo(3).hash)).toEqual(range(0, 18));
    expect(store.blockInfo(4)).toMatchObject({ hash: NO_HASH, tokens: [18, 19] });
    store.checkInvariants();
  });

  it('rejects token ranges the reference would panic on', () => {
    const { store } = gpuStore(4);
    const r = makeRequest(0, range(0, 4), []);
    expect(() => store.allocate(r, 3, 2, [])).toThrow(KVRangeError);
    r.progressIndex = 4;
    expect(() => store.allocate(r, 4, 5, [])).toThrow(KVRangeError);
    try {
      store.allocate(r, 4, 5, []);
    } catch (e) {
      expect(e).toBeInstanceOf(ServesimError);
      expect((e as ServesimError).exitCode).toBe(2);
    }
  });
});

describe('TieredKVStore', () => {
  const options = { cpuBlocks: 10, offloadThreshold: 0.3, transferBandwidth: 3, transferBaseLatency: 5 };

  /** GPU 8 blocks (B=4): rHold keeps blocks 0–2, Z is offloaded from block 3, P sits in blocks 4–7. */
  function pressuredStore(offloadAt: number): {
    store: TieredKVStore;
    interner: PrefixInterner;
    pTokens: number[];
  } {
    const interner = new PrefixInterner(4);
    const store = new TieredKVStore(8, 4, interner, options);
    store.setClock(offloadAt);
    const hold = makeRequest(0, range(1000, 12));
    expect(store.allocate(hold, 0, 12, [])).toBe(true);
    const z = makeRequest(1, range(2000, 4));
    expect(store.allocate(z, 0, 4, [])).toBe(true); // block 3
    store.release(z); // utilisation 3/8 > 0.3 → offload block 3
    const pTokens = range(3000, 16);
    const p = makeRequest(2, pTokens);
    expect(store.allocate(p, 0, 16, [])).toBe(true); // blocks 4–7, free list: [3]
    return { store, interner, pTokens };
  }

  it('offloads every hashed free block once utilisation exceeds θ', () => {
    const interner = new PrefixInterner(4);
    const store = new TieredKVStore(8, 4, interner, options);
    store.setClock(42);
    const hold = makeRequest(0, range(1000, 12));
    const a = makeRequest(1, range(0, 10));
    expect(store.allocate(hold, 0, 12, [])).toBe(true);
    expect(store.allocate(a, 0, 10, [])).toBe(true); // blocks 3, 4 hashed, 5 partial
    store.release(a); // free list: 6, 7, 5, 4, 3 → offload 4 then 3 (first hashed from head each time)
    expect(store.cpuEntries().map((e) => [e.id, e.offloadTime, e.tokenCount])).toEqual([
      [3, 42, 4],
      [4, 42, 4],
    ]);
    expect(store.counters).toMatchObject({ cpuUsed: 2, offloadCount: 2 });
    expect(store.gpu.freeListOrder()).toEqual([6, 7, 5, 4, 3]);
    expect(store.getCachedBlocks(makeRequest(2, range(0, 8)))).toEqual([]);
    expect(store.usedBlocks()).toBe(3);
    store.checkInvariants();
  });

  it('does not offload at or below θ', () => {
    const store = new TieredKVStore(4, 4, new PrefixInterner(4), { ...options, offloadThreshold: 0.5 });
    const hold = makeRequest(0, range(1000, 8));
    const a = makeRequest(1, range(0, 8));
    expect(store.allocate(hold, 0, 8, [])).toBe(true);
    expect(store.allocate(a, 0, 8, [])).toBe(true);
    store.release(a); // 2/4 = 0.5, not > 0.5
    expect(store.counters.offloadCount).toBe(0);
    expect(store.thrashingRate()).toBe(0);
  });

  it('reloads on a failed allocation, charges transfer latency and counts thrashing', () => {
    const { store, interner } = pressuredStore(100);
    store.setClock(1099); // 999 ticks after the offload → thrash
    const q = makeRequest(3, range(5000, 8));
    expect(store.allocate(q, 0, 8, [])).toBe(false); // 2 blocks > 1 free; reload Z, retry fails again
    expect(store.counters).toMatchObject({ cpuHits: 1, cpuMisses: 0, thrashCount: 1, cpuUsed: 0 });
    expect(hashedTokens(interner, store.gpu.blockInfo(3).hash)).toEqual(range(2000, 4));
    expect(store.getCachedBlocks(makeRequest(4, range(2000, 4)))).toEqual([3]);
    expect(store.consumePendingTransferLatency()).toBe(5 + Math.ceil(4 / 3));
    expect(store.consumePendingTransferLatency()).toBe(0);
    expect(store.thrashingRate()).toBe(1);
    // Nothing left on the CPU tier: the next failure is a CPU miss.
    expect(store.allocate(q, 0, 8, [])).toBe(false);
    expect(store.counters.cpuMisses).toBe(1);
    expect(store.cacheHitRate()).toBeCloseTo((0 + 1) / (0 + 1 + 8 + 1), 15);
    store.checkInvariants();
  });

  it('does not count a reload 1000 ticks after the offload as thrashing', () => {
    const { store } = pressuredStore(100);
    store.setClock(1100);
    expect(store.allocate(makeRequest(3, range(5000, 8)), 0, 8, [])).toBe(false);
    expect(store.counters).toMatchObject({ cpuHits: 1, thrashCount: 0 });
    expect(store.thrashingRate()).toBe(0);
  });

  it('retries from the cached prefix after a reload (empty retry range succeeds without attaching)', () => {
    const { store, pTokens } = pressuredStore(0);
    const g = makeRequest(3, pTokens); // same prompt as the resident P, allocated without cached blocks
    expect(store.allocate(g, 0, 16, [])).toBe(true); // fails, reloads Z, cached = 16 tokens = end → empty retry
    expect(store.gpu.requestBlocks(g)).toBeUndefined();
    expect(store.counters.cpuHits).toBe(1);
    store.checkInvariants();
  });

  it('throws KVReloadOverflowError where the reference crashes', () => {
    const { store, pTokens } = pressuredStore(0);
    const g = makeRequest(3, pTokens);
    let error: unknown;
    try {
      store.allocate(g, 0, 8, []); // cached prefix after reload (16 tokens) > chunk end (8)
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KVReloadOverflowError);
    expect(error).toBeInstanceOf(ServesimError);
    const overflow = error as KVReloadOverflowError;
    expect(overflow.exitCode).toBe(2);
    expect(overflow.message).not.toContain('\n');
    expect(overflow.message).toBe(
      'tiered KV reload overflow: after reloading 1 blocks from CPU the cached prefix of request_3 (16 tokens) ' +
        'extends past the scheduled chunk end (8 tokens) — the reference simulator crashes here; increase ' +
        '--total-kv-blocks, set --kv-cpu-blocks 0, or set --long-prefill-token-threshold 0',
    );
  });
});

describe('createKVStore', () => {
  const engine: EngineConfig = {
    totalKvBlocks: 16,
    blockSize: 4,
    maxRunningReqs: 8,
    maxScheduledTokens: 64,
    longPrefillTokenThreshold: 0,
    kvCpuBlocks: 0,
    kvOffloadThreshold: 0.9,
    kvTransferBandwidth: 100,
    kvTransferBaseLatency: 0,
  };
  it('is tiered iff kvCpuBlocks > 0', () => {
    const interner = new PrefixInterner(4);
    expect(createKVStore(engine, interner)).toBeInstanceOf(GpuKVStore);
    const tiered = createKVStore({ ...engine, kvCpuBlocks: 4 }, interner);
    expect(tiered).toBeInstanceOf(TieredKVStore);
    expect(tiered.totalBlocks).toBe(16);
    expect(tiered.blockSize).toBe(4);
    tiered.checkInvariants();
  });
});

// ------------------------------------------------------------------ property tests

type Op =
  | { kind: 'admit'; r: number; chunk: number }
  | { kind: 'continue'; r: number; chunk: number }
  | { kind: 'ghost'; r: number; chunk: number }
  | { kind: 'release'; r: number }
  | { kind: 'raw'; r: number; a: number; b: number; useCached: boolean }
  | { kind: 'clock'; dt: number };

const opArb = (requests: number): fc.Arbitrary<Op> => {
  const r = fc.integer({ min: 0, max: requests - 1 });
  const chunk = fc.integer({ min: 0, max: 14 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('admit' as const), r, chunk }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('continue' as const), r, chunk }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('ghost' as const), r, chunk }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), r }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('raw' as const),
        r,
        a: fc.nat(40),
        b: fc.nat(40),
        useCached: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clock' as const), dt: fc.integer({ min: 0, max: 1500 }) }) },
  );
};

/** Requests built from a few shared segments over a tiny alphabet, so prefixes and contents collide a lot. */
const workloadArb = fc.array(
  fc.record({
    segments: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }),
    tail: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 6 }),
    output: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 8 }),
  }),
  { minLength: 1, maxLength: 8 },
);
const SEGMENTS = [
  [1, 2, 3],
  [1, 2, 3, 1, 2],
  [0, 0, 0, 0],
  [2, 1],
];

interface Harness {
  real: GpuKVStore | TieredKVStore;
  model: ModelGpuStore | ModelTieredStore;
  interner: PrefixInterner;
  realReqs: SimRequest[];
  modelReqs: SimRequest[];
}

function buildHarness(
  workload: Array<{ segments: number[]; tail: number[]; output: number[] }>,
  total: number,
  B: number,
  tiered: { cpu: number; theta: number; bw: number; lat0: number } | null,
): Harness {
  const inputs = workload.map((w) => [...w.segments.flatMap((s) => SEGMENTS[s]), ...w.tail]);
  const interner = new PrefixInterner(B);
  const real = tiered
    ? new TieredKVStore(total, B, interner, {
        cpuBlocks: tiered.cpu,
        offloadThreshold: tiered.theta,
        transferBandwidth: tiered.bw,
        transferBaseLatency: tiered.lat0,
      })
    : new GpuKVStore(total, B, interner);
  const model = tiered
    ? new ModelTieredStore(total, B, tiered.cpu, tiered.theta, tiered.bw, tiered.lat0)
    : new ModelGpuStore(total, B);
  // An empty prompt is in decode mode from the start, so its first allocation reads OutputTokens[0]; with no
  // output either, the reference would index out of range (spec-silent case, not generated here).
  const outputs = workload.map((w, i) => (inputs[i].length === 0 && w.output.length === 0 ? [0] : w.output));
  const mk = () => workload.map((_, i) => makeRequest(i, inputs[i], outputs[i]));
  return { real, model, interner, realReqs: mk(), modelReqs: mk() };
}

/** Applies one operation to both stores; returns a comparable outcome. */
function applyOp(h: Harness, op: Op): string {
  const modelGpu = h.model instanceof ModelTieredStore ? h.model.gpu : h.model;
  if (op.kind === 'clock') {
    if (h.real instanceof TieredKVStore && h.model instanceof ModelTieredStore) {
      const now = (h.model.clock += op.dt);
      h.real.setClock(now);
      const latency = h.real.consumePendingTransferLatency();
      expect(latency).toBe(h.model.consume());
      return `clock latency ${latency > 0 ? '>0' : '0'}`;
    }
    return 'clock';
  }
  const outcomes: string[] = [];
  for (const side of ['real', 'model'] as const) {
    const req = side === 'real' ? h.realReqs[op.r] : h.modelReqs[op.r];
    const store = side === 'real' ? h.real : h.model;
    const getCached = (r: SimRequest) =>
      store instanceof ModelTieredStore ? store.gpu.getCachedBlocks(r) : store.getCachedBlocks(r);
    const L = req.inputTokens.length;
    const N = req.outputTokens.length;
    const call = (start: number, end: number, cached: readonly number[]): string => {
      try {
        return String(store.allocate(req, start, end, cached));
      } catch (e) {
        if (e instanceof KVReloadOverflowError || e instanceof ModelReloadCrash) return 'crash';
        throw e;
      }
    };
    let outcome: string;
    switch (op.kind) {
      case 'admit': {
        const cached = getCached(req);
        const start = cached.length * (side === 'real' ? h.interner.blockSize : modelGpu.B);
        req.progressIndex = 0;
        const n = Math.min(L - start, op.chunk === 0 ? L : op.chunk);
        outcome = `admit [${cached}] ${call(start, start + n, cached)}`;
        if (outcome.endsWith('true')) req.progressIndex = start + n;
        break;
      }
      case 'continue': {
        if (req.progressIndex < L) {
          const n = Math.min(L - req.progressIndex, op.chunk === 0 ? L : op.chunk);
          outcome = `prefill ${call(req.progressIndex, req.progressIndex + n, [])}`;
          if (outcome.endsWith('true')) req.progressIndex += n;
        } else if (req.progressIndex < L + N) {
          outcome = `decode ${call(req.progressIndex, req.progressIndex + 1, [])}`;
          req.progressIndex++;
        } else {
          store.release(req);
          req.progressIndex = 0;
          outcome = 'complete';
        }
        break;
      }
      case 'ghost': {
        req.progressIndex = 0;
        const n = Math.min(L, op.chunk);
        outcome = L > 0 ? `ghost ${call(0, n, [])}` : 'ghost-skip';
        break;
      }
      case 'release':
        store.release(req);
        req.progressIndex = 0;
        outcome = 'release';
        break;
      case 'raw': {
        const cached = op.useCached ? getCached(req) : [];
        if (L > 0 && op.a % 2 === 0) {
          const start = Math.min(op.a, L);
          const end = Math.min(L, start + op.b);
          req.progressIndex = Math.min(start, L - 1);
          outcome = `raw-prefill ${call(start, end, cached)}`;
        } else if (N > 0) {
          const start = L + (op.a % N);
          req.progressIndex = start;
          outcome = `raw-decode ${call(start, start + 1, cached)}`;
        } else {
          outcome = 'raw-skip';
        }
        break;
      }
    }
    outcomes.push(outcome);
  }
  expect(outcomes[0]).toBe(outcomes[1]);
  return outcomes[0];
}

function compareState(h: Harness): void {
  const gpu = h.real instanceof TieredKVStore ? h.real.gpu : h.real;
  const model = h.model instanceof ModelTieredStore ? h.model.gpu : h.model;
  expect(gpu.freeListOrder()).toEqual(model.free);
  expect(gpu.usedBlocks()).toBe(model.usedCount);
  expect(gpu.cacheHitCount).toBe(model.cacheHits);
  expect(gpu.cacheMissCount).toBe(model.cacheMisses);
  for (let b = 0; b < gpu.totalBlocks; b++) {
    const info = gpu.blockInfo(b);
    const m = model.blocks[b];
    expect({ b, refCount: info.refCount, inUse: info.inUse, tokens: info.tokens }).toEqual({
      b,
      refCount: m.refCount,
      inUse: m.inUse,
      tokens: m.tokens,
    });
    expect(info.hash === NO_HASH ? '' : key(h.interner.tokensOf(info.hash))).toBe(m.hash);
  }
  const realMap = new Map([...gpu.hashToBlock].map(([hash, b]) => [key(h.interner.tokensOf(hash)), b]));
  expect(realMap).toEqual(model.hashToBlock);
  for (let i = 0; i < h.realReqs.length; i++) {
    expect(gpu.requestBlocks(h.realReqs[i])).toEqual(model.requestMap.get(i));
  }
  expect(h.real.cacheHitRate()).toBe(h.model instanceof ModelTieredStore ? h.model.hitRate() : h.model.hitRate());
  if (h.real instanceof TieredKVStore && h.model instanceof ModelTieredStore) {
    const c = h.real.counters;
    const m = h.model;
    expect([c.cpuUsed, c.offloadCount, c.cpuHits, c.cpuMisses, c.thrashCount, c.pendingLatency]).toEqual([
      m.cpuUsed,
      m.offloadCount,
      m.cpuHits,
      m.cpuMisses,
      m.thrashCount,
      m.pendingLatency,
    ]);
    expect(h.real.cpuEntries().map((e) => [e.id, e.tokenCount, key(h.interner.tokensOf(e.hash)), e.offloadTime])).toEqual(
      [...m.cpu.entries()].sort((a, b) => a[0] - b[0]).map(([id, e]) => [id, e.tokens.length, e.hash, e.offloadTime]),
    );
    expect(h.real.thrashingRate()).toBe(m.thrashRate());
  }
}

/**
 * Checks after every `checkEvery`-th operation (and the last): the checks write out the store's pending decode
 * tokens, so a sparser schedule lets them accumulate over several operations first.
 */
function runScenario(h: Harness, ops: Op[], check: 'model' | 'invariants', checkEvery = 1): string[] {
  const trace: string[] = [];
  for (let k = 0; k < ops.length; k++) {
    const outcome = applyOp(h, ops[k]);
    trace.push(outcome);
    if ((k + 1) % checkEvery !== 0 && k !== ops.length - 1 && !outcome.endsWith('crash')) continue;
    const problems = (h.real as GpuKVStore).invariantViolations();
    expect(problems).toEqual([]);
    const gpu = h.real instanceof TieredKVStore ? h.real.gpu : h.real;
    expect(gpu.freeListOrder().length + gpu.usedBlocks()).toBe(gpu.totalBlocks);
    if (check === 'model') compareState(h);
    if (outcome.endsWith('crash')) break; // the reference process would be dead here
  }
  return trace;
}

/** The GPU store against the literal model over random operation sequences, checked every `checkEvery` operations. */
function checkGpuStoreAgainstModel(blockSizes: fc.Arbitrary<number>, checkEvery: fc.Arbitrary<number>): void {
  fc.assert(
    fc.property(
      workloadArb,
      fc.integer({ min: 1, max: 24 }),
      blockSizes,
      checkEvery,
      fc.array(opArb(8), { minLength: 10, maxLength: 150, size: 'large' }),
      (workload, total, B, every, ops) => {
        const h = buildHarness(workload, total, B, null);
        const applicable = ops.filter((op) => op.kind === 'clock' || op.r < workload.length);
        runScenario(h, applicable, 'model', every);
      },
    ),
    { numRuns: 200 },
  );
}

describe('property: GPU store vs literal model', () => {
  it('matches the model and keeps invariants over random operation sequences', () => {
    checkGpuStoreAgainstModel(fc.constantFrom(1, 2, 4), fc.constant(1));
  });

  it('matches the model when decode tokens stay pending across several operations between checks', () => {
    checkGpuStoreAgainstModel(fc.constantFrom(2, 4, 8), fc.integer({ min: 2, max: 9 }));
  });
});

describe('property: tiered store vs literal model', () => {
  it('matches the model (offload, reload, thrash, crash) over random operation sequences', () => {
    fc.assert(
      fc.property(
        workloadArb,
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom(1, 2, 4),
        fc.record({
          cpu: fc.integer({ min: 1, max: 8 }),
          theta: fc.constantFrom(0, 0.1, 0.25, 0.5, 0.9),
          bw: fc.constantFrom(0.5, 3, 100),
          lat0: fc.constantFrom(0, 7),
        }),
        fc.array(opArb(8), { minLength: 10, maxLength: 150, size: 'large' }),
        (workload, total, B, tier, ops) => {
          const h = buildHarness(workload, total, B, tier);
          runScenario(
            h,
            ops.filter((op) => op.kind === 'clock' || op.r < workload.length),
            'model',
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('property: determinism', () => {
  it('the same operations give the same outcomes and the same state', () => {
    fc.assert(
      fc.property(workloadArb, fc.integer({ min: 1, max: 14 }), fc.array(opArb(8), { maxLength: 80, size: 'medium' }), (workload, total, ops) => {
        const filtered = ops.filter((op) => op.kind === 'clock' || op.r < workload.length);
        const tier = { cpu: 4, theta: 0.25, bw: 3, lat0: 1 };
        const h1 = buildHarness(workload, total, 4, tier);
        const h2 = buildHarness(workload, total, 4, tier);
        const t1 = runScenario(h1, filtered, 'invariants');
        const t2 = runScenario(h2, filtered, 'invariants');
        expect(t2).toEqual(t1);
        const g1 = (h1.real as TieredKVStore).gpu;
        const g2 = (h2.real as TieredKVStore).gpu;
        expect(g2.freeListOrder()).toEqual(g1.freeListOrder());
        for (let b = 0; b < total; b++) expect(g2.blockInfo(b)).toEqual(g1.blockInfo(b));
      }),
      { numRuns: 200 },
    );
  });
});
