// A map from non-zero int32 keys to non-negative int32 values in two Int32Arrays: the KV stores' hash → block
// table and the router prefix index's id → slot table. No per-entry allocation, unlike a Map, and no boxing.

/** What `get` returns for a key that is not in the map (values are never negative). */
export const ABSENT = -1;

/**
 * Open addressing with linear probing (Fibonacci hashing of the key) and backward-shift deletion, so deletions
 * leave no tombstones. Key 0 marks an empty slot and cannot be stored.
 */
export class Int32Map {
  private keys: Int32Array;
  private vals: Int32Array;
  private shift: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let bits = 4;
    while (1 << bits < initialCapacity) bits++;
    this.keys = new Int32Array(1 << bits);
    this.vals = new Int32Array(1 << bits);
    this.shift = 32 - bits;
  }

  get size(): number {
    return this.count;
  }

  /** The value mapped to `key`, or ABSENT. */
  get(key: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let slot = Math.imul(key, 0x9e3779b1) >>> this.shift; ; slot = (slot + 1) & mask) {
      const stored = keys[slot];
      if (stored === key) return this.vals[slot];
      if (stored === 0) return ABSENT;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== ABSENT;
  }

  set(key: number, value: number): void {
    const keys = this.keys;
    const mask = keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const stored = keys[slot];
      if (stored === key) {
        this.vals[slot] = value;
        return;
      }
      if (stored === 0) break;
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    this.vals[slot] = value;
    if (++this.count * 2 > keys.length) this.grow();
  }

  delete(key: number): boolean {
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    const shift = this.shift;
    let hole = Math.imul(key, 0x9e3779b1) >>> shift;
    for (;;) {
      const stored = keys[hole];
      if (stored === key) break;
      if (stored === 0) return false;
      hole = (hole + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole unless their home slot lies after it.
    for (let slot = (hole + 1) & mask; ; slot = (slot + 1) & mask) {
      const stored = keys[slot];
      if (stored === 0) break;
      const home = Math.imul(stored, 0x9e3779b1) >>> shift;
      const stays = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot;
      if (stays) continue;
      keys[hole] = stored;
      vals[hole] = vals[slot];
      hole = slot;
    }
    keys[hole] = 0;
    this.count--;
    return true;
  }

  /** Calls `visit` with every key, in no particular order. */
  forEachKey(visit: (key: number) => void): void {
    const keys = this.keys;
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== 0) visit(keys[slot]);
  }

  /** [key, value] pairs, in no particular order (invariant checks, tests). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let slot = 0; slot < this.keys.length; slot++) {
      if (this.keys[slot] !== 0) out.push([this.keys[slot], this.vals[slot]]);
    }
    return out;
  }

  values(): IterableIterator<number> {
    return this.entries()
      .map((entry) => entry[1])
      [Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[number, number]> {
    return this.entries()[Symbol.iterator]();
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.vals = new Int32Array(oldKeys.length * 2);
    this.shift--;
    this.count = 0;
    for (let slot = 0; slot < oldKeys.length; slot++) {
      if (oldKeys[slot] !== 0) this.set(oldKeys[slot], oldVals[slot]);
    }
  }
}
