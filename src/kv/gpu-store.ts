// Single-tier GPU KV store (docs/spec-notes.md, KV cache rules), quirks included (docs/reference-quirks.md,
// quirks 10 and 20–23).
//
// A run touches few of the 132139 blocks of the experiment configurations, so per-block state exists only for
// blocks that were ever taken from the free list. The free list starts as all blocks in id order and blocks only
// leave it at the head (or, once used, wherever they are), so the never-used blocks are always the ids
// `virginStart…total−1`, forming one contiguous, id-ordered stretch of the list ("the virgin run"). The run is
// one node of the linked list (link value VIRGIN); the per-block typed arrays only cover ids below the run and
// grow as it shrinks. Hashes use 0 for "none" (0 is the empty sequence, never a block hash). Token contents live
// in pages that are allocated on first write.

import type { KVStore, SimRequest } from '../types.js';
import { KVRangeError } from './errors.js';
import { ABSENT, Int32Map } from '../int32-map.js';
import { EMPTY_SEQUENCE_ID, PrefixInterner, SequenceIdBuilder, type MarkId } from './prefix.js';

export const NO_BLOCK = -1;
/** Hash slot value meaning "no hash". A block hash always covers ≥ B tokens, so it is never the empty sequence. */
export const NO_HASH = EMPTY_SEQUENCE_ID;

/** Free-list link meaning "the run of never-used blocks" (see the file comment). */
const VIRGIN = -2;
const INITIAL_BLOCK_CAPACITY = 64;

const PAGE_BLOCKS_LOG2 = 8;
const PAGE_BLOCKS = 1 << PAGE_BLOCKS_LOG2;

/** Fixed-size token storage for a range of block ids, allocated page by page on first write. */
export class BlockTokenPages {
  private readonly pages: (Int32Array | undefined)[];
  private readonly blockSize: number;

  constructor(blockCount: number, blockSize: number) {
    this.blockSize = blockSize;
    this.pages = new Array<Int32Array | undefined>(Math.ceil(blockCount / PAGE_BLOCKS)).fill(undefined);
  }

  /** Page holding the block's tokens (allocated if needed); the tokens start at `offsetOf(block)`. */
  pageFor(block: number): Int32Array {
    const index = block >>> PAGE_BLOCKS_LOG2;
    let page = this.pages[index];
    if (page === undefined) {
      page = new Int32Array(PAGE_BLOCKS * this.blockSize);
      this.pages[index] = page;
    }
    return page;
  }

  offsetOf(block: number): number {
    return (block & (PAGE_BLOCKS - 1)) * this.blockSize;
  }

  write(block: number, at: number, source: Int32Array, sourceOffset: number, count: number): void {
    const page = this.pageFor(block);
    const base = this.offsetOf(block) + at;
    for (let k = 0; k < count; k++) page[base + k] = source[sourceOffset + k];
  }
}

/** A request's ordered block list plus a memo of the identity of its leading full blocks. */
class BlockList {
  ids = new Int32Array(16);
  length = 0;
  /**
   * The first `chainedCount` blocks are each full or empty (so their concatenation is block-aligned) and their
   * concatenated tokens have identity `chainId`. Blocks in a list never change except a partial last block
   * growing, so the memo stays valid until the list is dropped.
   */
  chainedCount = 0;
  chainId = EMPTY_SEQUENCE_ID;
  /** The store keeping this list. */
  readonly store: object;
  /** The request whose list this is (null while spare). */
  owner: SimRequest | null = null;
  /**
   * Decode tokens appended to the last block but not yet written into the store (see GpuKVStore.allocate): the
   * owner's `pending` output tokens from `pendingFrom` on, after the `pendingBase` tokens the block holds.
   */
  pending = 0;
  pendingFrom = 0;
  pendingBase = 0;

  constructor(store: object) {
    this.store = store;
  }

  push(block: number): void {
    if (this.length === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.length++] = block;
  }

  clear(): void {
    this.owner = null;
    this.pending = 0;
    this.length = 0;
    this.chainedCount = 0;
    this.chainId = EMPTY_SEQUENCE_ID;
  }
}

/** Snapshot of one block's state, for tests and diagnostics. */
export interface BlockInfo {
  refCount: number;
  inUse: boolean;
  hash: number;
  tokens: number[];
}

