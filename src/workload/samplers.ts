// Arrival and length samplers (docs/spec-notes.md, Samplers). Each consumes exactly the reference's RNG draws.
import { GoRand, goGamma, goLog, goPow, goRound } from '../rng/index.js';
import { goQuote } from '../go/fmt.js';
import { VALID_DISTRIBUTION_TYPES, type ArrivalSpec, type DistSpec } from './spec.js';

/** A sampler could not be built from its parameters; callers add context and wrap it in a ServesimError. */
export class SamplerConfigError extends Error {}

export interface LengthSampler {
  sample(rng: GoRand): number;
}

export interface ArrivalSampler {
  /** Inter-arrival time in integer µs, ≥ 1. */
  sampleIat(rng: GoRand): number;
}

const TWO_POW_63 = 9223372036854775808;
const GO_INT64_INDEFINITE = -TWO_POW_63;
const SMALLEST_POSITIVE_DOUBLE = 5e-324;

/**
 * Go's `int64(f)` on amd64: truncation, and the "integer indefinite" MinInt64 for NaN and out-of-range values
 * (which the samplers' `at least 1` rule then turns into 1).
 */
export function goInt64(f: number): number {
  if (Number.isNaN(f) || f >= TWO_POW_63 || f < -TWO_POW_63) return GO_INT64_INDEFINITE;
  return Math.trunc(f);
}

function atLeastOne(n: number): number {
  return n < 1 ? 1 : n;
}

