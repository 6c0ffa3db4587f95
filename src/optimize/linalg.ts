// Dense symmetric-positive-definite helpers on row-major Float64Array matrices.
//
// The GP's hyperparameter search factors a kernel matrix hundreds of times per `ask`; ml-matrix's
// CholeskyDecomposition (arrays of rows, get/set calls, a copy to read L) measured ~2.4x slower than this flat
// loop at n = 100, so the hot path uses these. The tests check them against ml-matrix.

/**
 * Lower-triangular L with L Lᵀ = A (row-major, n×n), written into `out` (upper triangle zeroed).
 * Returns false if A is not numerically positive definite.
 */
export function choleskyInPlace(a: Float64Array, n: number, out: Float64Array): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diagonal = a[rowJ + j];
    for (let k = 0; k < j; k++) diagonal -= out[rowJ + k] * out[rowJ + k];
    if (!(diagonal > 0) || !Number.isFinite(diagonal)) return false;
    const ljj = Math.sqrt(diagonal);
    out[rowJ + j] = ljj;
    for (let k = j + 1; k < n; k++) out[rowJ + k] = 0;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = a[rowI + j];
      for (let k = 0; k < j; k++) sum -= out[rowI + k] * out[rowJ + k];
      out[rowI + j] = sum / ljj;
    }
  }
  return true;
}

export interface JitteredCholesky {
  lower: Float64Array;
  /** Diagonal jitter that had to be added (0 if none). */
  jitter: number;
}

/**
 * Cholesky of A, retrying with growing diagonal jitter (relative to A's mean diagonal) when A is numerically
 * semi-definite, e.g. when two observations coincide and the learned noise is tiny. Returns undefined only if
 * even the largest jitter fails (A has NaNs or is badly indefinite).
 */
export function choleskyWithJitter(a: Float64Array, n: number, out: Float64Array = new Float64Array(n * n)): JitteredCholesky | undefined {
  if (choleskyInPlace(a, n, out)) return { lower: out, jitter: 0 };
  let meanDiagonal = 0;
  for (let i = 0; i < n; i++) meanDiagonal += a[i * n + i];
  meanDiagonal = Math.abs(meanDiagonal / n) || 1;
  const jittered = new Float64Array(a);
  for (let exponent = -10; exponent <= -2; exponent++) {
    const jitter = meanDiagonal * 10 ** exponent;
    for (let i = 0; i < n; i++) jittered[i * n + i] = a[i * n + i] + jitter;
    if (choleskyInPlace(jittered, n, out)) return { lower: out, jitter };
  }
  return undefined;
}

/** Solves L x = b (L lower-triangular), in place on b. */
export function solveLowerInPlace(lower: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= lower[row + k] * b[k];
    b[i] = sum / lower[row + i];
  }
  return b;
}

/** Solves Lᵀ x = b (L lower-triangular), in place on b. */
export function solveUpperTransposedInPlace(lower: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i];
    for (let k = i + 1; k < n; k++) sum -= lower[k * n + i] * b[k];
    b[i] = sum / lower[i * n + i];
  }
  return b;
}

/** Solves U x = b given U = Lᵀ stored row-major (contiguous reads, unlike solveUpperTransposedInPlace). */
export function solveWithTransposeInPlace(upper: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    const row = i * n;
    let sum = b[i];
    for (let k = i + 1; k < n; k++) sum -= upper[row + k] * b[k];
    b[i] = sum / upper[row + i];
  }
  return b;
}

/** Solves (L Lᵀ) x = b. */
export function choleskySolve(lower: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b);
  solveLowerInPlace(lower, n, x);
  return solveUpperTransposedInPlace(lower, n, x);
}

/** (L Lᵀ)⁻¹ as a full symmetric matrix, via X = L⁻¹ and Xᵀ X (about n³/3 multiply-adds). */
export function inverseFromCholesky(lower: Float64Array, n: number): Float64Array {
  // Row i of X = L⁻¹ is (e_i − Σ_{k<i} L_ik X_k) / L_ii; row k is zero right of column k. Row-wise updates keep
  // the inner loop on contiguous memory.
  const inverseLower = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < i; k++) {
      const lik = lower[rowI + k];
      if (lik === 0) continue;
      const rowK = k * n;
      for (let j = 0; j <= k; j++) inverseLower[rowI + j] -= lik * inverseLower[rowK + j];
    }
    const reciprocal = 1 / lower[rowI + i];
    for (let j = 0; j < i; j++) inverseLower[rowI + j] *= reciprocal;
    inverseLower[rowI + i] = reciprocal;
  }
  // (A⁻¹)_ij = Σ_{k ≥ max(i,j)} X_ki X_kj, accumulated into the lower triangle then mirrored.
  const inverse = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const row = k * n;
    for (let i = 0; i <= k; i++) {
      const xki = inverseLower[row + i];
      if (xki === 0) continue;
      const outRow = i * n;
      for (let j = 0; j <= i; j++) inverse[outRow + j] += xki * inverseLower[row + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inverse[j * n + i] = inverse[i * n + j];
  return inverse;
}

/** log det(L Lᵀ). */
export function logDeterminantFromCholesky(lower: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.log(lower[i * n + i]);
  return 2 * sum;
}