export class GpuKVStore implements KVStore {
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly interner: PrefixInterner;
  /** hash → block (at most one block per hash). Entries may outlive the hash on the block they once named. */
  readonly hashToBlock = new Int32Map();

  // Per-block state of the used ids 0…virginStart−1 (arrays may be longer; never-used blocks are all zero).
  private refCount: Int32Array;
  private inUse: Uint8Array;
  private blockHash: Int32Array;
  private tokenCount: Int32Array;
  private readonly tokens: BlockTokenPages;
  // Free list (head = LRU end = next block to reuse) over used blocks plus the virgin run as one node: links are
  // block ids, NO_BLOCK or VIRGIN. `runPrev`/`runNext` are the run's neighbours.
  private freeNext: Int32Array;
  private freePrev: Int32Array;
  private freeHead: number;
  private freeTail: number;
  private freeLength: number;
  private virginStart = 0;
  private runPrev = NO_BLOCK;
  private runNext = NO_BLOCK;

  private usedCount = 0;
  private cacheHits = 0;
  private cacheMisses = 0;

  /** req.index → block list, for the requests holding blocks here (a Map: a long run sees millions of indices). */
  private readonly lists = new Map<number, BlockList>();
  private readonly spareLists: BlockList[] = [];
  private readonly chainBuilder: SequenceIdBuilder;
  /**
   * References kept by block lists that a failed allocation dropped (docs/reference-quirks.md, quirk 22); only for
   * invariants.
   */
  private readonly leakedRefs = new Map<number, number>();

  // Rollback logs of the allocation in progress, reused across calls.
  private newBlockLog = new Int32Array(64);
  private newBlockPrevHash = new Int32Array(64);
  private attachedWasInUse = new Uint8Array(64);

  constructor(totalBlocks: number, blockSize: number, interner: PrefixInterner) {
    if (!Number.isInteger(totalBlocks) || totalBlocks < 0) {
      throw new RangeError(`GpuKVStore: total blocks must be a non-negative integer, got ${totalBlocks}`);
    }
    if (blockSize !== interner.blockSize) {
      throw new RangeError(`GpuKVStore: block size ${blockSize} differs from the interner's ${interner.blockSize}`);
    }
    this.blockSize = blockSize;
    this.totalBlocks = totalBlocks;
    this.interner = interner;
    this.chainBuilder = new SequenceIdBuilder(interner);
    const capacity = Math.min(totalBlocks, INITIAL_BLOCK_CAPACITY);
    this.refCount = new Int32Array(capacity);
    this.inUse = new Uint8Array(capacity);
    this.blockHash = new Int32Array(capacity);
    this.tokenCount = new Int32Array(capacity);
    this.freeNext = new Int32Array(capacity);
    this.freePrev = new Int32Array(capacity);
    this.tokens = new BlockTokenPages(totalBlocks, blockSize);
    this.freeHead = totalBlocks > 0 ? VIRGIN : NO_BLOCK;
    this.freeTail = this.freeHead;
    this.freeLength = totalBlocks;
    interner.addRootProvider((mark) => this.markHeldIds(mark));
  }

  /** Reports the identities this store holds to the interner's collector (see PrefixInterner.collect). */
  private markHeldIds(mark: MarkId): void {
    const hashes = this.blockHash;
    for (let b = 0; b < this.virginStart; b++) if (hashes[b] !== NO_HASH) mark(hashes[b]);
    // Entries can outlive the hash on the block they named.
    this.hashToBlock.forEachKey(mark);
    for (const list of this.lists.values()) mark(list.chainId);
  }

  // ---------------------------------------------------------------- KVStore

  usedBlocks(): number {
    return this.usedCount;
  }

  /** Longest run of leading input-prefix hashes present in `hashToBlock` (docs/spec-notes.md, Cached-prefix lookup). */
  getCachedBlocks(req: SimRequest): number[] {
    const prefixIds = this.interner.inputPrefixIds(req);
    const found: number[] = [];
    for (let i = 0; i < prefixIds.length; i++) {
      const block = this.hashToBlock.get(prefixIds[i]);
      if (block === ABSENT) break;
      found.push(block);
    }
    return found;
  }

