// Ports of the Go `math` functions whose results feed integer outputs (docs/spec-notes.md, Conversions and math).
// Log matches Go's amd64 assembly bit for bit (same operation sequence as math/log.go); Pow follows
// math/pow.go so integral exponents (e.g. pow(u, 4) in the gamma sampler) are computed exactly like Go.
// Exp is JS Math.exp: Go's amd64 Exp is CPU-dependent (FMA) and no observable effect was found
// (docs/reference-quirks.md, last paragraph).

const scratchFloat = new Float64Array(1);
const scratchWords = new Uint32Array(scratchFloat.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const SMALLEST_NORMAL = 2.2250738585072014e-308;
const EXPONENT_MASK = 0x7ff00000;

/** Go math.Frexp: x = frac × 2^exp with |frac| in [0.5, 1). */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let exp = 0;
  if (Math.abs(x) < SMALLEST_NORMAL) {
    x *= 2 ** 52;
    exp = -52;
  }
  scratchFloat[0] = x;
  const high = scratchWords[HIGH_WORD]!;
  exp += ((high >>> 20) & 0x7ff) - 1022;
  scratchWords[HIGH_WORD] = (high & ~EXPONENT_MASK) | (1022 << 20);
  return [scratchFloat[0]!, exp];
}

/** Go math.Ldexp: frac × 2^exp with Go's underflow/overflow handling. */
export function ldexp(frac: number, exp: number): number {
  if (frac === 0 || !Number.isFinite(frac)) return frac;
  if (Math.abs(frac) < SMALLEST_NORMAL) {
    frac *= 2 ** 52;
    exp -= 52;
  }
  scratchFloat[0] = frac;
  const high = scratchWords[HIGH_WORD]!;
  exp += ((high >>> 20) & 0x7ff) - 1023;
  if (exp < -1075) return frac < 0 ? -0 : 0;
  if (exp > 1023) return frac < 0 ? -Infinity : Infinity;
  let multiplier = 1;
  if (exp < -1022) {
    exp += 53;
    multiplier = 2 ** -53;
  }
  scratchWords[HIGH_WORD] = (high & ~EXPONENT_MASK) | ((exp + 1023) << 20);
  return multiplier * scratchFloat[0]!;
}

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const L1 = 6.666666666666735130e-1;
const L2 = 3.999999999940941908e-1;
const L3 = 2.857142874366239149e-1;
const L4 = 2.222219843214978396e-1;
const L5 = 1.818357216161805012e-1;
const L6 = 1.531383769920937332e-1;
const L7 = 1.479819860511658591e-1;

/** Go math.Log (identical results to the amd64 assembly for normal inputs). */
export function goLog(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x < 0) return NaN;
  if (x === 0) return -Infinity;
  let [f1, ki] = frexp(x);
  if (f1 < Math.SQRT2 / 2) {
    f1 *= 2;
    ki--;
  }
  const f = f1 - 1;
  const k = ki;
  const s = f / (2 + f);
  const s2 = s * s;
  const s4 = s2 * s2;
  const t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
  const t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
  const r = t1 + t2;
  const hfsq = 0.5 * f * f;
  return k * LN2_HI - (hfsq - (s * (hfsq + r) + k * LN2_LO) - f);
}

function isOddInt(x: number): boolean {
  if (Math.abs(x) >= 2 ** 53) return false;
  const whole = Math.trunc(x);
  return x - whole === 0 && Math.abs(whole) % 2 === 1;
}

/** Go math.Pow. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0) {
    if (y < 0) return isOddInt(y) ? (Object.is(x, -0) ? -Infinity : Infinity) : Infinity;
    return isOddInt(y) ? x : 0;
  }
  if (!Number.isFinite(y)) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === (y > 0) ? 0 : Infinity;
  }
  if (!Number.isFinite(x)) {
    if (x < 0) return goPow(1 / x, -y);
    return y < 0 ? 0 : Infinity;
  }
  if (y === 0.5) return Math.sqrt(x);
  if (y === -0.5) return 1 / Math.sqrt(x);

  let yi = Math.trunc(Math.abs(y));
  let yf = Math.abs(y) - yi;
  if (yf !== 0 && x < 0) return NaN;
  if (yi >= 2 ** 63) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === (y > 0) ? 0 : Infinity;
  }

  // result = a1 × 2^ae
  let a1 = 1;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = Math.exp(yf * goLog(x));
  }
  let [x1, xe] = frexp(x);
  for (let i = yi; i !== 0; i = Math.floor(i / 2)) {
    if (xe < -(1 << 12) || 1 << 12 < xe) {
      ae += xe;
      break;
    }
    if (i % 2 === 1) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe *= 2;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return ldexp(a1, ae);
}

/** Go math.Round: half away from zero (Math.round rounds negative halves up). */
export function goRound(x: number): number {
  if (!Number.isFinite(x)) return x;
  const whole = Math.trunc(x);
  // x - trunc(x) is exact for every double.
  if (Math.abs(x - whole) >= 0.5) return whole + Math.sign(x);
  return whole;
}

