// GPU + CPU tiered KV store (docs/spec-notes.md, CPU tier): wraps a GpuKVStore, offloads hashed free blocks to a
// CPU map when GPU utilisation exceeds θ after a release, and reloads them into free GPU blocks when an allocation
// fails.

import type { KVStore, SimRequest } from '../types.js';
import { KVReloadOverflowError } from './errors.js';
import { BlockTokenPages, GpuKVStore, NO_BLOCK, NO_HASH } from './gpu-store.js';
import type { PrefixInterner } from './prefix.js';

export { KVReloadOverflowError } from './errors.js';

/** A reload within this many ticks of the entry's offload counts as thrashing. */
const THRASH_WINDOW_TICKS = 1000;

export interface TieredKVOptions {
  cpuBlocks: number;
  offloadThreshold: number;
  /** blocks per tick */
  transferBandwidth: number;
  transferBaseLatency: number;
}

export class TieredKVStore implements KVStore {
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly gpu: GpuKVStore;

  private readonly cpuCapacity: number;
  private readonly offloadThreshold: number;
  private readonly reloadLatencyPerBlock: number;

  // CPU tier, keyed by the original GPU block id. Zero-filled arrays = no entries; they grow to cover the ids
  // offloaded so far (only used GPU blocks carry hashes, and used ids are the lowest ones).
  private cpuPresent: Uint8Array;
  private cpuHash: Int32Array;
  private cpuTokenCount: Int32Array;
  private cpuOffloadTime: Float64Array;
  private readonly cpuTokens: BlockTokenPages;
  /** Ids of present entries; sorted lazily because reloads walk them in ascending id order. */
  private cpuIds: number[] = [];
  private cpuIdsSorted = true;
  /** Incremented per offload even when it overwrites an entry, so it can exceed the number of entries. */
  private cpuUsed = 0;

  private clock = 0;
  private pendingLatency = 0;
  private offloadCount = 0;
  private cpuHits = 0;
  private cpuMisses = 0;
  private thrashCount = 0;

  constructor(totalBlocks: number, blockSize: number, interner: PrefixInterner, options: TieredKVOptions) {
    this.gpu = new GpuKVStore(totalBlocks, blockSize, interner);
    this.blockSize = blockSize;
    this.totalBlocks = totalBlocks;
    this.cpuCapacity = options.cpuBlocks;
    this.offloadThreshold = options.offloadThreshold;
    this.reloadLatencyPerBlock = options.transferBaseLatency + Math.ceil(blockSize / options.transferBandwidth);
    this.cpuPresent = new Uint8Array(0);
    this.cpuHash = new Int32Array(0);
    this.cpuTokenCount = new Int32Array(0);
    this.cpuOffloadTime = new Float64Array(0);
    this.cpuTokens = new BlockTokenPages(totalBlocks, blockSize);
    // CPU entries keep their block's name for a later reload.
    interner.addRootProvider((mark) => {
      for (const id of this.cpuIds) mark(this.cpuHash[id]);
    });
  }

  usedBlocks(): number {
    return this.gpu.usedBlocks();
  }

  getCachedBlocks(req: SimRequest): number[] {
    return this.gpu.getCachedBlocks(req);
  }

  allocate(req: SimRequest, start: number, end: number, cachedBlocks: readonly number[]): boolean {
    const gpu = this.gpu;
    if (gpu.allocate(req, start, end, cachedBlocks)) return true;
    const reloaded = this.reload();
    if (reloaded === 0) {
      this.cpuMisses++;
      return false;
    }
    // The retry uses the cache as it stands after the reload; batch formation never learns about these hits.
    const newCached = gpu.getCachedBlocks(req);
    const cachedTokens = newCached.length * this.blockSize;
    if (cachedTokens > start) {
      if (cachedTokens > end) throw new KVReloadOverflowError(req.id, reloaded, cachedTokens, end);
      return gpu.allocate(req, cachedTokens, end, newCached);
    }
    return gpu.allocate(req, start, end, cachedBlocks);
  }

  release(req: SimRequest): void {
    this.gpu.release(req);
    this.offload();
  }

  setClock(now: number): void {
    this.clock = now;
  }

  consumePendingTransferLatency(): number {
    const latency = this.pendingLatency;
    this.pendingLatency = 0;
    return latency;
  }

  cacheHitRate(): number {
    const hits = this.gpu.cacheHitCount + this.cpuHits;
    const lookups = hits + this.gpu.cacheMissCount + this.cpuMisses;
    return lookups === 0 ? 0 : hits / lookups;
  }

  thrashingRate(): number {
    return this.offloadCount === 0 ? 0 : this.thrashCount / this.offloadCount;
  }

  // ------------------------------------------------------- counters and debug views

  get counters(): {
    cpuUsed: number;
    cpuEntries: number;
    offloadCount: number;
    cpuHits: number;
    cpuMisses: number;
    thrashCount: number;
    pendingLatency: number;
  } {
    return {
      cpuUsed: this.cpuUsed,
      cpuEntries: this.cpuIds.length,
      offloadCount: this.offloadCount,
      cpuHits: this.cpuHits,
      cpuMisses: this.cpuMisses,
      thrashCount: this.thrashCount,
      pendingLatency: this.pendingLatency,
    };
  }