  /** docs/spec-notes.md, Allocation; docs/reference-quirks.md, quirks 10, 20 and 23. */
  allocate(req: SimRequest, start: number, end: number, cachedBlocks: readonly number[]): boolean {
    // Lengths come from the request's own fields: the token arrays are only touched to copy tokens.
    const inputLength = req.inputLength;
    if (req.progressIndex < inputLength) {
      if (!(start >= 0 && start <= end && end <= inputLength)) {
        throw new KVRangeError(req.id, `InputTokens[${start}:${end}] with ${inputLength} input tokens`);
      }
      const newLength = end - start;
      // Deliberately coarse (reference): ignores room in a partial last block and cached blocks taken below.
      if (Math.ceil(newLength / this.blockSize) > this.totalBlocks - this.usedCount) return false;
      return this.allocateTokens(req, req.inputTokens, start, newLength, true, start, cachedBlocks);
    }
    const outputIndex = start - inputLength;
    if (!(outputIndex >= 0 && outputIndex < req.outputLength)) {
      throw new KVRangeError(req.id, `OutputTokens[${outputIndex}] with ${req.outputLength} output tokens`);
    }
    // Decode fast path: one token into a partially filled last block, recorded on the request's list only (found
    // through the request: no lookup by request). The block's contents are written when it fills or when anything
    // else may look at it (flushPending): until then only its owner's list references it (it is neither hashed
    // nor free), and a token costs no random access into the store's pages (a cache miss per token at long runs'
    // working sets, measured ≈ 15 % of a run).
    const list = req.kvList as BlockList | null;
    if (list !== null && list.store === this) {
      const pending = list.pending;
      if (pending > 0 && outputIndex === list.pendingFrom + pending) {
        list.pending = pending + 1;
        if (list.pendingBase + pending + 1 === this.blockSize) this.fillLastBlock(list);
        return true;
      }
      if (pending > 0) this.flushPending(list);
      const fill = this.tokenCount[list.ids[list.length - 1]];
      if (fill > 0 && fill < this.blockSize) {
        list.pending = 1;
        list.pendingFrom = outputIndex;
        list.pendingBase = fill;
        if (fill + 1 === this.blockSize) this.fillLastBlock(list);
        return true;
      }
    }
    return this.allocateTokens(req, req.outputTokens, outputIndex, 1, false, start, cachedBlocks);
  }

  /** Last block first, each freed block to the free-list tail (docs/spec-notes.md, Release). */
  release(req: SimRequest): void {
    // Its prefix ids are cached for admission; once the request leaves (done or preempted) they are dead weight.
    this.interner.releaseRequest(req);
    const list = this.lists.get(req.index);
    if (list === undefined) return;
    this.dropList(req, list);
    const ids = list.ids;
    for (let i = list.length - 1; i >= 0; i--) {
      const block = ids[i];
      if (--this.refCount[block] === 0) {
        this.inUse[block] = 0;
        this.usedCount--;
        this.appendToFreeTail(block);
      }
    }
    this.recycleList(list);
  }

  setClock(_now: number): void {}

  consumePendingTransferLatency(): number {
    return 0;
  }

  cacheHitRate(): number {
    const lookups = this.cacheHits + this.cacheMisses;
    return lookups === 0 ? 0 : this.cacheHits / lookups;
  }

  thrashingRate(): number {
    return 0;
  }

  // ------------------------------------------------------- counters and debug views

  get cacheHitCount(): number {
    return this.cacheHits;
  }

  get cacheMissCount(): number {
    return this.cacheMisses;
  }

  /** The request's current block list (copy), or undefined if it has none. */
  requestBlocks(req: SimRequest): number[] | undefined {
    const list = this.lists.get(req.index);
    return list === undefined ? undefined : Array.from(list.ids.subarray(0, list.length));
  }

  blockInfo(block: number): BlockInfo {
    this.flushAllPending();
    if (block >= this.virginStart) return { refCount: 0, inUse: false, hash: NO_HASH, tokens: [] };
    const page = this.tokens.pageFor(block);
    const offset = this.tokens.offsetOf(block);
    return {
      refCount: this.refCount[block],
      inUse: this.inUse[block] === 1,
      hash: this.blockHash[block],
      tokens: Array.from(page.subarray(offset, offset + this.tokenCount[block])),
    };
  }

  /** Free-list block ids from head (next reused) to tail. */
  freeListOrder(): number[] {
    const order: number[] = [];
    for (let b = this.freeHead === VIRGIN ? this.virginStart : this.freeHead; b !== NO_BLOCK && order.length <= this.totalBlocks; b = this.nextFree(b)) {
      order.push(b);
    }
    return order;
  }

