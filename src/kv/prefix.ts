// Collision-free identities of token sequences, standing in for the reference's SHA-256 prefix hashes
// (docs/spec-notes.md, Prefix identities). Behaviour only depends on hash *equality*, so an exact interner
// reproduces it: every sequence is decomposed canonically into full blocks of B tokens plus a tail of 0…B−1
// tokens, and each (parent identity, block tokens) pair is interned once in a trie stored in flat typed arrays.
// Equal sequences get equal ids and different sequences different ids, by construction (hash-table hits are
// verified token by token). One interner serves all instances and the router of a run: KV `HashTokens(prefix)`
// lookups and the router's `ComputeBlockHashes` chain are both functions of the same prefix, and the two domains
// are never compared with each other, so both can use the same id.

//
// Identities only have to be distinct among the ones something still holds, so a long run forgets the others and
// reuses their ids (mark-sweep, see `collect`): memory then follows what the KV caches and the router remember,
// not the number of requests served.

import type { SimRequest } from '../types.js';

/** Identity of the empty sequence; also the root every chain starts from. */
export const EMPTY_SEQUENCE_ID = 0;

/** Marks an identity as held (the collector keeps its ancestors too: its definition refers to them). */
export type MarkId = (id: number) => void;
/** Reports, between events, every identity its owner holds (KV block names, CPU tier entries, router keys…). */
export type RootProvider = (mark: MarkId) => void;

/** Live identities below which a collecting interner never collects (small runs never do). */
export const DEFAULT_COLLECT_MIN_NODES = 1 << 20;

/** Source index meaning "the tokens live in transient storage: copy them into the interner's pool". */
const COPY_TOKENS = -1;
const POOL_CHUNK_TOKENS = 1 << 16;

export class PrefixInterner {
  readonly blockSize: number;

  // Trie nodes, indexed by id. A node is (parent id, 1…B tokens); node 0 is the empty sequence.
  // Full-block nodes (length B) and tail nodes (length < B) can never be equal, which keeps block-aligned
  // prefixes, unaligned prefixes and short prompts collision-free.
  private nodeParent: Int32Array;
  private nodeLength: Int32Array;
  private nodeHash: Int32Array;
  private nodeSource: Int32Array;
  private nodeOffset: Int32Array;
  /** Every id ever handed out is below this (ids freed by `collect` are reused first). */
  private nodeCount = 1;
  /** Identities currently defined, including the empty sequence. */
  private liveCount = 1;
  /** Ids freed by `collect`, popped from the end (they were pushed in descending order: reused ascending). */
  private freeIds = new Int32Array(0);
  private freeIdCount = 0;

  // Collection (see `collect`).
  private readonly rootProviders: RootProvider[] = [];
  /** Live count that triggers the next collection (∞ until `enableCollection`). */
  private collectAt = Infinity;
  private collectMinNodes = DEFAULT_COLLECT_MIN_NODES;
  /** Requests caching `inputPrefixIds` (tracked only while collecting): a collection cuts their caches back to what others hold. */
  private readonly holders = new Set<SimRequest>();
  private collectionCount = 0;
  private createdCount = 1;

  // Tokens are not copied when they come from an immutable request input (the node points into it);
  // block contents, which the KV store overwrites on reuse, are copied into pool chunks (as are the request
  // inputs' survivors of a collection, so that a request's input is not kept alive by the interner).
  private sources: Int32Array[] = [];
  /** Whether a source is one of the interner's pool chunks (else a request input). */
  private sourceIsPool: boolean[] = [];
  private pool: Int32Array | null = null;
  private poolSourceIndex = -1;
  private poolUsed = 0;

  // Open-addressing table of node ids (0 = empty slot; the root is never stored).
  private table: Int32Array;
  private tableMask: number;

  // The previous inputPrefixIds request: prompts that share leading blocks with it (a shared system prompt)
  // take those blocks' ids by comparing tokens, which is much cheaper than hashing and probing them.
  private lastTokens: Int32Array | null = null;
  private lastIds: Int32Array | null = null;

