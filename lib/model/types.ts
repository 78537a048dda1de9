/**
 * Softmax-gated Gaussian mixture of experts (MoE) for scalar regression:
 *
 *   f(y | x) = Σ_k π_k(x) N(y; β_kᵀ x̃, σ_k²),   π_k(x) = exp(α_kᵀ x̃) / Σ_l exp(α_lᵀ x̃),
 *
 * with x̃ = (1, xᵀ)ᵀ and the last gate column α_K fixed at 0 for identifiability.
 */
export interface MoEModel {
  /** Number of experts. */
  K: number;
  /** Number of covariates (without the intercept). */
  d: number;
  /** Covariate names, length d, in the column order of the coefficient arrays (after the intercept row). */
  features: string[];
  /** Gate coefficients α, (d+1) × K, row 0 the intercept, last column all zeros. */
  gates: number[][];
  /** Expert regression coefficients β, (d+1) × K, row 0 the intercept. */
  experts: number[][];
  /** Expert noise variances σ², length K, all > 0. */
  variances: number[];
}

/**
 * Regression data in row-major layout: x has n rows of d covariates (x[i * d + j]), y has n responses.
 */
export interface Dataset {
  n: number;
  d: number;
  /** Covariate names, length d. */
  features: string[];
  /** Covariates, n × d row-major. */
  x: Float64Array;
  /** Responses, length n. */
  y: Float64Array;
}

/** Builds a Dataset from rows of covariates and a response vector, copying into typed arrays. */
export function datasetFromRows(rows: number[][], y: ArrayLike<number>, features?: string[]): Dataset {
  const n = rows.length;
  const d = n > 0 ? rows[0].length : features?.length ?? 0;
  const x = new Float64Array(n * d);

  for (let i = 0; i < n; i++) {
    if (rows[i].length !== d) {
      throw new Error(`Row ${i} has ${rows[i].length} covariates but row 0 has ${d}; give every row the same columns.`);
    }
    x.set(rows[i], i * d);
  }

  if (y.length !== n) {
    throw new Error(`Got ${n} covariate rows but ${y.length} responses; give one response per row.`);
  }

  return { n, d, features: features ?? defaultFeatureNames(d), x, y: Float64Array.from(y) };
}

/** Returns the rows `indices` of a dataset as a new dataset. */
export function subsetRows(data: Dataset, indices: ArrayLike<number>): Dataset {
  const { d } = data;
  const n = indices.length;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);

  for (let r = 0; r < n; r++) {
    const i = indices[r];
    x.set(data.x.subarray(i * d, i * d + d), r * d);
    y[r] = data.y[i];
  }

  return { n, d, features: data.features.slice(), x, y };
}

/** Names x1..xd, used when a caller gives no feature names. */
export function defaultFeatureNames(d: number): string[] {
  return Array.from({ length: d }, (_, j) => `x${j + 1}`);
}

/** Allocates a zero (rows × cols) array of arrays. */
export function zeros2d(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/** Deep copy of a model. */
export function cloneModel(model: MoEModel): MoEModel {
  return {
    K: model.K,
    d: model.d,
    features: model.features.slice(),
    gates: model.gates.map((row) => row.slice()),
    experts: model.experts.map((row) => row.slice()),
    variances: model.variances.slice(),
  };
}

/** Number of free parameters, (d+1)(2K−1) + K: K−1 gate columns, K experts, K variances. */
export function parameterCount(K: number, d: number): number {
  return (d + 1) * (2 * K - 1) + K;
}