  // ------------------------------------------------- low-level access for TieredKVStore

  get freeListHead(): number {
    return this.freeHead === VIRGIN ? this.virginStart : this.freeHead;
  }

  nextFree(block: number): number {
    if (block >= this.virginStart) return block + 1 < this.totalBlocks ? block + 1 : this.blockOf(this.runNext);
    return this.blockOf(this.freeNext[block]);
  }

  /** The first block at or after `block` on the free list (from `block`, following nextFree) that carries a hash. */
  nextHashedFree(block: number): number {
    while (block !== NO_BLOCK) {
      // Never-used blocks carry no hash: skip the whole run at once.
      if (block >= this.virginStart) block = this.blockOf(this.runNext);
      else if (this.blockHash[block] === NO_HASH) block = this.blockOf(this.freeNext[block]);
      else return block;
    }
    return NO_BLOCK;
  }

  hashOf(block: number): number {
    return block < this.virginStart ? this.blockHash[block] : NO_HASH;
  }

  tokenCountOf(block: number): number {
    return block < this.virginStart ? this.tokenCount[block] : 0;
  }

  /** Copies the block's tokens into `pages` at `block` slot `target` (used to offload). */
  copyTokensTo(block: number, pages: BlockTokenPages, target: number): number {
    const count = this.tokenCountOf(block);
    if (count > 0) pages.write(target, 0, this.tokens.pageFor(block), this.tokens.offsetOf(block), count);
    return count;
  }

  /**
   * Unlink the LRU head, drop its hash mapping (whichever block it names: docs/reference-quirks.md, quirk 10) and
   * its contents.
   */
  popFreeHead(): number {
    const head = this.freeHead;
    if (head === NO_BLOCK) return NO_BLOCK;
    const block = head === VIRGIN ? this.virginStart : head;
    this.unlinkFree(block);
    const hash = this.blockHash[block];
    if (hash !== NO_HASH) {
      this.hashToBlock.delete(hash);
      this.blockHash[block] = NO_HASH;
    }
    this.tokenCount[block] = 0;
    return block;
  }

  /** Fills a free, unlinked block with reloaded contents (refCount 0, not in use) and maps its hash. */
  loadFreeBlock(block: number, pages: BlockTokenPages, sourceSlot: number, count: number, hash: number): void {
    if (count > 0) this.tokens.write(block, 0, pages.pageFor(sourceSlot), pages.offsetOf(sourceSlot), count);
    this.tokenCount[block] = count;
    this.refCount[block] = 0;
    this.inUse[block] = 0;
    this.blockHash[block] = hash;
    this.hashToBlock.set(hash, block);
  }

  /** Drops a free block's hash (and its mapping) and contents, in place. */
  clearFreeBlock(block: number): void {
    if (block >= this.virginStart) return; // never used: nothing to clear
    const hash = this.blockHash[block];
    if (hash !== NO_HASH) this.hashToBlock.delete(hash);
    this.blockHash[block] = NO_HASH;
    this.tokenCount[block] = 0;
  }

  /** Takes a free block off the list; a never-used block can only leave from the front of the virgin run. */
  unlinkFree(block: number): void {
    if (block >= this.virginStart) {
      if (block !== this.virginStart) throw new Error(`GpuKVStore: unused block ${block} unlinked before ${this.virginStart}`);
      this.takeFirstVirgin();
      return;
    }
    const prev = this.freePrev[block];
    const next = this.freeNext[block];
    this.setNext(prev, next);
    this.setPrev(next, prev);
    this.freePrev[block] = NO_BLOCK;
    this.freeNext[block] = NO_BLOCK;
    this.freeLength--;
  }

  /** Appends a used (unlinked) block at the free-list tail. */
  appendToFreeTail(block: number): void {
    const tail = this.freeTail;
    this.freePrev[block] = tail;
    this.freeNext[block] = NO_BLOCK;
    this.setNext(tail, block);
    this.freeTail = block;
    this.freeLength++;
  }

  // ------------------------------------------------------------ invariants

