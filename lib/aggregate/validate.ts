import type { Dataset, MoEModel } from "../model/types";
import type { LocalModel } from "./types";

/** Support points x_1..x_S at which the aggregation compares experts, with responses when the caller gave them. */
export interface SupportPoints {
  /** Number of support points S ≥ 1. */
  S: number;
  d: number;
  features: string[];
  /** Covariates, S × d row-major. */
  x: Float64Array;
  /** Responses y_s, length S, present only when the support was given as a Dataset. */
  y?: Float64Array;
}

/**
 * Checks the local models: at least one, each with n_m > 0, consistent array shapes, finite coefficients and
 * positive variances, and all with the same d and feature names as machine 1. Errors number machines from 1.
 *
 * @returns the shared d and feature names, and L = Σ_m K_m
 */
export function validateLocalModels(localModels: readonly LocalModel[]): { d: number; features: string[]; L: number } {
  if (localModels.length === 0) {
    throw new Error("No local models were given; pass at least one { model, n } per machine.");
  }

  const first = localModels[0].model;
  let L = 0;
  localModels.forEach((local, m) => {
    const { model, n } = local;
    if (!(Number.isFinite(n) && n > 0)) {
      throw new Error(`Machine ${m + 1} has n = ${n} observations; n must be a positive number (the machine's sample size).`);
    }
    if (model.d !== first.d) {
      throw new Error(`Machine ${m + 1} has d = ${model.d} covariates but machine 1 has d = ${first.d}; fit every machine on the same covariates.`);
    }
    const mismatch = model.features.findIndex((name, j) => name !== first.features[j]);
    if (model.features.length !== first.features.length || mismatch >= 0) {
      throw new Error(
        `Machine ${m + 1} has features [${model.features.join(", ")}] but machine 1 has [${first.features.join(", ")}]; ` +
          "fit every machine on the same covariates in the same order.",
      );
    }
    validateModelArrays(model, `Machine ${m + 1}`);
    L += model.K;
  });

  return { d: first.d, features: first.features.slice(), L };
}

/** Checks one model's array shapes, finiteness and positive variances; `label` starts each error message. */
export function validateModelArrays(model: MoEModel, label: string): void {
  const { K, d } = model;
  if (!Number.isInteger(K) || K < 1) {
    throw new Error(`${label} has K = ${K} experts; K must be a positive integer.`);
  }
  if (model.features.length !== d) {
    throw new Error(`${label} has ${model.features.length} feature names for d = ${d} covariates; give one name per covariate.`);
  }

  for (const [name, coefficients] of [["gates", model.gates], ["experts", model.experts]] as const) {
    if (coefficients.length !== d + 1 || coefficients.some((row) => row.length !== K)) {
      throw new Error(`${label} ${name} must be (d+1) × K = ${d + 1} × ${K}; check the array shape.`);
    }
    coefficients.forEach((row, j) =>
      row.forEach((value, k) => {
        if (!Number.isFinite(value)) {
          throw new Error(`${label} ${name}[${j}][${k}] is ${value}; every coefficient must be finite.`);
        }
      }),
    );
  }

  if (model.variances.length !== K) {
    throw new Error(`${label} has ${model.variances.length} variances for K = ${K} experts; give one variance per expert.`);
  }
  model.variances.forEach((variance, k) => {
    if (!(Number.isFinite(variance) && variance > 0)) {
      throw new Error(`${label} variance of expert ${k} is ${variance}; variances must be positive and finite.`);
    }
  });
}

/** Checks that the reduced size K is an integer with 1 ≤ K ≤ L, L the total number of local experts. */
export function validateReducedSize(K: number, L: number): void {
  if (!Number.isInteger(K) || K < 1) {
    throw new Error(`K must be a positive integer number of reduced experts but got ${K}.`);
  }
  if (K > L) {
    throw new Error(`K = ${K} reduced experts exceeds the L = ${L} experts of all local models together; use K <= ${L}.`);
  }
}

/**
 * Reads the support points: a Float64Array of S × d covariates (row-major) or a Dataset, which also carries
 * responses. A Dataset whose responses are all NaN (covariates only, as `otmoe aggregate` and the Gaussian
 * support source build them) gives points without responses. Checks that there is at least one point, that
 * the shape and feature names match the models, and that every value is finite (the error names the row and the column).
 */
export function readSupportPoints(support: Float64Array | Dataset, d: number, features: readonly string[]): SupportPoints {
  let points: SupportPoints;

  if (support instanceof Float64Array) {
    if (d === 0) {
      throw new Error("With d = 0 covariates the number of support points cannot be read from a flat array; pass the support as a Dataset.");
    }
    if (support.length % d !== 0) {
      throw new Error(`Support points have ${support.length} values, not a multiple of d = ${d}; pass an S × d row-major array.`);
    }
    points = { S: support.length / d, d, features: features.slice(), x: support };
  } else {
    if (support.d !== d) {
      throw new Error(`Support points have d = ${support.d} covariates but the local models have d = ${d}; use the models' covariates.`);
    }
    if (support.features.length !== d || support.features.some((name, j) => name !== features[j])) {
      throw new Error(
        `Support points have features [${support.features.join(", ")}] but the local models have [${features.join(", ")}]; ` +
          "use the same covariates in the same order.",
      );
    }
    if (support.x.length !== support.n * d || support.y.length !== support.n) {
      throw new Error(`Support dataset has ${support.x.length} covariate values and ${support.y.length} responses for n = ${support.n} rows; fix its shape.`);
    }
    const covariatesOnly = support.y.every((value) => Number.isNaN(value));
    points = { S: support.n, d, features: features.slice(), x: support.x, ...(covariatesOnly ? {} : { y: support.y }) };
  }

  if (points.S === 0) {
    throw new Error("The support is empty; pass at least one row of covariates as support points.");
  }

  const { S, x, y } = points;
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < d; j++) {
      const value = x[s * d + j];
      if (!Number.isFinite(value)) {
        throw new Error(`Support point ${s} (0-based row) has ${value} in column ${j} ('${features[j]}'); remove or impute non-finite rows.`);
      }
    }
    if (y && !Number.isFinite(y[s])) {
      throw new Error(`Support point ${s} (0-based row) has response ${y[s]}; remove or impute non-finite rows.`);
    }
  }

  return points;
}
