// Bit-exact port of Go's math/rand v1 generator (docs/spec-notes.md, Random numbers).
// State is the 607-entry int64 vector split into int32 halves, so draws use only 32-bit integer arithmetic
// (no BigInt, no doubles): the token hot path runs at a few ns per draw.
import { goLog } from './go-math.js';
import { ServesimError } from '../errors.js';
import { GO_RAND_TABLES as T } from './tables.js';

const LEN = T.length; // 607
const INT32_MAX = 2147483647;
const TWO_POW_32 = 4294967296;
const TWO_POW_63 = 9223372036854775808;
const ZERO_SEED_REPLACEMENT = 89482311;
/** Go evaluates `1.0 / rn` as an exact constant; this is its correctly rounded value (verified in tests). */
const INV_RN = 0.29047645161474317;
const RN = 3.442619855899;
const RE = 7.69711747013104972;
/** Largest accepted Int31 for Intn(TOKEN_VOCABULARY): (2^31-1) - (2^31 mod n). */
export const TOKEN_VOCABULARY = 128000;
const TOKEN_DRAW_MAX = INT32_MAX - (2147483648 % TOKEN_VOCABULARY);

/** Seed type accepted everywhere: an int64 as bigint, or a safe integer. */
export type Int64Seed = bigint | number;

export function toInt64Seed(seed: Int64Seed): bigint {
  const value = typeof seed === 'bigint' ? seed : Number.isSafeInteger(seed) ? BigInt(seed) : undefined;
  if (value === undefined || BigInt.asIntN(64, value) !== value) {
    throw new ServesimError(`seed must be an int64 integer, got ${String(seed)}`);
  }
  return value;
}

/** One step of Go's seedrand (Schrage's method for x·48271 mod (2^31-1)). */
function seedStep(x: number): number {
  const hi = Math.trunc(x / 44488);
  const lo = x % 44488;
  x = 48271 * lo - 3399 * hi;
  if (x < 0) x += INT32_MAX;
  return x;
}

/** `rand.New(rand.NewSource(seed))`. */
export class GoRand {
  private readonly hi = new Int32Array(LEN);
  /** Low halves, stored as int32 bit patterns. */
  private readonly lo = new Int32Array(LEN);
  private tap = 0;
  private feed = LEN - T.tap;
  /** Low 32 bits (as uint32) of the last Uint64 produced by next(). */
  private lastLow = 0;

  constructor(seed: Int64Seed) {
    let s = Number(toInt64Seed(seed) % BigInt(INT32_MAX));
    if (s < 0) s += INT32_MAX;
    if (s === 0) s = ZERO_SEED_REPLACEMENT;
    let x = s;
    for (let i = -20; i < LEN; i++) {
      x = seedStep(x);
      if (i >= 0) {
        // u = x1<<40 ^ x2<<20 ^ x3 ^ cooked[i], as 64-bit halves.
        const x1 = x;
        const x2 = (x = seedStep(x));
        const x3 = (x = seedStep(x));
        this.hi[i] = (x1 << 8) ^ (x2 >>> 12) ^ T.cookedHi[i]!;
        this.lo[i] = (x2 << 20) ^ x3 ^ T.cookedLo[i]!;
      }
    }
  }

  /** Advances the generator; returns the high 32 bits of the new Uint64 (as int32), the low half goes to lastLow. */
  private next(): number {
    let tap = this.tap - 1;
    if (tap < 0) tap += LEN;
    let feed = this.feed - 1;
    if (feed < 0) feed += LEN;
    this.tap = tap;
    this.feed = feed;
    const a = this.lo[feed]!;
    const b = this.lo[tap]!;
    const lo = (a + b) | 0;
    const carry = ((a & b) | ((a | b) & ~lo)) >>> 31; // carry out of bit 31 of a + b
    const hi = (this.hi[feed]! + this.hi[tap]! + carry) | 0;
    this.lo[feed] = lo;
    this.hi[feed] = hi;
    this.lastLow = lo >>> 0;
    return hi;
  }

  uint64(): bigint {
    const hi = this.next();
    return (BigInt(hi >>> 0) << 32n) | BigInt(this.lastLow);
  }