  /**
   * Structural invariants that hold after every public operation, quirks included. Returns one message per
   * violation (empty = consistent). O(total blocks + listed blocks); for tests.
   */
  invariantViolations(): string[] {
    this.flushAllPending();
    const problems: string[] = [];
    const total = this.totalBlocks;
    const onFreeList = new Uint8Array(total);

    let walked = 0;
    let previous = NO_BLOCK;
    for (let b = this.freeListHead; b !== NO_BLOCK; b = this.nextFree(b)) {
      if (b < 0 || b >= total) {
        problems.push(`free list reaches invalid block ${b}`);
        break;
      }
      if (onFreeList[b]) {
        problems.push(`free list revisits block ${b} (cycle)`);
        break;
      }
      onFreeList[b] = 1;
      if (this.prevFree(b) !== previous) problems.push(`free list prev link of ${b} is ${this.prevFree(b)}, expected ${previous}`);
      previous = b;
      walked++;
    }
    const tail = this.freeTail === VIRGIN ? total - 1 : this.freeTail;
    if (previous !== tail) problems.push(`free list tail is ${tail}, walk ended at ${previous}`);
    if (walked !== this.freeLength) problems.push(`free list length ${this.freeLength} but ${walked} linked blocks`);
    if (walked + this.usedCount !== total) {
      problems.push(`free blocks (${walked}) + usedCount (${this.usedCount}) != total (${total})`);
    }
    for (let b = this.virginStart; b < total; b++) {
      if (!onFreeList[b]) problems.push(`never-used block ${b} is not on the free list`);
    }

    const listed = new Int32Array(total);
    this.lists.forEach((list, index) => {
      if (list.length === 0) problems.push(`request #${index} has an empty block list`);
      for (let i = 0; i < list.length; i++) {
        const b = list.ids[i];
        listed[b]++;
        if (b >= this.virginStart) problems.push(`block ${b} in the list of request #${index} was never taken`);
        else if (!this.inUse[b]) problems.push(`block ${b} in the list of request #${index} is not in use`);
        const fill = this.tokenCountOf(b);
        if (i < list.length - 1 && fill !== 0 && fill !== this.blockSize) {
          problems.push(`block ${b} in the middle of request #${index}'s list holds ${fill} tokens`);
        }
      }
      if (list.chainedCount > list.length) problems.push(`request #${index}: chain memo covers more blocks than listed`);
      else if (list.chainId !== this.recomputeChain(list)) problems.push(`request #${index}: stale chain memo`);
    });

    let inUseCount = 0;
    for (let b = 0; b < this.virginStart; b++) {
      const refs = this.refCount[b];
      const used = this.inUse[b] === 1;
      if (used) inUseCount++;
      if (refs < 0) problems.push(`block ${b} has refCount ${refs}`);
      if (used !== refs > 0) problems.push(`block ${b}: inUse=${used} but refCount=${refs}`);
      if (used === (onFreeList[b] === 1)) problems.push(`block ${b}: inUse=${used} but on free list=${onFreeList[b] === 1}`);
      const expectedRefs = listed[b] + (this.leakedRefs.get(b) ?? 0);
      if (refs !== expectedRefs) {
        problems.push(`block ${b}: refCount ${refs} != list references ${listed[b]} + leaked ${this.leakedRefs.get(b) ?? 0}`);
      }
      const fill = this.tokenCount[b];
      if (fill < 0 || fill > this.blockSize) problems.push(`block ${b} holds ${fill} tokens`);
      // Hashed blocks are full, except a rolled-back block whose old hash comes back without its tokens
      // (docs/spec-notes.md, Rollback); a full hashed block holds the last B tokens of its hashed sequence.
      const hash = this.blockHash[b];
      if (hash !== NO_HASH && fill !== this.blockSize && fill !== 0) {
        problems.push(`hashed block ${b} is partially filled (${fill} tokens)`);
      }
      if (hash !== NO_HASH && fill === this.blockSize) {
        const hashed = this.interner.tokensOf(hash);
        const page = this.tokens.pageFor(b);
        const offset = this.tokens.offsetOf(b);
        const tail = hashed.slice(hashed.length - this.blockSize);
        if (hashed.length < this.blockSize || tail.some((t, k) => t !== page[offset + k])) {
          problems.push(`block ${b}: tokens are not the last B tokens of its hashed sequence`);
        }
      }
    }
    for (let b = this.virginStart; b < this.refCount.length; b++) {
      if (this.refCount[b] !== 0 || this.inUse[b] !== 0 || this.blockHash[b] !== 0 || this.tokenCount[b] !== 0) {
        problems.push(`never-used block ${b} has state`);
      }
    }
    if (inUseCount !== this.usedCount) problems.push(`usedCount ${this.usedCount} but ${inUseCount} blocks in use`);

    for (const [hash, b] of this.hashToBlock.entries()) {
      if (b < 0 || b >= total) problems.push(`hash ${hash} maps to invalid block ${b}`);
      else if (this.hashOf(b) !== hash) problems.push(`hash ${hash} maps to block ${b} which carries ${this.hashOf(b)}`);
    }
    if (this.cacheHits < 0 || this.cacheMisses < 0) problems.push(`negative hit/miss counters`);
    return problems;
  }

