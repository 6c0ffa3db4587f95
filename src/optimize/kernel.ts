// Matérn-5/2 covariance with per-dimension (ARD) length scales and a constant amplitude:
//   k(a, b) = amplitude · (1 + √5 r + 5r²/3) · exp(−√5 r),   r² = Σ_d ((a_d − b_d) / ℓ_d)²
// Twice differentiable sample paths suit tuned-parameter landscapes better than the squared exponential's
// (which over-smooths); the same choice as scikit-optimize's default GP.

export const SQRT5 = Math.sqrt(5);

/** Unit-amplitude Matérn-5/2 correlation at scaled distance r. */
export function matern52(r: number): number {
  const s = SQRT5 * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

/**
 * −(1/r) dk/dr for the unit-amplitude kernel: (5/3)(1 + √5 r) exp(−√5 r). Finite at r = 0, which is why
 * gradients are written in terms of it: ∂k/∂a_d = −matern52RadialFactor(r) · (a_d − b_d)/ℓ_d².
 */
export function matern52RadialFactor(r: number): number {
  const s = SQRT5 * r;
  return (5 / 3) * (1 + s) * Math.exp(-s);
}

/** Scaled distance between row `i` of `a` and row `j` of `b` (both row-major with `dims` columns). */
export function scaledDistance(
  a: Float64Array,
  i: number,
  b: Float64Array,
  j: number,
  dims: number,
  inverseSquaredLengthScales: Float64Array,
): number {
  let sum = 0;
  const rowA = i * dims;
  const rowB = j * dims;
  for (let d = 0; d < dims; d++) {
    const diff = a[rowA + d] - b[rowB + d];
    sum += diff * diff * inverseSquaredLengthScales[d];
  }
  return Math.sqrt(sum);
}

export function inverseSquares(lengthScales: ArrayLike<number>): Float64Array {
  const out = new Float64Array(lengthScales.length);
  for (let d = 0; d < out.length; d++) out[d] = 1 / (lengthScales[d] * lengthScales[d]);
  return out;
}