  constructor(blockSize: number, expectedNodes = 1 << 14) {
    if (!Number.isInteger(blockSize) || blockSize <= 0) {
      throw new RangeError(`PrefixInterner: block size must be a positive integer, got ${blockSize}`);
    }
    this.blockSize = blockSize;
    const capacity = Math.max(16, expectedNodes);
    this.nodeParent = new Int32Array(capacity);
    this.nodeLength = new Int32Array(capacity);
    this.nodeHash = new Int32Array(capacity);
    this.nodeSource = new Int32Array(capacity);
    this.nodeOffset = new Int32Array(capacity);
    this.nodeParent[0] = -1;
    let tableSize = 16;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.table = new Int32Array(tableSize);
    this.tableMask = tableSize - 1;
  }

  /** Number of identities currently defined (including the empty sequence). */
  get size(): number {
    return this.liveCount;
  }

  /** Number of identities created so far, forgotten ones included (diagnostics and tests). */
  get created(): number {
    return this.createdCount;
  }

  /** Number of collections so far (diagnostics and tests). */
  get collections(): number {
    return this.collectionCount;
  }

  // ------------------------------------------------------------ collection

  /** Registers a holder of identities; called at every collection. */
  addRootProvider(provider: RootProvider): void {
    this.rootProviders.push(provider);
  }

  /**
   * From now on, `maybeCollect` collects once at least `minNodes` identities and twice as many as the previous
   * collection left are defined (amortised O(1) per identity). Only for a run whose every holder of identities is
   * a root provider, a request's `inputPrefixIds` cache, or a local of the event in progress.
   */
  enableCollection(minNodes = DEFAULT_COLLECT_MIN_NODES): void {
    if (!(Number.isInteger(minNodes) && minNodes >= 1)) {
      throw new RangeError(`PrefixInterner: collection threshold must be a positive integer, got ${minNodes}`);
    }
    this.collectMinNodes = minNodes;
    this.collectAt = Math.max(minNodes, 2 * this.liveCount);
  }

  /** Drops the request's cached prefix ids (recomputed, consistently, if asked again). */
  releaseRequest(req: SimRequest): void {
    if (req.inputPrefixIds === null) return;
    req.inputPrefixIds = null;
    this.holders.delete(req);
  }

  /** Collects when due (see `enableCollection`); only call it between events, when no identity is in transit. */
  maybeCollect(): void {
    if (this.liveCount >= this.collectAt) this.collect();
  }