  int63(): bigint {
    const hi = this.next();
    return (BigInt(hi & 0x7fffffff) << 32n) | BigInt(this.lastLow);
  }

  int31(): number {
    return this.next() & 0x7fffffff;
  }

  uint32(): number {
    const hi = this.next();
    return (((hi & 0x7fffffff) << 1) | (this.lastLow >>> 31)) >>> 0;
  }

  /** Int63() as a float64 divided by 2^63, redrawn when it rounds to 1.0. */
  float64(): number {
    for (;;) {
      const hi = this.next();
      // hi·2^32 is exact; adding the low word rounds once, to nearest-even, as Go's conversion does.
      const f = ((hi & 0x7fffffff) * TWO_POW_32 + this.lastLow) / TWO_POW_63;
      if (f !== 1) return f;
    }
  }

  int31n(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > INT32_MAX) {
      throw new RangeError(`int31n: n must be an integer in [1, 2^31-1], got ${n}`);
    }
    if ((n & (n - 1)) === 0) return this.int31() & (n - 1);
    const max = INT32_MAX - (2147483648 % n);
    let v = this.int31();
    while (v > max) v = this.int31();
    return v % n;
  }

  /** Go's Rand.Intn for n ≤ 2^31-1 (the only range BLIS uses). */
  intn(n: number): number {
    return this.int31n(n);
  }

  int63n(n: bigint): bigint {
    if (n <= 0n || n > 0x7fffffffffffffffn) throw new RangeError(`int63n: n must be in [1, 2^63-1], got ${n}`);
    if ((n & (n - 1n)) === 0n) return this.int63() & (n - 1n);
    const max = 0x7fffffffffffffffn - ((1n << 63n) % n);
    let v = this.int63();
    while (v > max) v = this.int63();
    return v % n;
  }

  /**
   * Fills dst[start, start+count) with Intn(128000) draws — the token-ID hot path, inlined so that a
   * million draws cost a few milliseconds.
   */
  fillTokens(dst: Int32Array, start: number, count: number): void {
    const hiVec = this.hi;
    const loVec = this.lo;
    let tap = this.tap;
    let feed = this.feed;
    const end = start + count;
    let k = start;
    while (k < end) {
      if (--tap < 0) tap = LEN - 1;
      if (--feed < 0) feed = LEN - 1;
      const a = loVec[feed]!;
      const b = loVec[tap]!;
      const lo = (a + b) | 0;
      const hi = (hiVec[feed]! + hiVec[tap]! + (((a & b) | ((a | b) & ~lo)) >>> 31)) | 0;
      loVec[feed] = lo;
      hiVec[feed] = hi;
      const v = hi & 0x7fffffff;
      if (v <= TOKEN_DRAW_MAX) dst[k++] = v % TOKEN_VOCABULARY;
    }
    this.tap = tap;
    this.feed = feed;
  }

  normFloat64(): number {
    const { kn, wn, fn } = T;
    for (;;) {
      const j = this.uint32() | 0;
      const i = j & 0x7f;
      let x = j * wn[i]!;
      const absJ = j < 0 ? -j : j;
      if (absJ < kn[i]!) return x;
      if (i === 0) {
        for (;;) {
          x = -goLog(this.float64()) * INV_RN;
          const y = -goLog(this.float64());
          if (y + y >= x * x) break;
        }
        return j > 0 ? RN + x : -RN - x;
      }
      const f32 = Math.fround;
      const lhs = f32(fn[i]! + f32(f32(this.float64()) * f32(fn[i - 1]! - fn[i]!)));
      if (lhs < f32(Math.exp(-0.5 * x * x))) return x;
    }
  }

  expFloat64(): number {
    const { ke, we, fe } = T;
    for (;;) {
      const j = this.uint32();
      const i = j & 0xff;
      const x = j * we[i]!;
      if (j < ke[i]!) return x;
      if (i === 0) return RE - goLog(this.float64());
      const f32 = Math.fround;
      const lhs = f32(fe[i]! + f32(f32(this.float64()) * f32(fe[i - 1]! - fe[i]!)));
      if (lhs < f32(Math.exp(-x))) return x;
    }
  }
}