  checkInvariants(): void {
    const problems = this.invariantViolations();
    if (problems.length > 0) throw new Error(`GPU KV store invariants violated:\n  ${problems.join('\n  ')}`);
  }

  // --------------------------------------------------------------- internals

  /** The block a next-link designates (the virgin run's first block for VIRGIN). */
  private blockOf(link: number): number {
    return link === VIRGIN ? this.virginStart : link;
  }

  /** The block before `block` on the free list (a prev-link VIRGIN designates the run's last block). */
  private prevFree(block: number): number {
    if (block >= this.virginStart) return block > this.virginStart ? block - 1 : this.runPrev;
    const prev = this.freePrev[block];
    return prev === VIRGIN ? this.totalBlocks - 1 : prev;
  }

  /** Sets the next link of a list node (a block, VIRGIN, or NO_BLOCK = the list head pointer). */
  private setNext(node: number, next: number): void {
    if (node === NO_BLOCK) this.freeHead = next;
    else if (node === VIRGIN) this.runNext = next;
    else this.freeNext[node] = next;
  }

  /** Sets the prev link of a list node (a block, VIRGIN, or NO_BLOCK = the list tail pointer). */
  private setPrev(node: number, prev: number): void {
    if (node === NO_BLOCK) this.freeTail = prev;
    else if (node === VIRGIN) this.runPrev = prev;
    else this.freePrev[node] = prev;
  }

  private prependToFreeHead(block: number): void {
    const head = this.freeHead;
    this.freeNext[block] = head;
    this.freePrev[block] = NO_BLOCK;
    this.setPrev(head, block);
    this.freeHead = block;
    this.freeLength++;
  }

  /** Unlinks the first never-used block: it becomes a used id, unlinked; an emptied run leaves the list. */
  private takeFirstVirgin(): void {
    const block = this.virginStart++;
    if (block >= this.refCount.length) this.growBlockState();
    this.freePrev[block] = NO_BLOCK;
    this.freeNext[block] = NO_BLOCK;
    if (this.virginStart === this.totalBlocks) {
      this.setNext(this.runPrev, this.runNext);
      this.setPrev(this.runNext, this.runPrev);
    }
    this.freeLength--;
  }

  private growBlockState(): void {
    const capacity = Math.min(this.totalBlocks, Math.max(INITIAL_BLOCK_CAPACITY, this.refCount.length * 2));
    this.refCount = growInt32(this.refCount, capacity);
    this.blockHash = growInt32(this.blockHash, capacity);
    this.tokenCount = growInt32(this.tokenCount, capacity);
    this.freeNext = growInt32(this.freeNext, capacity);
    this.freePrev = growInt32(this.freePrev, capacity);
    const inUse = new Uint8Array(capacity);
    inUse.set(this.inUse);
    this.inUse = inUse;
  }