  /**
   * Mark and sweep: identities reported by a root provider stay, with their ancestors, under their ids; all others
   * are forgotten and their ids reused. Requests' cached prefix ids are not roots: a cache is cut back to the ids
   * something else holds (the rest is recomputed, consistently, when next needed), so queued requests keep nothing
   * alive. Survivors' tokens leave request inputs and sparse pool chunks (see `compactSources`).
   */
  collect(): void {
    const count = this.nodeCount;
    const parents = this.nodeParent;
    const lengths = this.nodeLength;
    const marks = new Uint8Array(count);
    marks[EMPTY_SEQUENCE_ID] = 1;
    const mark: MarkId = (id) => {
      // A held identity that is not defined was forgotten earlier: its holder failed to report it.
      if (!(id >= 0 && id < count) || (lengths[id] === 0 && id !== EMPTY_SEQUENCE_ID)) {
        throw new Error(`PrefixInterner: held identity ${id} is not defined`);
      }
      for (let node = id; marks[node] === 0; node = parents[node]) marks[node] = 1;
    };
    this.lastTokens = null;
    this.lastIds = null;
    for (const provider of this.rootProviders) provider(mark);
    // Requests keep the part of their cache that something else holds (a leading run: a marked id's ancestors
    // are marked), which spares recomputing it; queued requests must not keep identities alive themselves.
    for (const req of this.holders) {
      const ids = req.inputPrefixIds;
      const held = ids === null ? 0 : heldPrefix(ids, marks);
      if (held === ids?.length) continue;
      if (held > 0) {
        req.inputPrefixIds = ids!.slice(0, held);
      } else {
        req.inputPrefixIds = null;
        this.holders.delete(req);
      }
    }

    const hashes = this.nodeHash;
    const nodeSource = this.nodeSource;
    const nodeOffset = this.nodeOffset;
    if (this.freeIds.length < count) this.freeIds = new Int32Array(this.nodeParent.length);
    const freeIds = this.freeIds;
    let freeCount = 0;
    let live = 1;
    const liveTokens = new Float64Array(this.sources.length);
    for (let id = count - 1; id > 0; id--) {
      if (marks[id] !== 0) {
        live++;
        liveTokens[nodeSource[id]] += lengths[id];
        continue;
      }
      freeIds[freeCount++] = id;
      if (lengths[id] === 0) continue; // freed by an earlier collection and not reused since
      parents[id] = 0;
      lengths[id] = 0;
      hashes[id] = 0;
      nodeSource[id] = 0;
      nodeOffset[id] = 0;
    }
    this.freeIdCount = freeCount;
    this.liveCount = live;
    this.compactSources(marks, liveTokens);
    this.rebuildTable(marks);
    this.collectAt = Math.max(this.collectMinNodes, 2 * live);
    this.collectionCount++;
  }

  /**
   * Pool chunks at least half live stay where they are; survivors in request inputs and in sparser chunks are
   * copied into the chunk being filled. Chunk memory so stays within twice the live tokens without copying every
   * survivor at every collection.
   */
  private compactSources(marks: Uint8Array, liveTokens: Float64Array): void {
    const oldSources = this.sources;
    const oldIsPool = this.sourceIsPool;
    const newIndex = new Int32Array(oldSources.length).fill(-1);
    this.sources = [];
    this.sourceIsPool = [];
    for (let c = 0; c < oldSources.length; c++) {
      if (!oldIsPool[c]) continue;
      const filled = c === this.poolSourceIndex ? this.poolUsed : oldSources[c].length;
      if (liveTokens[c] > 0 && 2 * liveTokens[c] >= filled) newIndex[c] = this.registerSource(oldSources[c], true);
    }
    if (this.poolSourceIndex >= 0 && newIndex[this.poolSourceIndex] >= 0) {
      this.poolSourceIndex = newIndex[this.poolSourceIndex];
    } else {
      this.pool = null;
      this.poolSourceIndex = -1;
      this.poolUsed = 0;
    }
    const nodeSource = this.nodeSource;
    const nodeOffset = this.nodeOffset;
    const lengths = this.nodeLength;
    for (let id = 1; id < this.nodeCount; id++) {
      if (marks[id] === 0) continue;
      const c = nodeSource[id];
      if (newIndex[c] >= 0) nodeSource[id] = newIndex[c];
      else this.copyIntoPool(id, oldSources[c], nodeOffset[id], lengths[id]);
    }
  }

  /** The lookup table of the survivors (same size: it is sized by the id space). */
  private rebuildTable(marks: Uint8Array): void {
    this.table.fill(0);
    const hashes = this.nodeHash;
    for (let id = 1; id < this.nodeCount; id++) if (marks[id] !== 0) this.placeInTable(id, hashes[id]);
  }