  /** CPU entries in ascending original-id order. */
  cpuEntries(): Array<{ id: number; hash: number; tokenCount: number; offloadTime: number }> {
    this.sortCpuIds();
    return this.cpuIds.map((id) => ({
      id,
      hash: this.cpuHash[id],
      tokenCount: this.cpuTokenCount[id],
      offloadTime: this.cpuOffloadTime[id],
    }));
  }

  invariantViolations(): string[] {
    const problems = this.gpu.invariantViolations();
    const entries = this.cpuIds.length;
    let present = 0;
    for (let id = 0; id < this.cpuPresent.length; id++) if (this.cpuPresent[id]) present++;
    if (present !== entries) problems.push(`CPU tier: ${present} present entries but ${entries} listed ids`);
    for (const id of this.cpuIds) {
      if (!this.cpuPresent[id]) problems.push(`CPU tier: listed id ${id} is not present`);
      if (this.cpuHash[id] === NO_HASH) problems.push(`CPU tier: entry ${id} has no hash`);
      const count = this.cpuTokenCount[id];
      if (count !== 0 && count !== this.blockSize) problems.push(`CPU tier: entry ${id} holds ${count} tokens`);
    }
    if (!(entries <= this.cpuUsed && this.cpuUsed <= this.cpuCapacity)) {
      problems.push(`CPU tier: expected entries (${entries}) <= cpuUsed (${this.cpuUsed}) <= capacity (${this.cpuCapacity})`);
    }
    if (this.thrashCount > this.cpuHits) problems.push(`thrash count ${this.thrashCount} exceeds reloads ${this.cpuHits}`);
    if (!(this.pendingLatency >= 0)) problems.push(`pending transfer latency ${this.pendingLatency}`);
    return problems;
  }

  checkInvariants(): void {
    const problems = this.invariantViolations();
    if (problems.length > 0) throw new Error(`tiered KV store invariants violated:\n  ${problems.join('\n  ')}`);
  }

  // --------------------------------------------------------------- internals

  /**
   * Moves every eligible CPU entry (ascending id) into the GPU free-list head block, which goes to the tail.
   * With fewer free blocks than entries, later reloads overwrite earlier ones (reference behaviour).
   */
  private reload(): number {
    if (this.cpuIds.length === 0) return 0;
    this.sortCpuIds();
    const gpu = this.gpu;
    const ids = this.cpuIds;
    let kept = 0;
    let reloaded = 0;
    let i = 0;
    for (; i < ids.length; i++) {
      const id = ids[i];
      const hash = this.cpuHash[id];
      if (hash === NO_HASH || gpu.hashToBlock.has(hash)) {
        ids[kept++] = id;
        continue;
      }
      const block = gpu.popFreeHead();
      if (block === NO_BLOCK) break;
      gpu.loadFreeBlock(block, this.cpuTokens, id, this.cpuTokenCount[id], hash);
      gpu.appendToFreeTail(block);
      this.pendingLatency += this.reloadLatencyPerBlock;
      if (this.clock - this.cpuOffloadTime[id] < THRASH_WINDOW_TICKS) this.thrashCount++;
      this.cpuPresent[id] = 0;
      this.cpuHash[id] = NO_HASH;
      this.cpuTokenCount[id] = 0;
      this.cpuUsed--;
      this.cpuHits++;
      reloaded++;
    }
    for (; i < ids.length; i++) ids[kept++] = ids[i];
    ids.length = kept;
    return reloaded;
  }

  /**
   * While utilisation > θ and the CPU tier has room, offload the first hashed block from the free-list head.
   * Utilisation is unchanged by offloading, so this drains every hashed free block until the CPU tier is full.
   */
  private offload(): void {
    const gpu = this.gpu;
    const total = this.totalBlocks;
    // Blocks before the cursor carry no hash and stay that way during the loop, so scanning resumes there.
    let cursor = gpu.freeListHead;
    while (gpu.usedBlocks() / total > this.offloadThreshold && this.cpuUsed < this.cpuCapacity) {
      cursor = gpu.nextHashedFree(cursor);
      if (cursor === NO_BLOCK) return;
      const block = cursor;
      cursor = gpu.nextFree(block);
      if (block >= this.cpuPresent.length) this.growCpuTier(block);
      if (!this.cpuPresent[block]) {
        this.cpuPresent[block] = 1;
        this.cpuIds.push(block);
        this.cpuIdsSorted = false;
      }
      this.cpuHash[block] = gpu.hashOf(block);
      this.cpuTokenCount[block] = gpu.copyTokensTo(block, this.cpuTokens, block);
      this.cpuOffloadTime[block] = this.clock;
      this.cpuUsed++;
      this.offloadCount++;
      gpu.unlinkFree(block);
      gpu.clearFreeBlock(block);
      gpu.appendToFreeTail(block);
    }
  }

  private growCpuTier(block: number): void {
    const capacity = Math.min(this.totalBlocks, Math.max(1024, this.cpuPresent.length * 2, block + 1));
    const present = new Uint8Array(capacity);
    present.set(this.cpuPresent);
    this.cpuPresent = present;
    const hash = new Int32Array(capacity);
    hash.set(this.cpuHash);
    this.cpuHash = hash;
    const count = new Int32Array(capacity);
    count.set(this.cpuTokenCount);
    this.cpuTokenCount = count;
    const time = new Float64Array(capacity);
    time.set(this.cpuOffloadTime);
    this.cpuOffloadTime = time;
  }

  private sortCpuIds(): void {
    if (this.cpuIdsSorted) return;
    this.cpuIds.sort((a, b) => a - b);
    this.cpuIdsSorted = true;
  }
}