  /**
   * The general allocation loop (docs/spec-notes.md, Allocation): `newLength` tokens from `source[sourceOffset…]`
   * (prefill: the input from position `start`; decode: one output token).
   */
  private allocateTokens(
    req: SimRequest,
    source: Int32Array,
    sourceOffset: number,
    newLength: number,
    prefill: boolean,
    start: number,
    cachedBlocks: readonly number[],
  ): boolean {
    const blockSize = this.blockSize;
    let list = this.lists.get(req.index);
    if (list !== undefined) this.flushPending(list);
    const blocksBeforeCall = list === undefined ? 0 : list.length;
    let newBlockCount = 0;
    let attachedCount = 0;
    let p = 0;
    while (p < newLength) {
      let last = NO_BLOCK;
      let lastFill = 0;
      if (list !== undefined && list.length > 0) {
        last = list.ids[list.length - 1];
        lastFill = this.tokenCount[last];
      } else {
        // First allocation: attach the cached prefix; the last block counts as empty for this iteration.
        if (list === undefined) {
          list = this.acquireList();
          this.lists.set(req.index, list);
        }
        attachedCount = this.attachCachedBlocks(req, list, cachedBlocks);
      }

      if (lastFill > 0 && lastFill < blockSize) {
        const take = Math.min(blockSize - lastFill, newLength - p);
        this.tokens.write(last, lastFill, source, sourceOffset + p, take);
        this.tokenCount[last] = lastFill + take;
        p += take;
        if (lastFill + take === blockSize) this.hashFilledBlock(list, last);
        continue;
      }

      const remaining = newLength - p;
      const blocksNeeded = Math.ceil(remaining / blockSize);
      for (let j = 0; j < blocksNeeded; j++) {
        const head = this.freeListHead;
        const hashBeforePop = head === NO_BLOCK ? NO_HASH : this.hashOf(head);
        const block = this.popFreeHead();
        if (block === NO_BLOCK) {
          this.rollback(req, list, blocksBeforeCall, newBlockCount, cachedBlocks, attachedCount);
          return false;
        }
        const fill = Math.min(blockSize, newLength - p);
        this.tokens.write(block, 0, source, sourceOffset + p, fill);
        this.tokenCount[block] = fill;
        this.refCount[block] = 1;
        this.inUse[block] = 1;
        this.usedCount++;
        this.cacheMisses++;
        if (fill === blockSize && prefill) {
          const hash = this.interner.inputPrefixId(req, start + p + blockSize);
          this.blockHash[block] = hash;
          this.hashToBlock.set(hash, block);
        }
        this.logNewBlock(newBlockCount++, block, hashBeforePop);
        this.pushBlock(req, list, block);
        this.extendChainMemo(list, block);
        p += fill;
      }
    }
    return true;
  }

  /** Writes the list's pending decode tokens into its last block (see `allocate`). */
  private flushPending(list: BlockList): void {
    const pending = list.pending;
    if (pending === 0) return;
    const last = list.ids[list.length - 1];
    this.tokens.write(last, list.pendingBase, list.owner!.outputTokens, list.pendingFrom, pending);
    this.tokenCount[last] = list.pendingBase + pending;
    list.pending = 0;
  }

  /** The pending tokens just filled the list's last block: write them and name the block. */
  private fillLastBlock(list: BlockList): void {
    this.flushPending(list);
    this.hashFilledBlock(list, list.ids[list.length - 1]);
  }

  /** Writes every list's pending tokens (debug views and invariant checks read blocks directly). */
  private flushAllPending(): void {
    for (const list of this.lists.values()) this.flushPending(list);
  }

  /** A list's last block just became full: it is named by the whole list's contents (ghost visits included). */
  private hashFilledBlock(list: BlockList, last: number): void {
    const hash = this.listSequenceId(list);
    this.blockHash[last] = hash;
    this.hashToBlock.set(hash, last);
  }

  /** Appends to the request's list, which the request points to (the decode fast path's way in). */
  private pushBlock(req: SimRequest, list: BlockList, block: number): void {
    list.push(block);
    list.owner = req;
    req.kvList = list;
  }

  private dropList(req: SimRequest, list: BlockList): void {
    this.flushPending(list);
    this.lists.delete(req.index);
    if (req.kvList === list) req.kvList = null;
  }

  private attachCachedBlocks(req: SimRequest, list: BlockList, cachedBlocks: readonly number[]): number {
    const count = cachedBlocks.length;
    if (this.attachedWasInUse.length < count) this.attachedWasInUse = new Uint8Array(count * 2);
    for (let i = 0; i < count; i++) {
      const block = cachedBlocks[i];
      this.refCount[block]++;
      const wasInUse = this.inUse[block];
      if (!wasInUse) {
        this.inUse[block] = 1;
        this.usedCount++;
        this.unlinkFree(block);
      }
      this.cacheHits++;
      this.pushBlock(req, list, block);
      this.extendChainMemo(list, block);
      this.attachedWasInUse[i] = wasInUse;
    }
    return count;
  }

  private logNewBlock(slot: number, block: number, hashBeforePop: number): void {
    if (slot === this.newBlockLog.length) {
      const log = new Int32Array(slot * 2);
      log.set(this.newBlockLog);
      this.newBlockLog = log;
      const hashes = new Int32Array(slot * 2);
      hashes.set(this.newBlockPrevHash);
      this.newBlockPrevHash = hashes;
    }
    this.newBlockLog[slot] = block;
    this.newBlockPrevHash[slot] = hashBeforePop;
  }

