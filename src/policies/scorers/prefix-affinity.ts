import { definePolicy } from '../policy.js';

/** Router-side approximate prefix cache per instance (docs/spec-notes.md, Router prefix index). */
export const ROUTER_PREFIX_INDEX_CAPACITY = 10000;

/**
 * Router-side prefix index of all instances (docs/spec-notes.md, Router prefix index): per instance, prefix id →
 * last-touch stamp with a per-instance counter, capacity-bounded by evicting the smallest stamp.
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
  /** membership[id·words + w] bit b ⇔ id is present in instance 32w + b (Int32 so every word stays a small int). */
  private membership: Int32Array;
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
    this.membership = new Int32Array(this.idCapacity * this.words);
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
    return id < this.idCapacity ? this.membership[id * this.words + w] >>> 0 : 0;
  }

  /** The observer: touch every block of the routed request in the chosen instance's index. */
  touch(ids: Int32Array, instance: number): void {
    const count = ids.length;
    if (count === 0) return;
    const n = this.numInstances;
    const words = this.words;
    const word = instance >>> 5;
    const bit = 1 << (instance & 31);
    // Room for every entry of this call up front, so the loop below never reorganises the log.
    if (this.logTail[instance] + count > this.logIds[instance].length) this.makeLogRoom(instance, count);
    const logIds = this.logIds[instance];
    const logStamps = this.logStamps[instance];
    let tail = this.logTail[instance];
    let stamp = this.counters[instance];
    let stamps = this.stamps;
    for (let k = 0; k < count; k++) {
      const id = ids[k];
      if (id >= this.idCapacity) {
        this.grow(id);
        stamps = this.stamps;
      }
      stamp++;
      const slot = id * n + instance;
      if (stamps[slot] === 0) {
        if (this.sizes[instance] >= this.capacity) this.evictOldest(instance, word, bit);
        this.sizes[instance]++;
        this.membership[id * words + word] |= bit;
      }
      stamps[slot] = stamp;
      logIds[tail] = id;
      logStamps[tail] = stamp;
      tail++;
    }
    this.counters[instance] = stamp;
    this.logTail[instance] = tail;
  }

  /**
   * out[i] = (number of leading `ids` present in instance i's index) / ids.length, for every instance at once:
   * instances still matching every block so far are tracked as bits; one dropping out at block k matched k blocks.
   * `ids` must not be empty.
   */
  matchFractions(ids: Int32Array, out: Float64Array): void {
    const total = ids.length;
    const words = this.words;
    const membership = this.membership;
    const idCapacity = this.idCapacity;
    if (words === 1) {
      let alive = this.fullWord(0);
      for (let k = 0; k < total; k++) {
        const id = ids[k];
        const after = id < idCapacity ? alive & membership[id] : 0;
        if (after !== alive) {
          setBits(out, 0, alive & ~after, k / total);
          alive = after;
          if (alive === 0) return;
        }
      }
      setBits(out, 0, alive, 1); // all blocks matched: total / total
      return;
    }
    const alive = new Int32Array(words);
    for (let w = 0; w < words; w++) alive[w] = this.fullWord(w);
    let anyAlive = true;
    for (let k = 0; k < total && anyAlive; k++) {
      const id = ids[k];
      anyAlive = false;
      for (let w = 0; w < words; w++) {
        const before = alive[w];
        if (before === 0) continue;
        const after = id < idCapacity ? before & membership[id * words + w] : 0;
        if (after !== before) setBits(out, 32 * w, before & ~after, k / total);
        alive[w] = after;
        if (after !== 0) anyAlive = true;
      }
    }
    for (let w = 0; w < words; w++) setBits(out, 32 * w, alive[w], 1);
  }

  /** Bits of the instances in membership word `w`. */
  private fullWord(w: number): number {
    const bits = this.numInstances - 32 * w;
    return bits >= 32 ? -1 : (1 << bits) - 1;
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

  /**
   * Makes room for `needed` more log entries: drops consumed and superseded entries (at most `size` stay live;
   * eviction skips superseded entries anyway, so dropping them changes nothing), then grows while over half full.
   */
  private makeLogRoom(instance: number, needed: number): void {
    let ids = this.logIds[instance];
    let stamps = this.logStamps[instance];
    const n = this.numInstances;
    let live = 0;
    for (let i = this.logHead[instance]; i < this.logTail[instance]; i++) {
      if (this.stamps[ids[i] * n + instance] === stamps[i]) {
        ids[live] = ids[i];
        stamps[live] = stamps[i];
        live++;
      }
    }
    let length = ids.length;
    while (live * 2 > length || live + needed > length) length *= 2;
    if (length !== ids.length) {
      const newIds = new Int32Array(length);
      const newStamps = new Float64Array(length);
      newIds.set(ids.subarray(0, live));
      newStamps.set(stamps.subarray(0, live));
      this.logIds[instance] = ids = newIds;
      this.logStamps[instance] = stamps = newStamps;
    }
    this.logHead[instance] = 0;
    this.logTail[instance] = live;
  }

  private grow(id: number): void {
    let capacity = this.idCapacity;
    while (capacity <= id) capacity *= 2;
    const stamps = new Float64Array(capacity * this.numInstances);
    stamps.set(this.stamps);
    const membership = new Int32Array(capacity * this.words);
    membership.set(this.membership);
    this.stamps = stamps;
    this.membership = membership;
    this.idCapacity = capacity;
  }
}

/** out[base + b] = value for every set bit b of `bits`. */
function setBits(out: Float64Array, base: number, bits: number, value: number): void {
  while (bits !== 0) {
    const bit = 31 - Math.clz32(bits);
    out[base + bit] = value;
    bits &= ~(1 << bit);
  }
}

/** Score = leading prompt blocks present in the instance's router-side index / number of full blocks. */
export const prefixAffinityScorer = definePolicy({
  axis: 'scorer',
  name: 'prefix-affinity',
  description: 'share of the prompt\'s leading blocks the router believes each instance caches',
  params: {},
  create(_params, ctx) {
    const numInstances = ctx.numInstances;
    const index = new RouterPrefixIndex(numInstances);
    // The engine hands out its own Int32Array prefix ids; the view type only keeps plugins from writing them.
    const prefixIds = ctx.prefixIds as (req: Parameters<typeof ctx.prefixIds>[0]) => Int32Array;
    return {
      score(req, _cluster, out) {
        const ids = prefixIds(req);
        if (ids.length === 0) out.fill(0, 0, numInstances);
        else index.matchFractions(ids, out);
      },
      observe(req, target) {
        index.touch(prefixIds(req), target);
      },
    };
  },
});
