/**
 * Dense Cholesky factorization and solves for the small symmetric positive definite systems of the
 * aggregation ((d+1) × (d+1) normal equations), on flat row-major arrays so that hot loops allocate nothing.
 */

/** Relative size of the smallest accepted pivot: a pivot below this times the largest diagonal entry counts as singular. */
const PIVOT_TOLERANCE = 1e-13;

/**
 * Overwrites the lower triangle of `a` (p × p row-major, symmetric) with its Cholesky factor L, a = L Lᵀ.
 * The upper triangle is left as it was.
 *
 * @returns false when `a` is not numerically positive definite; `a` is then partly overwritten
 */
export function choleskyInPlace(a: Float64Array, p: number, offset = 0): boolean {
  let largestDiagonal = 0;
  for (let i = 0; i < p; i++) largestDiagonal = Math.max(largestDiagonal, a[offset + i * p + i]);
  const smallestPivot = PIVOT_TOLERANCE * largestDiagonal;
  if (!(largestDiagonal > 0)) return false;

  for (let j = 0; j < p; j++) {
    const rowJ = offset + j * p;

    // L_jj = sqrt(a_jj − Σ_{t<j} L_jt²)
    let pivot = a[rowJ + j];
    for (let t = 0; t < j; t++) pivot -= a[rowJ + t] * a[rowJ + t];
    if (!(pivot > smallestPivot)) return false;
    const diagonal = Math.sqrt(pivot);
    a[rowJ + j] = diagonal;

    // L_ij = (a_ij − Σ_{t<j} L_it L_jt) / L_jj for i > j
    for (let i = j + 1; i < p; i++) {
      const rowI = offset + i * p;
      let value = a[rowI + j];
      for (let t = 0; t < j; t++) value -= a[rowI + t] * a[rowJ + t];
      a[rowI + j] = value / diagonal;
    }
  }
  return true;
}

/** Solves L Lᵀ z = b in place of b (length p), with L the factor left in the lower triangle of `factor` by choleskyInPlace. */
export function choleskySolveInPlace(factor: Float64Array, b: Float64Array, p: number, factorOffset = 0, bOffset = 0): void {
  // Forward substitution: L u = b.
  for (let i = 0; i < p; i++) {
    const row = factorOffset + i * p;
    let value = b[bOffset + i];
    for (let t = 0; t < i; t++) value -= factor[row + t] * b[bOffset + t];
    b[bOffset + i] = value / factor[row + i];
  }

  // Back substitution: Lᵀ z = u.
  for (let i = p - 1; i >= 0; i--) {
    let value = b[bOffset + i];
    for (let t = i + 1; t < p; t++) value -= factor[factorOffset + t * p + i] * b[bOffset + t];
    b[bOffset + i] = value / factor[factorOffset + i * p + i];
  }
}

/**
 * Solves the normal equations A z = b for a symmetric positive semi-definite A (p × p row-major), writing z
 * into `solution`. When A is singular it solves the ridge system (A + εI) z = b + ε z₀ instead, with
 * ε = 1e-10 · trace(A) / p and z₀ the value `solution` holds on entry. That z minimizes
 * q(z) + ½ε‖z − z₀‖² with q(z) = ½ zᵀAz − bᵀz, so q(z) ≤ q(z₀): the quadratic does not rise above its value at z₀.
 *
 * @param scratch - p × p workspace, overwritten
 * @returns false when the ridge was needed
 */
export function solveNormalEquationsInPlace(
  gram: Float64Array,
  rhs: Float64Array,
  solution: Float64Array,
  p: number,
  scratch: Float64Array,
  gramOffset = 0,
  rhsOffset = 0,
  solutionOffset = 0,
): boolean {
  for (let t = 0; t < p * p; t++) scratch[t] = gram[gramOffset + t];
  const previous = solution.slice(solutionOffset, solutionOffset + p);

  if (choleskyInPlace(scratch, p)) {
    for (let a = 0; a < p; a++) solution[solutionOffset + a] = rhs[rhsOffset + a];
    choleskySolveInPlace(scratch, solution, p, 0, solutionOffset);
    return true;
  }

  let trace = 0;
  for (let a = 0; a < p; a++) trace += gram[gramOffset + a * p + a];
  const ridge = Math.max((1e-10 * trace) / p, 1e-300);
  for (let t = 0; t < p * p; t++) scratch[t] = gram[gramOffset + t];
  for (let a = 0; a < p; a++) scratch[a * p + a] += ridge;

  if (!choleskyInPlace(scratch, p)) {
    throw new Error(`The normal equations stay singular after a ridge of ${ridge}; check the support points for non-finite values.`);
  }
  for (let a = 0; a < p; a++) solution[solutionOffset + a] = rhs[rhsOffset + a] + ridge * previous[a];
  choleskySolveInPlace(scratch, solution, p, 0, solutionOffset);
  return false;
}
