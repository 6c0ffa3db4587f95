// Paired-difference statistics for `compare`: Student's t quantile and the paired t confidence interval.

/** ln Γ(x) for x > 0 (Lanczos, Numerical Recipes 3rd ed. `gammln`; absolute error ~1e-15). */
export function logGamma(x: number): number {
  const coefficients = [
    57.1562356658629235, -59.5979603554754912, 14.1360979747417471, -0.491913816097620199, 0.339946499848118887e-4,
    0.465236289270485756e-4, -0.983744753048795646e-4, 0.158088703224912494e-3, -0.210264441724104883e-3,
    0.217439618115212643e-3, -0.16431810653676389e-3, 0.844182239838527433e-4, -0.261908384015814087e-4,
    0.368991826595316234e-5,
  ];
  let y = x;
  const t = x + 5.2421875;
  const head = (x + 0.5) * Math.log(t) - t;
  let series = 0.999999999999997092;
  for (const c of coefficients) series += c / ++y;
  return head + Math.log((2.5066282746310005 * series) / x);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast only on this side; use the symmetry relation on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` > 0 degrees of freedom (bisection on the CDF to ~1e-13). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export interface PairedComparison {
  n: number;
  meanA: number;
  meanB: number;
  /** Mean of B − A. */
  meanDiff: number;
  /** Sample standard deviation of B − A (n − 1 in the denominator). */
  sdDiff: number;
  /** Half-width of the 95 % t interval of the mean difference; NaN with fewer than 2 pairs. */
  halfWidth: number;
  ciLow: number;
  ciHigh: number;
  /** 100 · meanDiff / meanA, and the interval on the same scale (NaN when meanA is 0). */
  diffPct: number;
  ciLowPct: number;
  ciHighPct: number;
  /** The interval excludes 0 (false with fewer than 2 pairs or undefined values). */
  significant: boolean;
  /** Two-sided p-value of the paired t test (NaN with fewer than 2 pairs; 1 for identical samples). */
  pValue: number;
}

/** Mean and t-interval half-width of one sample (NaN half-width with fewer than 2 values; NaNs dropped). */
export function meanInterval(values: readonly number[], confidence = 0.95): { n: number; mean: number; halfWidth: number } {
  const xs = values.filter((v) => !Number.isNaN(v));
  const n = xs.length;
  const mean = n > 0 ? xs.reduce((s, x) => s + x, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  return { n, mean, halfWidth: n > 1 ? studentTQuantile(1 - (1 - confidence) / 2, n - 1) * (sd / Math.sqrt(n)) : NaN };
}

/** Holm's step-down adjustment of a family of p-values (same order as given; NaN stays NaN). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((a, b) => a[0] - b[0]);
  const m = order.length;
  const adjusted = pValues.map(() => NaN);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/**
 * Paired comparison of B against A on the same seeds: t interval for the mean of d = B − A, expressed also
 * relative to the mean of A (a ratio of means, not a mean of per-seed ratios, so one seed with a tiny A value
 * cannot dominate). Pairs where either side is NaN are dropped.
 */
export function pairedComparison(a: readonly number[], b: readonly number[], confidence = 0.95): PairedComparison {
  if (a.length !== b.length) throw new Error('paired comparison needs equally long samples');
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]) && !Number.isNaN(b[i])) pairs.push([a[i]!, b[i]!]);
  const n = pairs.length;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const meanA = n > 0 ? mean(pairs.map((p) => p[0])) : NaN;
  const meanB = n > 0 ? mean(pairs.map((p) => p[1])) : NaN;
  const diffs = pairs.map(([x, y]) => y - x);
  const meanDiff = n > 0 ? mean(diffs) : NaN;
  const sdDiff = n > 1 ? Math.sqrt(diffs.reduce((s, d) => s + (d - meanDiff) ** 2, 0) / (n - 1)) : NaN;
  const halfWidth = n > 1 ? studentTQuantile(1 - (1 - confidence) / 2, n - 1) * (sdDiff / Math.sqrt(n)) : NaN;
  const ciLow = meanDiff - halfWidth;
  const ciHigh = meanDiff + halfWidth;
  const pct = (v: number) => (meanA !== 0 ? (100 * v) / Math.abs(meanA) : NaN);
  return {
    n,
    meanA,
    meanB,
    meanDiff,
    sdDiff,
    halfWidth,
    ciLow,
    ciHigh,
    diffPct: pct(meanDiff),
    ciLowPct: pct(ciLow),
    ciHighPct: pct(ciHigh),
    significant: n > 1 && (ciLow > 0 || ciHigh < 0),
    pValue: n < 2 ? NaN : sdDiff === 0 ? (meanDiff === 0 ? 1 : 0) : 2 * (1 - studentTCdf(Math.abs(meanDiff) / (sdDiff / Math.sqrt(n)), n - 1)),
  };
}
