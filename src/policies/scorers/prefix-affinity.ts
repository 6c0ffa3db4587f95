import { ABSENT, Int32Map } from '../../int32-map.js';
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
 *
 * Per-prefix state lives in slots: an id present in some instance's index has one (found through an Int32Map), and
 * the slot is recycled when the id leaves the last index, so memory follows the indexes' capacity, not the ids a
 * run creates. A log entry names a slot: an entry that outlived its slot's owner never matches, because every
 * stamp of a freed slot is 0 and a new owner only gets later stamps.
 */
export class RouterPrefixIndex {
  private readonly numInstances: number;
  private readonly words: number;
  /** id + 1 → slot (the map cannot store key 0; ids are ≥ 0). */
  private readonly slotOf = new Int32Map();
  /** slot → id; −1 = free. */
  private slotIds: Int32Array;
  /** stamps[slot·numInstances + instance]; 0 = absent. */
  private stamps: Float64Array;
  /** membership[slot·words + w] bit b ⇔ the slot's id is present in instance 32w + b (Int32: small ints). */
  private membership: Int32Array;
  private slotCapacity = 1024;
  /** Slots ever used; freed ones are reused first (LIFO). */
  private slotCount = 0;
  private freeSlots: Int32Array;
  private freeSlotCount = 0;
  private readonly counters: Float64Array;
  private readonly sizes: Int32Array;
  private readonly logSlots: Int32Array[] = [];
  private readonly logStamps: Float64Array[] = [];
  private readonly logHead: Int32Array;
  private readonly logTail: Int32Array;

  private readonly capacity: number;

  constructor(numInstances: number, capacity = ROUTER_PREFIX_INDEX_CAPACITY) {
    this.numInstances = numInstances;
    this.capacity = capacity;
    this.words = Math.ceil(numInstances / 32);
    this.slotIds = new Int32Array(this.slotCapacity).fill(-1);
    this.stamps = new Float64Array(this.slotCapacity * numInstances);
    this.membership = new Int32Array(this.slotCapacity * this.words);
    this.freeSlots = new Int32Array(this.slotCapacity);
    this.counters = new Float64Array(numInstances);
    this.sizes = new Int32Array(numInstances);
    this.logHead = new Int32Array(numInstances);
    this.logTail = new Int32Array(numInstances);
    for (let i = 0; i < numInstances; i++) {
      this.logSlots.push(new Int32Array(256));
      this.logStamps.push(new Float64Array(256));
    }
  }

  /** Whether `id` is in the index of `instance` (tests). */
  has(id: number, instance: number): boolean {
    const slot = this.slotOf.get(id + 1);
    return slot !== ABSENT && this.stamps[slot * this.numInstances + instance] !== 0;
  }

  size(instance: number): number {
    return this.sizes[instance];
  }

  /** Ids present in at least one instance's index (= slots in use). */
  get distinctIds(): number {
    return this.slotOf.size;
  }

  /** Slots ever used: bounds the per-slot tables (tests). */
  get slotsUsed(): number {
    return this.slotCount;
  }

  /** membership word `w` of prefix `id` (0 when it is in no index). */
  mask(id: number, w: number): number {
    const slot = this.slotOf.get(id + 1);
    return slot === ABSENT ? 0 : this.membership[slot * this.words + w] >>> 0;
  }

  /** Reports every id present in some instance's index (PrefixInterner collection). */
  markIds(mark: (id: number) => void): void {
    const slotIds = this.slotIds;
    for (let slot = 0; slot < this.slotCount; slot++) if (slotIds[slot] >= 0) mark(slotIds[slot]);
  }