  /**
   * Identities of `InputTokens[0 : (i+1)·B]` for every full block i, cached on `req.inputPrefixIds`.
   * A request object must only ever be used with one interner (one run).
   */
  inputPrefixIds(req: SimRequest): Int32Array {
    const cached = req.inputPrefixIds;
    const tokens = req.inputTokens;
    const blockSize = this.blockSize;
    const blockCount = Math.floor(tokens.length / blockSize);
    // A shorter cache is the part a collection kept (see `collect`): only the rest is computed.
    if (cached !== null && cached.length === blockCount) return cached;
    const ids = new Int32Array(blockCount);
    let sourceIndex = COPY_TOKENS;
    let parent = EMPTY_SEQUENCE_ID;
    // An id is a function of the tokens it covers, so equal leading blocks have equal ids.
    let shared = 0;
    if (cached !== null) {
      ids.set(cached);
      shared = cached.length;
    }
    const lastTokens = this.lastTokens;
    const lastIds = this.lastIds;
    if (lastTokens !== null && lastIds !== null && blockCount > shared) {
      const sharedBlocks = Math.floor(sharedPrefixLength(lastTokens, tokens, Math.min(blockCount, lastIds.length) * blockSize) / blockSize);
      for (let i = shared; i < sharedBlocks; i++) ids[i] = lastIds[i];
      if (sharedBlocks > shared) shared = sharedBlocks;
    }
    if (shared > 0) parent = ids[shared - 1];
    for (let i = shared; i < blockCount; i++) {
      const offset = i * blockSize;
      const hash = hashNode(parent, tokens, offset, blockSize);
      let id = this.find(parent, tokens, offset, blockSize, hash);
      if (id < 0) {
        // A collecting interner copies: a long run drops a waiting request's tokens (they wait packed, see
        // instance/frozen-tokens.ts), and pointing into its input would keep that whole array alive until the next
        // collection (peak RSS at 300 000 requests of golden case G03: 903 MB pointing, 750 MB copying).
        if (sourceIndex === COPY_TOKENS && this.collectAt === Infinity) sourceIndex = this.registerSource(tokens, false);
        id = this.insert(parent, tokens, offset, blockSize, hash, sourceIndex);
      }
      ids[i] = id;
      parent = id;
    }
    req.inputPrefixIds = ids;
    if (this.collectAt !== Infinity) this.holders.add(req);
    this.lastTokens = tokens;
    this.lastIds = ids;
    return ids;
  }

  /**
   * Identity of `InputTokens[0 : length]` for any `0 ≤ length ≤ len(InputTokens)`; block-aligned lengths
   * reuse the cached `inputPrefixIds`.
   */
  inputPrefixId(req: SimRequest, length: number): number {
    if (!(length >= 0 && length <= req.inputTokens.length)) {
      throw new RangeError(`inputPrefixId: length ${length} outside 0…${req.inputTokens.length}`);
    }
    const blockSize = this.blockSize;
    const ids = this.inputPrefixIds(req);
    const fullBlocks = Math.floor(length / blockSize);
    const base = fullBlocks === 0 ? EMPTY_SEQUENCE_ID : ids[fullBlocks - 1];
    const tail = length - fullBlocks * blockSize;
    if (tail === 0) return base;
    return this.internNode(base, req.inputTokens, fullBlocks * blockSize, tail);
  }

  /** Identity of the whole prompt: the reference's `HashTokens(prompt)` (router key for sub-block prompts). */
  inputSequenceId(req: SimRequest): number {
    return this.inputPrefixId(req, req.inputTokens.length);
  }

  /**
   * Standalone prefix-affinity routing key (docs/reference-quirks.md, quirk 9): the last hierarchical block hash
   * of the prompt, or `HashTokens(prompt)` when the prompt is shorter than one block. The two kinds never collide.
   */
  affinityKey(req: SimRequest): number {
    const ids = this.inputPrefixIds(req);
    return ids.length > 0 ? ids[ids.length - 1] : this.inputSequenceId(req);
  }

  /** Identity of an arbitrary token sequence. */
  sequenceId(tokens: Int32Array, offset = 0, length = tokens.length - offset): number {
    const blockSize = this.blockSize;
    let id = EMPTY_SEQUENCE_ID;
    let position = offset;
    const end = offset + length;
    while (end - position >= blockSize) {
      id = this.internNode(id, tokens, position, blockSize);
      position += blockSize;
    }
    return position < end ? this.internNode(id, tokens, position, end - position) : id;
  }