  /**
   * Rollback (docs/spec-notes.md, Rollback), including dropping (leaking) the blocks of earlier calls
   * (docs/reference-quirks.md, quirk 22).
   */
  private rollback(
    req: SimRequest,
    list: BlockList,
    blocksBeforeCall: number,
    newBlockCount: number,
    cachedBlocks: readonly number[],
    attachedCount: number,
  ): void {
    for (let i = newBlockCount - 1; i >= 0; i--) {
      const block = this.newBlockLog[i];
      const hashSetNow = this.blockHash[block];
      if (hashSetNow !== NO_HASH) this.hashToBlock.delete(hashSetNow);
      const restoredHash = this.newBlockPrevHash[i];
      this.blockHash[block] = restoredHash;
      if (restoredHash !== NO_HASH) this.hashToBlock.set(restoredHash, block);
      this.inUse[block] = 0;
      this.refCount[block] = 0;
      this.tokenCount[block] = 0;
      this.usedCount--;
      this.cacheMisses--;
      this.prependToFreeHead(block);
    }
    for (let i = attachedCount - 1; i >= 0; i--) {
      const block = cachedBlocks[i];
      this.refCount[block]--;
      this.cacheHits--;
      if (!this.attachedWasInUse[i] && this.refCount[block] === 0) {
        this.inUse[block] = 0;
        this.usedCount--;
        this.appendToFreeTail(block);
      }
    }
    for (let i = 0; i < blocksBeforeCall; i++) {
      const block = list.ids[i];
      this.leakedRefs.set(block, (this.leakedRefs.get(block) ?? 0) + 1);
    }
    this.dropList(req, list);
    this.recycleList(list);
  }

  /**
   * Extends the list's chain memo over a block just appended, when that is free: an empty block adds nothing,
   * and a full hashed block whose hash is `chain ++ one block` continues the chain with its own hash (a hashed
   * full block always holds the last B tokens of its hashed sequence — checked by the invariants). This keeps
   * the decode-time concatenation hash at one interning step per block instead of a walk over the whole list.
   */
  private extendChainMemo(list: BlockList, block: number): void {
    if (list.chainedCount !== list.length - 1) return;
    const fill = this.tokenCount[block];
    if (fill === 0) {
      list.chainedCount++;
    } else if (fill === this.blockSize) {
      const hash = this.blockHash[block];
      if (this.interner.isFullBlockChild(hash, list.chainId)) {
        list.chainedCount++;
        list.chainId = hash;
      }
    }
  }

  /** Identity of the concatenated tokens of all blocks in the list (docs/reference-quirks.md, quirk 21). */
  private listSequenceId(list: BlockList): number {
    const blockSize = this.blockSize;
    const ids = list.ids;
    const length = list.length;
    let id = list.chainId;
    let i = list.chainedCount;
    for (; i < length; i++) {
      const block = ids[i];
      const fill = this.tokenCount[block];
      if (fill === blockSize) id = this.interner.internNode(id, this.tokens.pageFor(block), this.tokens.offsetOf(block), blockSize);
      else if (fill !== 0) break;
    }
    list.chainedCount = i;
    list.chainId = id;
    if (i === length) return id;
    // A partial block before the end: not produced by the reference's call patterns, handled exactly anyway.
    const builder = this.chainBuilder;
    builder.reset(id);
    for (; i < length; i++) {
      const block = ids[i];
      const fill = this.tokenCount[block];
      if (fill > 0) builder.append(this.tokens.pageFor(block), this.tokens.offsetOf(block), fill);
    }
    return builder.finish();
  }

  private recomputeChain(list: BlockList): number {
    const builder = this.chainBuilder;
    builder.reset(EMPTY_SEQUENCE_ID);
    for (let i = 0; i < list.chainedCount; i++) {
      const block = list.ids[i];
      const fill = this.tokenCount[block];
      if (fill > 0) builder.append(this.tokens.pageFor(block), this.tokens.offsetOf(block), fill);
    }
    return builder.finish();
  }

  private acquireList(): BlockList {
    return this.spareLists.pop() ?? new BlockList(this);
  }

  private recycleList(list: BlockList): void {
    list.clear();
    if (this.spareLists.length < 64) this.spareLists.push(list);
  }
}

function growInt32(array: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}
