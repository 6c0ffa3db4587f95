// TickLog keeps ITL entries as counts per distinct value; its distributions must give exactly what the sorted list
// of entries gives (the mean and percentile rules read exact order statistics and, for non-integers, the ascending
// entry-by-entry sum).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TickDistribution, TickLog } from '../src/metrics/tick-log.js';
import { distributionMeanMs, distributionPercentileMs, meanMs, percentileMs } from '../src/metrics/stats.js';

function logOf(values: readonly number[]): TickLog {
  const log = new TickLog();
  for (const v of values) log.push(v);
  return log;
}

function expectSameAsSorted(distribution: TickDistribution, values: readonly number[]): void {
  const sorted = Float64Array.from(values).sort();
  expect(distribution.length).toBe(sorted.length);
  for (let i = 0; i < sorted.length; i++) expect(distribution.at(i)).toBe(sorted[i]);
  expect(distributionMeanMs(distribution)).toBe(meanMs(sorted));
  for (const p of [50, 90, 95, 99]) expect(distributionPercentileMs(distribution, p)).toBe(percentileMs(sorted, p));
}

// Step latencies: mostly integers, a few large or fractional ones (which leave the dense counting path).
const tick = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 5_000_000, max: 2 ** 31 - 1 }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1e5, noNaN: true }).map((x) => x + 0.25) },
);

describe('TickLog', () => {
  it('hand-computed: counts repeated values once, order statistics and mean as the sorted entries', () => {
    const log = logOf([9030, 44014, 9030, 9030, 12000]);
    const d = log.distribution();
    expect(d.length).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => d.at(i))).toEqual([9030, 9030, 9030, 12000, 44014]);
    expect(d.sum()).toBe(9030 * 3 + 12000 + 44014);
    // rank 0.9·4 = 3.6 → 12000 + 0.6·(44014 − 12000), in ms
    expect(distributionPercentileMs(d, 90)).toBe(12000 / 1000 + ((44014 - 12000) * (0.9 * 4 - 3)) / 1000);
  });

  it('a float entry makes the sum ascending and entry by entry (not value × count)', () => {
    const values = [0.1, 0.1, 0.1, 0.7, 3];
    const d = logOf(values).distribution();
    let ascending = 0;
    for (const v of [...values].sort((a, b) => a - b)) ascending += v;
    expect(d.sum()).toBe(ascending);
    expectSameAsSorted(d, values);
  });

  it('random logs and unions agree with the sorted list of all entries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(tick, { maxLength: 60 }), { minLength: 1, maxLength: 4 }), (logs) => {
        const distributions = logs.map((values) => logOf(values).distribution());
        logs.forEach((values, k) => expectSameAsSorted(distributions[k], values));
        expectSameAsSorted(TickDistribution.union(distributions), logs.flat());
      }),
      { numRuns: 300 },
    );
  });
});