  /**
   * Identity of `sequence(parentId) ++ tokens[offset : offset+length]` where `sequence(parentId)` is
   * block-aligned and `1 ≤ length ≤ B`. Tokens are copied if a new identity is created, so the caller may
   * reuse its buffer.
   */
  internNode(parentId: number, tokens: Int32Array, offset: number, length: number): number {
    const hash = hashNode(parentId, tokens, offset, length);
    const id = this.find(parentId, tokens, offset, length, hash);
    return id >= 0 ? id : this.insert(parentId, tokens, offset, length, hash, COPY_TOKENS);
  }

  /** True iff `sequence(id) = sequence(parentId) ++ (one full block)`. */
  isFullBlockChild(id: number, parentId: number): boolean {
    return id > 0 && this.nodeParent[id] === parentId && this.nodeLength[id] === this.blockSize;
  }

  /** Length in tokens of the sequence an id stands for (diagnostics and tests). */
  sequenceLength(id: number): number {
    let length = 0;
    for (let node = id; node > 0; node = this.nodeParent[node]) length += this.nodeLength[node];
    return length;
  }

  /** The token sequence an id stands for (diagnostics and tests; not for hot paths). */
  tokensOf(id: number): number[] {
    const parts: number[][] = [];
    for (let node = id; node > 0; node = this.nodeParent[node]) {
      const source = this.sources[this.nodeSource[node]];
      const offset = this.nodeOffset[node];
      parts.push(Array.from(source.subarray(offset, offset + this.nodeLength[node])));
    }
    return parts.reverse().flat();
  }

  private find(parent: number, tokens: Int32Array, offset: number, length: number, hash: number): number {
    const table = this.table;
    const mask = this.tableMask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = table[slot];
      if (id === 0) return -1;
      if (
        this.nodeHash[id] === hash &&
        this.nodeParent[id] === parent &&
        this.nodeLength[id] === length &&
        this.sameTokens(id, tokens, offset, length)
      ) {
        return id;
      }
    }
  }

  private sameTokens(id: number, tokens: Int32Array, offset: number, length: number): boolean {
    const stored = this.sources[this.nodeSource[id]];
    const storedOffset = this.nodeOffset[id];
    for (let k = 0; k < length; k++) {
      if (stored[storedOffset + k] !== tokens[offset + k]) return false;
    }
    return true;
  }

  private insert(
    parent: number,
    tokens: Int32Array,
    offset: number,
    length: number,
    hash: number,
    sourceIndex: number,
  ): number {
    let id: number;
    if (this.freeIdCount > 0) {
      id = this.freeIds[--this.freeIdCount];
    } else {
      if (this.nodeCount === this.nodeParent.length) this.growNodes();
      id = this.nodeCount++;
    }
    this.liveCount++;
    this.createdCount++;
    this.nodeParent[id] = parent;
    this.nodeLength[id] = length;
    this.nodeHash[id] = hash;
    if (sourceIndex === COPY_TOKENS) {
      this.copyIntoPool(id, tokens, offset, length);
    } else {
      this.nodeSource[id] = sourceIndex;
      this.nodeOffset[id] = offset;
    }
    if (this.nodeCount * 2 > this.table.length) this.growTable();
    else this.placeInTable(id, hash);
    return id;
  }

  private copyIntoPool(id: number, tokens: Int32Array, offset: number, length: number): void {
    if (this.pool === null || this.poolUsed + length > this.pool.length) {
      this.pool = new Int32Array(Math.max(POOL_CHUNK_TOKENS, length));
      this.poolSourceIndex = this.registerSource(this.pool, true);
      this.poolUsed = 0;
    }
    const pool = this.pool;
    const base = this.poolUsed;
    for (let k = 0; k < length; k++) pool[base + k] = tokens[offset + k];
    this.nodeSource[id] = this.poolSourceIndex;
    this.nodeOffset[id] = base;
    this.poolUsed = base + length;
  }

  private registerSource(tokens: Int32Array, isPool: boolean): number {
    this.sourceIsPool.push(isPool);
    return this.sources.push(tokens) - 1;
  }

  private placeInTable(id: number, hash: number): void {
    const table = this.table;
    const mask = this.tableMask;
    let slot = hash & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = id;
  }

  private growNodes(): void {
    const capacity = this.nodeParent.length * 2;
    this.nodeParent = grow(this.nodeParent, capacity);
    this.nodeLength = grow(this.nodeLength, capacity);
    this.nodeHash = grow(this.nodeHash, capacity);
    this.nodeSource = grow(this.nodeSource, capacity);
    this.nodeOffset = grow(this.nodeOffset, capacity);
  }

  private growTable(): void {
    this.table = new Int32Array(this.table.length * 2);
    this.tableMask = this.table.length - 1;
    // Free ids (length 0) are not in the table.
    for (let id = 1; id < this.nodeCount; id++) if (this.nodeLength[id] !== 0) this.placeInTable(id, this.nodeHash[id]);
  }
}

