// Seeded randomness for the optimiser. Every random draw is made from a stream derived from
// (randomState, purpose, step, ...) rather than from one long-lived stream, so what `ask` proposes depends only
// on the observations told so far: that is what makes resuming from a trial store reproduce an uninterrupted run.

/** Purposes of derived streams; distinct values keep the streams independent. */
export const StreamPurpose = {
  initialDesign: 1,
  extraInitialPoint: 2,
  hyperparameterStarts: 3,
  candidates: 4,
  hedgeChoice: 5,
  duplicateFallback: 6,
} as const;

/** Murmur3's 32-bit finaliser: a cheap bijective mix with full avalanche. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes any sequence of finite numbers (integers of any magnitude, negative or not) into a 32-bit seed. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Fold doubles beyond 32 bits (e.g. randomState = 2**40) and negatives in without collisions on the low word.
    const low = part >>> 0;
    const high = Math.floor(part / 0x1_0000_0000) >>> 0;
    h = mix32(h ^ mix32(low + 0x632be5ab));
    h = mix32(h ^ mix32(high + 0x2545f491));
  }
  return h;
}

/** xoshiro128** seeded through splitmix32: small, fast, and good enough for sampling candidates. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let state = seed >>> 0;
    const splitmix = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** A stream for one purpose; see deriveSeed. */
  static derived(...parts: number[]): Rng {
    return new Rng(deriveSeed(...parts));
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box–Muller; the second variate is discarded to keep the stream simple). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) would be −∞
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