const GAMMA_P = [
  1.60119522476751861407e-4, 1.19135147006586384913e-3, 1.04213797561761569935e-2, 4.76367800457137231464e-2,
  2.07448227648435975150e-1, 4.94214826801497100753e-1, 9.99999999999999996796e-1,
] as const;
const GAMMA_Q = [
  -2.31581873324120129819e-5, 5.39605580493303397842e-4, -4.45641913851797240494e-3, 1.18139785222060435552e-2,
  3.58236398605498653373e-2, -2.34591795718243348568e-1, 7.14304917030273074085e-2, 1.00000000000000000320e0,
] as const;
const GAMMA_S = [
  7.87311395793093628397e-4, -2.29549961613378126380e-4, -2.68132617805781232825e-3, 3.47222221605458667310e-3,
  8.33333333333482257126e-2,
] as const;
const EULER = 0.57721566490153286060651209008240243104215933593992;

function stirling(x: number): [number, number] {
  if (x > 200) return [Infinity, 1];
  const SQRT_TWO_PI = 2.506628274631000502417;
  const MAX_STIRLING = 143.01608;
  let w = 1 / x;
  w = 1 + w * ((((GAMMA_S[0] * w + GAMMA_S[1]) * w + GAMMA_S[2]) * w + GAMMA_S[3]) * w + GAMMA_S[4]);
  let y1 = Math.exp(x);
  let y2 = 1;
  if (x > MAX_STIRLING) {
    const v = goPow(x, 0.5 * x - 0.25);
    y2 = v / y1;
    y1 = v;
  } else {
    y1 = goPow(x, x - 0.5) / y1;
  }
  return [y1, SQRT_TWO_PI * w * y2];
}

/** Go math.Gamma (Cephes rational approximation; Stirling series above 33). */
export function goGamma(x: number): number {
  if ((x < 0 && Number.isInteger(x)) || x === -Infinity || Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return Object.is(x, -0) ? -Infinity : Infinity;
  let q = Math.abs(x);
  let p = Math.floor(q);
  if (q > 33) {
    if (x >= 0) {
      const [y1, y2] = stirling(x);
      return y1 * y2;
    }
    const sign = p % 2 === 0 ? -1 : 1;
    let z = q - p;
    if (z > 0.5) {
      p = p + 1;
      z = q - p;
    }
    z = q * Math.sin(Math.PI * z);
    if (z === 0) return sign * Infinity;
    const [sq1, sq2] = stirling(q);
    const absz = Math.abs(z);
    const d = absz * sq1 * sq2;
    z = Number.isFinite(d) ? Math.PI / d : Math.PI / absz / sq1 / sq2;
    return sign * z;
  }

  let z = 1;
  while (x >= 3) {
    x = x - 1;
    z = z * x;
  }
  while (x < 0) {
    if (x > -1e-9) return gammaSmall(x, z);
    z = z / x;
    x = x + 1;
  }
  while (x < 2) {
    if (x < 1e-9) return gammaSmall(x, z);
    z = z / x;
    x = x + 1;
  }
  if (x === 2) return z;
  x = x - 2;
  p = (((((x * GAMMA_P[0] + GAMMA_P[1]) * x + GAMMA_P[2]) * x + GAMMA_P[3]) * x + GAMMA_P[4]) * x + GAMMA_P[5]) * x + GAMMA_P[6];
  q =
    ((((((x * GAMMA_Q[0] + GAMMA_Q[1]) * x + GAMMA_Q[2]) * x + GAMMA_Q[3]) * x + GAMMA_Q[4]) * x + GAMMA_Q[5]) * x +
      GAMMA_Q[6]) *
      x +
    GAMMA_Q[7];
  return (z * p) / q;
}

function gammaSmall(x: number, z: number): number {
  if (x === 0) return Infinity;
  return z / ((1 + EULER * x) * x);
}
