import { describe, expect, it } from 'vitest';
import { pairedComparison, regularizedIncompleteBeta, studentTCdf, studentTQuantile } from '../src/lab/stats.js';

describe('Student t quantile', () => {
  // Reference values: scipy.stats.t.ppf(p, df).
  const table: Array<[number, number, number]> = [
    [0.975, 1, 12.706204736174707],
    [0.975, 2, 4.302652729749464],
    [0.975, 3, 3.182446305284263],
    [0.975, 4, 2.776445105197793],
    [0.975, 5, 2.570581835636314],
    [0.975, 10, 2.228138851986274],
    [0.975, 19, 2.093024054408263],
    [0.975, 30, 2.042272456301238],
    [0.975, 1000, 1.9623390808264083],
    [0.995, 3, 5.840909309733349],
    [0.6, 7, 0.2631668613520229],
  ];
  it.each(table)('qt(%f, %d) = %f', (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 9);
  });

  it('is symmetric and inverts the CDF', () => {
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-2.570581835636314, 9);
    for (const df of [1, 2.5, 7, 40]) {
      for (const p of [0.01, 0.2, 0.5, 0.9, 0.999]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 10);
    }
  });

  it('incomplete beta matches closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b.
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.7, 3, 1)).toBeCloseTo(0.343, 14);
    expect(regularizedIncompleteBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 14);
  });
});

describe('paired comparison', () => {
  it('matches a hand-computed t interval (n = 3)', () => {
    // d = B − A = [1, 3, 1]: mean 5/3, sd = sqrt(4/3), se = sd/√3 = 2/3, t(0.975, 2) = 4.302652729749464.
    const c = pairedComparison([10, 12, 14], [11, 15, 15]);
    const half = 4.302652729749464 * (2 / 3);
    expect(c.n).toBe(3);
    expect(c.meanA).toBe(12);
    expect(c.meanB).toBeCloseTo(41 / 3, 12);
    expect(c.meanDiff).toBeCloseTo(5 / 3, 12);
    expect(c.sdDiff).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(c.halfWidth).toBeCloseTo(half, 10);
    expect(c.ciLow).toBeCloseTo(5 / 3 - half, 10);
    expect(c.ciHigh).toBeCloseTo(5 / 3 + half, 10);
    expect(c.diffPct).toBeCloseTo((100 * 5) / 3 / 12, 10);
    expect(c.ciLowPct).toBeCloseTo((100 * (5 / 3 - half)) / 12, 10);
    expect(c.significant).toBe(false);
  });

  it('flags a consistent difference as significant', () => {
    const a = [100, 110, 120, 130, 140];
    const b = a.map((x, i) => x - 10 - (i % 2));
    const c = pairedComparison(a, b);
    expect(c.meanDiff).toBeCloseTo(-10.4, 12);
    expect(c.significant).toBe(true);
    expect(c.ciHigh).toBeLessThan(0);
  });

  it('n = 1 has no interval; identical samples are not significant', () => {
    const one = pairedComparison([5], [6]);
    expect(one.halfWidth).toBeNaN();
    expect(one.significant).toBe(false);
    const same = pairedComparison([1, 2, 3], [1, 2, 3]);
    expect(same.meanDiff).toBe(0);
    expect(same.significant).toBe(false);
  });

  it('drops pairs with an undefined side', () => {
    const c = pairedComparison([1, NaN, 3], [2, 5, 4]);
    expect(c.n).toBe(2);
    expect(c.meanDiff).toBe(1);
  });
});