/**
 * Builds the identity of a concatenation of token runs of arbitrary lengths (e.g. KV block contents) without
 * materialising it. Whole blocks that arrive block-aligned are interned straight from their storage.
 */
export class SequenceIdBuilder {
  private readonly interner: PrefixInterner;
  private readonly pending: Int32Array;
  private pendingLength = 0;
  private id = EMPTY_SEQUENCE_ID;

  constructor(interner: PrefixInterner) {
    this.interner = interner;
    this.pending = new Int32Array(interner.blockSize);
  }

  /** Start from `sequence(alignedPrefixId)`, which must be block-aligned. */
  reset(alignedPrefixId = EMPTY_SEQUENCE_ID): void {
    this.id = alignedPrefixId;
    this.pendingLength = 0;
  }

  append(tokens: Int32Array, offset: number, length: number): void {
    const blockSize = this.interner.blockSize;
    let position = offset;
    const end = offset + length;
    while (position < end) {
      if (this.pendingLength === 0 && end - position >= blockSize) {
        this.id = this.interner.internNode(this.id, tokens, position, blockSize);
        position += blockSize;
        continue;
      }
      const take = Math.min(blockSize - this.pendingLength, end - position);
      for (let k = 0; k < take; k++) this.pending[this.pendingLength + k] = tokens[position + k];
      this.pendingLength += take;
      position += take;
      if (this.pendingLength === blockSize) {
        this.id = this.interner.internNode(this.id, this.pending, 0, blockSize);
        this.pendingLength = 0;
      }
    }
  }

  /** Identity of everything appended since `reset`. */
  finish(): number {
    if (this.pendingLength === 0) return this.id;
    return this.interner.internNode(this.id, this.pending, 0, this.pendingLength);
  }
}

/** Number of leading marked ids. */
function heldPrefix(ids: Int32Array, marks: Uint8Array): number {
  let held = 0;
  while (held < ids.length && marks[ids[held]] !== 0) held++;
  return held;
}

/** Length of the common prefix of `a` and `b`, at most `limit` (≤ both lengths). */
function sharedPrefixLength(a: Int32Array, b: Int32Array, limit: number): number {
  let k = 0;
  while (k < limit && a[k] === b[k]) k++;
  return k;
}

function grow(array: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}

/** MurmurHash3-style mix of (parent, length, tokens); only used to find candidates, never trusted alone. */
function hashNode(parent: number, tokens: Int32Array, offset: number, length: number): number {
  let h = parent ^ 0x5bd1e995;
  for (let k = 0; k < length; k++) {
    let t = Math.imul(tokens[offset + k], 0xcc9e2d51);
    t = (t << 15) | (t >>> 17);
    t = Math.imul(t, 0x1b873593);
    h ^= t;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
