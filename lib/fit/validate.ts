import { parameterCount, type Dataset } from "../model/types";

/**
 * Checks that the data can support a K-expert fit: finite values, consistent shapes, K a positive integer and
 * at least as many rows as free parameters. Each error names the offending value and how to fix it.
 */
export function validateFitInput(data: Dataset, K: number): void {
  if (!Number.isInteger(K) || K < 1) {
    throw new Error(`K must be a positive integer number of experts but got ${K}; use K >= 1.`);
  }
  validateDataset(data);

  const p = parameterCount(K, data.d);
  if (data.n < p) {
    throw new Error(`The data have ${data.n} rows but a K = ${K} model with d = ${data.d} covariates has ${p} free parameters; use fewer experts or more rows.`);
  }
  if (data.n < K) {
    throw new Error(`The data have ${data.n} rows, fewer than K = ${K} experts; use K <= ${data.n}.`);
  }
}

/** Checks shapes and that every covariate and response is finite, naming the first bad row and column. */
export function validateDataset(data: Dataset): void {
  const { n, d, x, y, features } = data;
  if (x.length !== n * d) throw new Error(`Covariates have ${x.length} values but n × d = ${n} × ${d} = ${n * d}; pass an n × d row-major array.`);
  if (y.length !== n) throw new Error(`There are ${y.length} responses for ${n} rows; pass one response per row.`);
  if (features.length !== d) throw new Error(`Got ${features.length} feature names for d = ${d} covariates; pass one name per covariate.`);
  if (n === 0) throw new Error("The data have no rows; pass at least one row.");

  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const value = x[i * d + j];
      if (!Number.isFinite(value)) {
        throw new Error(`Covariate '${features[j]}' is ${value} at row ${i + 1}; remove or impute non-finite values before fitting.`);
      }
    }
    if (!Number.isFinite(y[i])) {
      throw new Error(`The response is ${y[i]} at row ${i + 1}; remove or impute non-finite values before fitting.`);
    }
  }
}