function requireParam(dist: DistSpec, name: string): number {
  const value = dist.params[name];
  if (value === undefined || !Object.hasOwn(dist.params, name)) {
    throw new SamplerConfigError(`distribution requires parameter ${goQuote(name)}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Length samplers

class GaussianLength implements LengthSampler {
  constructor(
    private readonly mean: number,
    private readonly stdDev: number,
    private readonly min: number,
    private readonly max: number,
  ) {}
  sample(rng: GoRand): number {
    if (this.min === this.max) return this.min;
    let v = rng.normFloat64() * this.stdDev + this.mean;
    if (v < this.min) v = this.min;
    if (v > this.max) v = this.max;
    return atLeastOne(goInt64(goRound(v)));
  }
}

class ExponentialLength implements LengthSampler {
  constructor(private readonly mean: number) {}
  sample(rng: GoRand): number {
    return atLeastOne(goInt64(goRound(rng.expFloat64() * this.mean)));
  }
}

class ParetoLognormalLength implements LengthSampler {
  constructor(
    private readonly alpha: number,
    private readonly xm: number,
    private readonly mu: number,
    private readonly sigma: number,
    private readonly mixWeight: number,
  ) {}
  sample(rng: GoRand): number {
    let v: number;
    if (rng.float64() < this.mixWeight) {
      let u = rng.float64();
      if (u === 0) u = SMALLEST_POSITIVE_DOUBLE;
      v = this.xm / goPow(u, 1 / this.alpha);
    } else {
      v = Math.exp(this.mu + this.sigma * rng.normFloat64());
    }
    if (!Number.isFinite(v)) return 1;
    return atLeastOne(goInt64(goRound(v)));
  }
}

class ConstantLength implements LengthSampler {
  private readonly value: number;
  constructor(value: number) {
    this.value = atLeastOne(goInt64(value));
  }
  sample(): number {
    return this.value;
  }
}

class EmpiricalLength implements LengthSampler {
  constructor(
    private readonly values: readonly number[],
    private readonly cdf: readonly number[],
  ) {}
  sample(rng: GoRand): number {
    if (this.values.length === 0) return 1;
    if (this.values.length === 1) return this.values[0]!;
    const u = rng.float64();
    for (let i = 0; i < this.cdf.length; i++) if (this.cdf[i]! >= u) return this.values[i]!;
    return this.values[this.values.length - 1]!;
  }
}

/** strconv.Atoi: optional sign and decimal digits, within int64. */
function parseGoInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const v = BigInt(text);
  if (v < -(1n << 63n) || v >= 1n << 63n) return undefined;
  return Number(v);
}

function buildEmpirical(dist: DistSpec): LengthSampler {
  const names = Object.keys(dist.params);
  if (names.length === 0) {
    if (dist.file !== '') {
      throw new SamplerConfigError(
        `empirical distribution files are not read (file ${goQuote(dist.file)}); give the PDF inline as params`,
      );
    }
    throw new SamplerConfigError('empirical distribution requires params (a "<token_count>": probability map)');
  }
  const entries: Array<[number, number]> = [];
  for (const name of names) {
    const value = parseGoInt(name);
    if (value !== undefined) entries.push([value, dist.params[name]!]);
  }
  if (entries.length === 0) {
    throw new SamplerConfigError(
      `empirical distribution has no parsable params: keys must be integer token counts, got ${names.map(goQuote).join(', ')}`,
    );
  }
  entries.sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [, p] of entries) total += p;
  const values: number[] = [];
  const cdf: number[] = [];
  let cumulative = 0;
  for (const [value, p] of entries) {
    const normalized = p / total;
    if (!(normalized > 0)) continue;
    if (value < 0) {
      throw new SamplerConfigError(`empirical distribution token counts must be non-negative, got ${value}`);
    }
    cumulative += normalized;
    values.push(value);
    cdf.push(cumulative);
  }
  if (cdf.length > 0) cdf[cdf.length - 1] = 1;
  return new EmpiricalLength(values, cdf);
}

/** Builds the sampler for a `dist`; throws SamplerConfigError for an unknown type or a missing parameter. */
export function buildLengthSampler(dist: DistSpec): LengthSampler {
  switch (dist.type) {
    case 'gaussian':
      return new GaussianLength(
        requireParam(dist, 'mean'),
        requireParam(dist, 'std_dev'),
        goInt64(requireParam(dist, 'min')),
        goInt64(requireParam(dist, 'max')),
      );
    case 'exponential':
      return new ExponentialLength(requireParam(dist, 'mean'));
    case 'pareto_lognormal':
      return new ParetoLognormalLength(
        requireParam(dist, 'alpha'),
        requireParam(dist, 'xm'),
        requireParam(dist, 'mu'),
        requireParam(dist, 'sigma'),
        requireParam(dist, 'mix_weight'),
      );
    case 'constant':
      return new ConstantLength(requireParam(dist, 'value'));
    case 'empirical':
      return buildEmpirical(dist);
    default:
      throw new SamplerConfigError(
        `unknown distribution type ${goQuote(dist.type)}; valid: ${VALID_DISTRIBUTION_TYPES.join(', ')}`,
      );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arrival samplers (rate in requests per µs)

const MIN_RATE_PER_US = 1e-15;

class ConstantArrival implements ArrivalSampler {
  private readonly iat: number;
  constructor(rate: number) {
    this.iat = atLeastOne(goInt64(1 / rate));
  }
  sampleIat(): number {
    return this.iat;
  }
}

class PoissonArrival implements ArrivalSampler {
  constructor(private readonly rate: number) {}
  sampleIat(rng: GoRand): number {
    return atLeastOne(goInt64(rng.expFloat64() / this.rate));
  }
}

/** Marsaglia–Tsang; for shape < 1 the uniform is drawn before the recursive sample. */
function sampleGamma(rng: GoRand, shape: number, scale: number): number {
  if (shape < 1) {
    const u = rng.float64();
    return sampleGamma(rng, shape + 1, scale) * goPow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normFloat64();
      v = 1 + c * x;
    } while (!(v > 0));
    v = v * v * v;
    const u = rng.float64();
    if (u < 1 - 0.0331 * (x * x) * (x * x)) return d * v * scale;
    if (goLog(u) < 0.5 * x * x + d * (1 - v + goLog(v))) return d * v * scale;
  }
}

class GammaArrival implements ArrivalSampler {
  constructor(
    private readonly shape: number,
    private readonly scale: number,
  ) {}
  sampleIat(rng: GoRand): number {
    return atLeastOne(goInt64(sampleGamma(rng, this.shape, this.scale)));
  }
}

function weibullCv(k: number): number {
  const g1 = goGamma(1 + 1 / k);
  const g2 = goGamma(1 + 2 / k);
  return Math.sqrt(g2 / (g1 * g1) - 1);
}

/** Weibull shape whose CV matches `targetCv`, by bisection on [0.1, 100] (docs/spec-notes.md, Samplers). */
export function weibullShapeForCv(targetCv: number): number {
  let lo = 0.1;
  let hi = 100;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    const cv = weibullCv(mid);
    if (Math.abs(cv - targetCv) < 0.001) return mid;
    if (cv > targetCv) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

class WeibullArrival implements ArrivalSampler {
  private readonly shape: number;
  private readonly scale: number;
  constructor(rate: number, cv: number) {
    this.shape = weibullShapeForCv(cv);
    this.scale = 1 / rate / goGamma(1 + 1 / this.shape);
  }
  sampleIat(rng: GoRand): number {
    let u = rng.float64();
    if (u === 0) u = SMALLEST_POSITIVE_DOUBLE;
    return atLeastOne(goInt64(this.scale * goPow(-goLog(u), 1 / this.shape)));
  }
}

/** `ratePerUs` is the client's rate in requests/µs. The spec must be validated (process is known). */
export function buildArrivalSampler(arrival: ArrivalSpec, ratePerUs: number): ArrivalSampler {
  const rate = ratePerUs < MIN_RATE_PER_US ? MIN_RATE_PER_US : ratePerUs;
  const cv = arrival.cv === undefined || arrival.cv <= 0 ? 1 : arrival.cv;
  switch (arrival.process) {
    case 'constant':
      return new ConstantArrival(rate);
    case 'poisson':
      return new PoissonArrival(rate);
    case 'gamma': {
      const shape = 1 / (cv * cv);
      if (shape < 0.01) return new PoissonArrival(rate);
      return new GammaArrival(shape, (cv * cv) / rate);
    }
    case 'weibull':
      return new WeibullArrival(rate, cv);
    default:
      throw new SamplerConfigError(
        `unknown arrival process ${goQuote(arrival.process)}; valid: poisson, gamma, weibull, constant`,
      );
  }
}
