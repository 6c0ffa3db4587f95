import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatFixed, formatJsonFloat } from '../src/go/fmt.js';

describe('Go %.Nf (formatFixed)', () => {
  it('rounds exact binary ties to even', () => {
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(133996.625, 2)).toBe('133996.62');
    expect(formatFixed(133996.875, 2)).toBe('133996.88');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    expect(formatFixed(-0.125, 2)).toBe('-0.12');
    expect(formatFixed(0.5, 0)).toBe('0');
    expect(formatFixed(1.5, 0)).toBe('2');
  });

  it('rounds non-ties by the exact binary value', () => {
    // 0.015 is 0.01499999999999999944… in binary, 1.005 is 1.00499999999999989…
    expect(formatFixed(0.015, 2)).toBe('0.01');
    expect(formatFixed(1.005, 2)).toBe('1.00');
    expect(formatFixed(0.0723, 4)).toBe('0.0723');
    expect(formatFixed(0.053944, 6)).toBe('0.053944');
  });

  it('prints zero, negative zero and special values like Go', () => {
    expect(formatFixed(0, 6)).toBe('0.000000');
    expect(formatFixed(-0, 2)).toBe('-0.00');
    expect(formatFixed(-0.001, 2)).toBe('-0.00');
    expect(formatFixed(NaN, 2)).toBe('NaN');
    expect(formatFixed(Infinity, 2)).toBe('+Inf');
    expect(formatFixed(-Infinity, 2)).toBe('-Inf');
    expect(formatFixed(1e21, 2)).toBe('1000000000000000000000.00');
  });

  it('agrees with toFixed whenever the value is not an exact tie', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 8 }), (x, digits) => {
        const scaled = Math.abs(x) * 2 ** (digits + 1);
        fc.pre(!(Number.isInteger(scaled) && scaled % 2 === 1));
        const expected = Object.is(x, -0) || (x < 0 && x.toFixed(digits)[0] !== '-') ? '-' + x.toFixed(digits) : x.toFixed(digits);
        expect(formatFixed(x, digits)).toBe(expected);
      }),
    );
  });

  it('half-integers of cents (per-SLO means of integer µs) round to even', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (k) => {
        const x = k + 0.125; // k.125 is exact → tie at 2 decimals: k.12
        expect(formatFixed(x, 2)).toBe(`${k}.12`);
        expect(formatFixed(k + 0.625, 2)).toBe(`${k}.62`);
      }),
    );
  });
});

describe('Go encoding/json float64 (formatJsonFloat)', () => {
  it('uses shortest round-trip decimals and Go exponent thresholds', () => {
    expect(formatJsonFloat(0)).toBe('0');
    expect(formatJsonFloat(100)).toBe('100');
    expect(formatJsonFloat(0.024455)).toBe('0.024455');
    expect(formatJsonFloat(40.891433244735225)).toBe('40.891433244735225');
    expect(formatJsonFloat(3269.3484000000003)).toBe('3269.3484000000003');
    expect(formatJsonFloat(1e-6)).toBe('0.000001');
    expect(formatJsonFloat(1e-7)).toBe('1e-7');
    expect(formatJsonFloat(1.5e-7)).toBe('1.5e-7');
    expect(formatJsonFloat(1e20)).toBe('100000000000000000000');
    expect(formatJsonFloat(1e21)).toBe('1e+21');
    expect(formatJsonFloat(-0)).toBe('-0');
  });
});
