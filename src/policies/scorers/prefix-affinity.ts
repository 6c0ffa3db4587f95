import type { ScorerFactory } from './types.js';

/** Router-side approximate prefix cache per instance (policies.md §5). */
export const ROUTER_PREFIX_INDEX_CAPACITY = 10000;

/**
 * Router-side prefix index of all instances (policies.md §5): per instance, prefix id → last-touch stamp with a
 * per-instance counter, capacity-bounded by evicting the smallest stamp.
 *
 * Stamps only grow, so the smallest live stamp is the oldest entry of a per-instance touch log (lazy deletion:
 * log entries whose stamp no longer matches are skipped). Membership is mirrored in per-prefix bitmasks over
 * instances so that scoring walks the prompt's blocks once for all instances.
 */
export class RouterPrefixIndex {
  private readonly numInstances: number;
  private readonly words: number;
  /** stamps[id·numInstances + instance]; 0 = absent. */
  private stamps: Float64Array;
  /** membership[id·words + w] bit b ⇔ id is present in instance 32w + b. */
  private membership: Uint32Array;
  private idCapacity = 1024;
  private readonly counters: Float64Array;
  private readonly sizes: Int32Array;
  private readonly logIds: Int32Array[] = [];
  private readonly logStamps: Float64Array[] = [];
  private readonly logHead: Int32Array;
  private readonly logTail: Int32Array;

  private readonly capacity: number;

  constructor(numInstances: number, capacity = ROUTER_PREFIX_INDEX_CAPACITY) {
    this.numInstances = numInstances;
    this.capacity = capacity;
    this.words = Math.ceil(numInstances / 32);
    this.stamps = new Float64Array(this.idCapacity * numInstances);
    this.membership = new Uint32Array(this.idCapacity * this.words);
    this.counters = new Float64Array(numInstances);
    this.sizes = new Int32Array(numInstances);
    this.logHead = new Int32Array(numInstances);
    this.logTail = new Int32Array(numInstances);
    for (let i = 0; i < numInstances; i++) {
      this.logIds.push(new Int32Array(256));
      this.logStamps.push(new Float64Array(256));
    }
  }

  /** Whether `id` is in the index of `instance` (tests). */
  has(id: number, instance: number): boolean {
    return id < this.idCapacity && this.stamps[id * this.numInstances + instance] !== 0;
  }

  size(instance: number): number {
    return this.sizes[instance];
  }

  /** membership word `w` of prefix `id` (0 when the id was never stored). */
  mask(id: number, w: number): number {
    return id < this.idCapacity ? this.membership[id * this.words + w] : 0;
  }

  /** The observer: touch every block of the routed request in the chosen instance's index. */
  touch(ids: Int32Array, instance: number): void {
    const n = this.numInstances;
    const word = instance >>> 5;
    const bit = (1 << (instance & 31)) >>> 0;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (id >= this.idCapacity) this.grow(id);
      const stamp = ++this.counters[instance];
      const slot = id * n + instance;
      if (this.stamps[slot] === 0) {
        if (this.sizes[instance] >= this.capacity) this.evictOldest(instance, word, bit);
        this.sizes[instance]++;
        this.membership[id * this.words + word] |= bit;
      }
      this.stamps[slot] = stamp;
      this.appendLog(instance, id, stamp);
    }
  }

  private evictOldest(instance: number, word: number, bit: number): void {
    const ids = this.logIds[instance];
    const stamps = this.logStamps[instance];
    for (;;) {
      const head = this.logHead[instance]++;
      const id = ids[head];
      const slot = id * this.numInstances + instance;
      if (this.stamps[slot] !== stamps[head]) continue; // superseded by a later touch
      this.stamps[slot] = 0;
      this.sizes[instance]--;
      this.membership[id * this.words + word] &= ~bit;
      return;
    }
  }

  private appendLog(instance: number, id: number, stamp: number): void {
    let ids = this.logIds[instance];
    let stamps = this.logStamps[instance];
    if (this.logTail[instance] === ids.length) {
      // Drop consumed and superseded entries (at most `size` stay live), then grow if still over half full.
      const n = this.numInstances;
      let live = 0;
      for (let i = this.logHead[instance]; i < this.logTail[instance]; i++) {
        if (this.stamps[ids[i] * n + instance] === stamps[i]) {
          ids[live] = ids[i];
          stamps[live] = stamps[i];
          live++;
        }
      }
      if (live * 2 > ids.length) {
        const newIds = new Int32Array(ids.length * 2);
        const newStamps = new Float64Array(ids.length * 2);
        newIds.set(ids.subarray(0, live));
        newStamps.set(stamps.subarray(0, live));
        this.logIds[instance] = ids = newIds;
        this.logStamps[instance] = stamps = newStamps;
      }
      this.logHead[instance] = 0;
      this.logTail[instance] = live;
    }
    const tail = this.logTail[instance]++;
    ids[tail] = id;
    stamps[tail] = stamp;
  }

  private grow(id: number): void {
    let capacity = this.idCapacity;
    while (capacity <= id) capacity *= 2;
    const stamps = new Float64Array(capacity * this.numInstances);
    stamps.set(this.stamps);
    const membership = new Uint32Array(capacity * this.words);
    membership.set(this.membership);
    this.stamps = stamps;
    this.membership = membership;
    this.idCapacity = capacity;
  }
}

/** Score = leading prompt blocks present in the instance's router-side index / number of full blocks. */
export const createPrefixAffinityScorer: ScorerFactory = (ctx) => {
  const numInstances = ctx.numInstances;
  const words = Math.ceil(numInstances / 32);
  const index = new RouterPrefixIndex(numInstances);
  const alive = new Uint32Array(words);
  return {
    score(req, _state, out) {
      const ids = ctx.prefixIds(req);
      const total = ids.length;
      if (total === 0) {
        out.fill(0, 0, numInstances);
        return;
      }
      // Instances still matching every block so far; an instance dropping out at block k matched k blocks.
      const partialBits = numInstances % 32;
      for (let w = 0; w < words; w++) alive[w] = w < words - 1 || partialBits === 0 ? 0xffffffff : (1 << partialBits) - 1;
      let anyAlive = true;
      for (let k = 0; k < total && anyAlive; k++) {
        const id = ids[k];
        anyAlive = false;
        for (let w = 0; w < words; w++) {
          const before = alive[w];
          if (before === 0) continue;
          const after = (before & index.mask(id, w)) >>> 0;
          let dropped = (before & ~after) >>> 0;
          while (dropped !== 0) {
            const bit = 31 - Math.clz32(dropped);
            out[32 * w + bit] = k / total;
            dropped = (dropped & ~(1 << bit)) >>> 0;
          }
          alive[w] = after;
          if (after !== 0) anyAlive = true;
        }
      }
      for (let w = 0; w < words; w++) {
        let remaining = alive[w];
        while (remaining !== 0) {
          const bit = 31 - Math.clz32(remaining);
          out[32 * w + bit] = 1; // all blocks matched: total / total
          remaining = (remaining & ~(1 << bit)) >>> 0;
        }
      }
    },
    observe(req, target) {
      index.touch(ctx.prefixIds(req), target);
    },
  };
};
