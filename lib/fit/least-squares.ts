import { CholeskyDecomposition, Matrix } from "ml-matrix";

/**
 * Solves the weighted normal equations (Σ_i w_i x̃_i x̃_iᵀ) β = Σ_i w_i x̃_i y_i given as a symmetric
 * (d+1) × (d+1) Gram matrix and a right-hand side. A rank-deficient Gram matrix (an expert with fewer
 * points than coefficients) gets a ridge of 1e-8 of its mean diagonal, so the solution stays finite.
 */
export function solveNormalEquations(gram: Float64Array, rhs: Float64Array, p: number): Float64Array {
  const a = new Matrix(p, p);
  let trace = 0;
  for (let r = 0; r < p; r++) {
    trace += gram[r * p + r];
    for (let c = 0; c < p; c++) a.set(r, c, gram[r * p + c]);
  }

  let cholesky = new CholeskyDecomposition(a);
  if (!cholesky.isPositiveDefinite()) {
    const ridge = Math.max((1e-8 * trace) / p, 1e-300);
    cholesky = new CholeskyDecomposition(a.add(Matrix.eye(p).mul(ridge)));
  }

  const solution = cholesky.solve(Matrix.columnVector(Array.from(rhs)));
  return Float64Array.from(solution.getColumn(0));
}

/** Largest n·(d+1)(d+2)/2 for which the row outer products are cached (8 bytes each, so at most 160 MB). */
const MAX_CACHED_PRODUCTS = 2e7;

/**
 * Upper triangles of the row outer products x̃_i x̃_iᵀ, n × (d+1)(d+2)/2 row-major, or null when that would
 * take more than MAX_CACHED_PRODUCTS values. Computed once per data set, they make each M-step's Gram
 * matrices one contiguous pass.
 */
export function rowOuterProducts(x: Float64Array, n: number, d: number): Float64Array | null {
  const p = d + 1;
  const triangle = (p * (p + 1)) / 2;
  if (n * triangle > MAX_CACHED_PRODUCTS) return null;

  const products = new Float64Array(n * triangle);
  const xTilde = new Float64Array(p);
  xTilde[0] = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xTilde[j + 1] = x[i * d + j];
    let t = i * triangle;
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) products[t++] = xTilde[a] * xTilde[b];
  }
  return products;
}

/**
 * Accumulates the weighted Gram matrices A_k = Σ_i w_ik x̃_i x̃_iᵀ and right-hand sides b_k = Σ_i w_ik x̃_i y_i
 * for K weight columns in one pass over the data.
 *
 * @param x - covariates, n × d row-major
 * @param weights - n × K row-major
 * @param products - the cached row outer products from rowOuterProducts, if any
 * @returns grams: K blocks of (d+1) × (d+1) row-major; rhs: K blocks of d+1; totals: Σ_i w_ik;
 *   responseSquares: Σ_i w_ik y_i²
 */
export function weightedNormalEquations(x: Float64Array, y: Float64Array, weights: Float64Array, n: number, d: number, K: number, products: Float64Array | null = null) {
  const p = d + 1;
  const triangle = (p * (p + 1)) / 2;
  const packed = new Float64Array(K * triangle);
  const rhs = new Float64Array(K * p);
  const totals = new Float64Array(K);
  const responseSquares = new Float64Array(K);
  const xTilde = new Float64Array(p);
  const outer = new Float64Array(triangle);
  xTilde[0] = 1;

  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xTilde[j + 1] = x[i * d + j];
    const yi = y[i];

    // Packed upper triangle of x̃_i x̃_iᵀ: from the cache, or computed here.
    let source: Float64Array = outer;
    let sourceOffset = 0;
    if (products) {
      source = products;
      sourceOffset = i * triangle;
    } else {
      let t = 0;
      for (let a = 0; a < p; a++) for (let b = a; b < p; b++) outer[t++] = xTilde[a] * xTilde[b];
    }

    for (let k = 0; k < K; k++) {
      const w = weights[i * K + k];
      if (w === 0) continue;
      totals[k] += w;
      responseSquares[k] += w * yi * yi;
      const wy = w * yi;
      for (let a = 0; a < p; a++) rhs[k * p + a] += wy * xTilde[a];
      const offset = k * triangle;
      for (let u = 0; u < triangle; u++) packed[offset + u] += w * source[sourceOffset + u];
    }
  }

  // Unpack each triangle into a full symmetric (d+1) × (d+1) block.
  const grams = new Float64Array(K * p * p);
  for (let k = 0; k < K; k++) {
    let t = k * triangle;
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        const value = packed[t++];
        grams[k * p * p + a * p + b] = value;
        grams[k * p * p + b * p + a] = value;
      }
    }
  }

  return { grams, rhs, totals, responseSquares };
}

/**
 * Weighted residual sum of squares Σ_i w_i (y_i − βᵀx̃_i)² = Σ w y² − 2βᵀb + βᵀAβ from the normal equations,
 * without another pass over the data. Callers center y first so that the subtraction loses no precision.
 */
export function residualSumOfSquares(gram: Float64Array, rhs: Float64Array, responseSquares: number, beta: Float64Array, p: number): number {
  let quadratic = 0;
  let linear = 0;
  for (let a = 0; a < p; a++) {
    linear += beta[a] * rhs[a];
    let row = 0;
    for (let b = 0; b < p; b++) row += gram[a * p + b] * beta[b];
    quadratic += beta[a] * row;
  }
  return Math.max(responseSquares - 2 * linear + quadratic, 0);
}
