import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GoRand,
  deriveStreamSeed,
  fnv1a64,
  frexp,
  goGamma,
  goLog,
  goPow,
  goRound,
  ldexp,
} from '../src/rng/index.js';
import { ServesimError } from '../src/errors.js';

interface VectorSequence {
  seed_decimal: string;
  int63_decimal: string[];
  float64_after_int63: number[];
  normfloat64_after_float64: number[];
  expfloat64_after_norm: number[];
  intn1000_after_exp: number[];
  int63n_1e12_after_intn: number[];
}

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/go-math-rand-vectors.json', import.meta.url), 'utf8'),
) as { sequences: VectorSequence[] };

describe('GoRand against Go-produced vectors', () => {
  for (const seq of vectors.sequences) {
    it(`seed ${seq.seed_decimal}: int63, float64, norm, exp, intn(1000), int63n(1e12) in one stream`, () => {
      const rng = new GoRand(BigInt(seq.seed_decimal));
      expect(seq.int63_decimal.map(() => rng.int63().toString())).toEqual(seq.int63_decimal);
      expect(seq.float64_after_int63.map(() => rng.float64())).toEqual(seq.float64_after_int63);
      expect(seq.normfloat64_after_float64.map(() => rng.normFloat64())).toEqual(seq.normfloat64_after_float64);
      expect(seq.expfloat64_after_norm.map(() => rng.expFloat64())).toEqual(seq.expfloat64_after_norm);
      expect(seq.intn1000_after_exp.map(() => rng.intn(1000))).toEqual(seq.intn1000_after_exp);
      expect(seq.int63n_1e12_after_intn.map(() => Number(rng.int63n(1_000_000_000_000n)))).toEqual(
        seq.int63n_1e12_after_intn,
      );
    });
  }
});

describe('GoRand against Go math/rand vectors (docs/spec-notes.md, Random numbers; fresh generator per list)', () => {
  it('seed 42', () => {
    const draw = <T>(n: number, f: (r: GoRand) => T): T[] => {
      const r = new GoRand(42n);
      return Array.from({ length: n }, () => f(r));
    };
    expect(draw(5, (r) => r.int63().toString())).toEqual([
      '3440579354231278675',
      '608747136543856411',
      '5571782338101878760',
      '1926012586526624009',
      '404153945743547657',
    ]);
    expect(draw(3, (r) => r.float64())).toEqual([0.37302836104663262, 0.06600049679351791, 0.60409385155864204]);
    expect(draw(5, (r) => r.normFloat64())).toEqual([
      1.5536305584564762, 0.12525608682704692, -0.49437481277048279, 1.2440150150762053, 0.13197848427107051,
    ]);
    expect(draw(5, (r) => r.expFloat64())).toEqual([
      0.49573841490239784, 0.13054718375896252, 0.1532334522090758, 0.3384463626094486, 0.11596423879404183,
    ]);
    expect(draw(5, (r) => r.intn(128000))).toEqual([48305, 38987, 1668, 50750, 19423]);
  });

  it('seeds 0 and -7, and a seed given as a number', () => {
    const r0 = new GoRand(0n);
    expect([r0.int63(), r0.int63()]).toEqual([8717895732742165505n, 2259404117704393152n]);
    const r7 = new GoRand(-7);
    expect([r7.int63(), r7.int63()]).toEqual([747107023976529931n, 7084732931963018726n]);
  });

  it('derived methods consume exactly one Uint64 each and agree with it', () => {
    const a = new GoRand(123n);
    const b = new GoRand(123n);
    for (let i = 0; i < 200; i++) {
      const u = b.uint64();
      const int63 = u & 0x7fffffffffffffffn;
      switch (i % 3) {
        case 0:
          expect(a.int31()).toBe(Number(int63 >> 32n));
          break;
        case 1:
          expect(a.uint32()).toBe(Number(int63 >> 31n));
          break;
        default:
          expect(a.int63()).toBe(int63);
      }
    }
  });

  it('fillTokens equals repeated intn(128000)', () => {
    const a = new GoRand(99n);
    const b = new GoRand(99n);
    const tokens = new Int32Array(5000);
    a.fillTokens(tokens, 0, 5000);
    expect(Array.from(tokens)).toEqual(Array.from({ length: 5000 }, () => b.intn(128000)));
    expect(a.int63()).toBe(b.int63());
  });

  it('rejects seeds outside int64', () => {
    expect(() => new GoRand(1n << 63n)).toThrow(ServesimError);
    expect(() => new GoRand(1.5)).toThrow(/seed must be an int64 integer, got 1.5/);
  });
});

describe('stream derivation', () => {
  it('fnv1a64 values of the stream names (docs/spec-notes.md, Random numbers)', () => {
    expect(fnv1a64('workload-gen')).toBe(7079132663427089759n);
    expect(fnv1a64('router')).toBe(-6855704586828942012n);
    expect(fnv1a64('instance_0')).toBe(4261570529227722053n);
  });
  it('workload-gen stream seed for seed 42', () => {
    expect(deriveStreamSeed(42n, 'workload-gen')).toBe(7079132663427089781n);
    expect(deriveStreamSeed(-1n, 'workload-gen')).toBe(~7079132663427089759n);
  });
});

describe('Go math ports', () => {
  it('Gamma', () => {
    expect(goGamma(1.5)).toBe(0.8862269254527579);
    expect(goGamma(1)).toBe(1);
    expect(goGamma(5)).toBe(24);
    expect(goGamma(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 15);
    expect(goGamma(-1)).toBeNaN();
    expect(goGamma(0)).toBe(Infinity);
    expect(goGamma(-0)).toBe(-Infinity);
    expect(goGamma(40)).toBeCloseTo(2.0397882081197443e46, -32);
  });

  it('1/rn is the correctly rounded constant Go folds at compile time', () => {
    // 1/3.442619855899 = 10^12 / 3442619855899 exactly; JS's double division happens to round the same way.
    expect(1 / 3.442619855899).toBe(0.29047645161474317);
  });

  it('Round is half away from zero', () => {
    expect([goRound(2.5), goRound(-2.5), goRound(0.49999999999999994), goRound(-0.5), goRound(3.2)]).toEqual([
      3, -3, 0, -1, 3,
    ]);
  });

  it('frexp/ldexp round-trip, Log ≈ Math.log, Pow with integer exponent is repeated squaring', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (x) => {
        const [frac, exp] = frexp(x);
        expect(Math.abs(frac) >= 0.5 && Math.abs(frac) < 1).toBe(true);
        expect(ldexp(frac, exp)).toBe(x);
        expect(Math.abs(goLog(x) - Math.log(x))).toBeLessThanOrEqual(Math.abs(Math.log(x)) * 1e-15 + 1e-300);
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: 1e-10, max: 1, noNaN: true }), (u) => {
        const square = u * u;
        expect(goPow(u, 4)).toBe(square * square);
        expect(goPow(u, 2.5)).toBeCloseTo(Math.pow(u, 2.5), 12);
      }),
    );
    expect(ldexp(0.5, -1073)).toBe(5e-324);
    expect(ldexp(0.5, -1074)).toBe(0); // 2^-1075 rounds to even, as in Go
    expect(frexp(5e-324)).toEqual([0.5, -1073]);
  });
});