  /** The observer: touch every block of the routed request in the chosen instance's index. */
  touch(ids: Int32Array, instance: number): void {
    const count = ids.length;
    if (count === 0) return;
    const n = this.numInstances;
    const words = this.words;
    const word = instance >>> 5;
    const bit = 1 << (instance & 31);
    const capacity = this.capacity;
    // Room for every entry of this call up front, so the loop below never reorganises the log.
    if (this.logTail[instance] + count > this.logSlots[instance].length) this.makeLogRoom(instance, count);
    const logSlots = this.logSlots[instance];
    const logStamps = this.logStamps[instance];
    let tail = this.logTail[instance];
    let stamp = this.counters[instance];
    for (let k = 0; k < count; k++) {
      const id = ids[k];
      stamp++;
      let slot = this.slotOf.get(id + 1);
      if (slot === ABSENT || this.stamps[slot * n + instance] === 0) {
        // Evicting first may free a slot for this id (never this id's own: it is not in this instance's index).
        if (this.sizes[instance] >= capacity) this.evictOldest(instance, word, bit);
        if (slot === ABSENT) slot = this.takeSlot(id);
        this.sizes[instance]++;
        this.membership[slot * words + word] |= bit;
      }
      this.stamps[slot * n + instance] = stamp;
      logSlots[tail] = slot;
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
    const slotOf = this.slotOf;
    if (words === 1) {
      let alive = this.fullWord(0);
      for (let k = 0; k < total; k++) {
        const slot = slotOf.get(ids[k] + 1);
        const after = slot === ABSENT ? 0 : alive & membership[slot];
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
      const slot = slotOf.get(ids[k] + 1);
      anyAlive = false;
      for (let w = 0; w < words; w++) {
        const before = alive[w];
        if (before === 0) continue;
        const after = slot === ABSENT ? 0 : before & membership[slot * words + w];
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
    const slots = this.logSlots[instance];
    const stamps = this.logStamps[instance];
    for (;;) {
      const head = this.logHead[instance]++;
      const slot = slots[head];
      const at = slot * this.numInstances + instance;
      if (this.stamps[at] !== stamps[head]) continue; // superseded by a later touch
      this.stamps[at] = 0;
      this.sizes[instance]--;
      this.membership[slot * this.words + word] &= ~bit;
      if (this.inNoIndex(slot)) this.freeSlot(slot);
      return;
    }
  }

  private inNoIndex(slot: number): boolean {
    const base = slot * this.words;
    for (let w = 0; w < this.words; w++) if (this.membership[base + w] !== 0) return false;
    return true;
  }

  /** A slot for `id`, which has none: a recycled one if any, else a new one. */
  private takeSlot(id: number): number {
    let slot: number;
    if (this.freeSlotCount > 0) {
      slot = this.freeSlots[--this.freeSlotCount];
    } else {
      if (this.slotCount === this.slotCapacity) this.growSlots();
      slot = this.slotCount++;
    }
    this.slotIds[slot] = id;
    this.slotOf.set(id + 1, slot);
    return slot;
  }

  /** Its id left the last index: every stamp and membership bit of the slot is 0 already. */
  private freeSlot(slot: number): void {
    this.slotOf.delete(this.slotIds[slot] + 1);
    this.slotIds[slot] = -1;
    this.freeSlots[this.freeSlotCount++] = slot;
  }

  /**
   * Makes room for `needed` more log entries: drops consumed and superseded entries (at most `size` stay live;
   * eviction skips superseded entries anyway, so dropping them changes nothing), then grows while over half full.
   */
  private makeLogRoom(instance: number, needed: number): void {
    let slots = this.logSlots[instance];
    let stamps = this.logStamps[instance];
    const n = this.numInstances;
    let live = 0;
    for (let i = this.logHead[instance]; i < this.logTail[instance]; i++) {
      if (this.stamps[slots[i] * n + instance] === stamps[i]) {
        slots[live] = slots[i];
        stamps[live] = stamps[i];
        live++;
      }
    }
    let length = slots.length;
    while (live * 2 > length || live + needed > length) length *= 2;
    if (length !== slots.length) {
      const newSlots = new Int32Array(length);
      const newStamps = new Float64Array(length);
      newSlots.set(slots.subarray(0, live));
      newStamps.set(stamps.subarray(0, live));
      this.logSlots[instance] = slots = newSlots;
      this.logStamps[instance] = stamps = newStamps;
    }
    this.logHead[instance] = 0;
    this.logTail[instance] = live;
  }

  private growSlots(): void {
    const capacity = this.slotCapacity * 2;
    const slotIds = new Int32Array(capacity).fill(-1);
    slotIds.set(this.slotIds);
    const stamps = new Float64Array(capacity * this.numInstances);
    stamps.set(this.stamps);
    const membership = new Int32Array(capacity * this.words);
    membership.set(this.membership);
    const freeSlots = new Int32Array(capacity);
    freeSlots.set(this.freeSlots);
    this.slotIds = slotIds;
    this.stamps = stamps;
    this.membership = membership;
    this.freeSlots = freeSlots;
    this.slotCapacity = capacity;
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
    ctx.retainIds?.((mark) => index.markIds(mark));
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
