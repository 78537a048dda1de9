import type { Dataset, MoEModel } from "../model/types";
import { cloneModel } from "../model/types";

/**
 * Column means μ_j and standard deviations s_j of the covariates (length d each), and the response mean,
 * which is subtracted so that sums of squares in the M-step lose no precision.
 */
export interface Scaling {
  mean: Float64Array;
  sd: Float64Array;
  responseMean: number;
}

/**
 * Computes column means and (population) standard deviations. A constant column is an error, because its
 * slope cannot be identified next to the intercept.
 */
export function computeScaling(data: Dataset): Scaling {
  const { n, d, x } = data;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);

  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;

  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const centered = x[i * d + j] - mean[j];
      sd[j] += centered * centered;
    }
  }

  for (let j = 0; j < d; j++) {
    sd[j] = Math.sqrt(sd[j] / n);
    if (!(sd[j] > 1e-12 * Math.max(1, Math.abs(mean[j])))) {
      throw new Error(`Covariate '${data.features[j]}' is constant (every row is ${mean[j]}); remove it from the features, since the intercept already models a constant.`);
    }
  }

  let responseMean = 0;
  for (let i = 0; i < n; i++) responseMean += data.y[i];
  responseMean /= n;

  return { mean, sd, responseMean };
}

/** Returns a copy of the data with standardized covariates (x − μ) / s and centered responses y − ȳ. */
export function standardize(data: Dataset, scaling: Scaling): Dataset {
  const { n, d } = data;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = (data.x[i * d + j] - scaling.mean[j]) / scaling.sd[j];
    y[i] = data.y[i] - scaling.responseMean;
  }
  return { ...data, x, y };
}

/**
 * Maps coefficients fitted on standardized covariates back to the original scale:
 * slope c_j / s_j, intercept c_0 − Σ_j μ_j c_j / s_j (gates and experts alike), then adds ȳ to the expert intercepts.
 */
export function unstandardizeModel(model: MoEModel, scaling: Scaling): MoEModel {
  const result = cloneModel(model);
  transformCoefficients(model.gates, result.gates, scaling, "toOriginal");
  transformCoefficients(model.experts, result.experts, scaling, "toOriginal");
  for (let k = 0; k < model.K; k++) result.experts[0][k] += scaling.responseMean;
  return result;
}

/** Maps coefficients on the original scale to standardized covariates (the inverse of unstandardizeModel). */
export function standardizeModel(model: MoEModel, scaling: Scaling): MoEModel {
  const result = cloneModel(model);
  transformCoefficients(model.gates, result.gates, scaling, "toStandardized");
  transformCoefficients(model.experts, result.experts, scaling, "toStandardized");
  for (let k = 0; k < model.K; k++) result.experts[0][k] -= scaling.responseMean;
  return result;
}

function transformCoefficients(source: number[][], target: number[][], scaling: Scaling, direction: "toOriginal" | "toStandardized"): void {
  const d = scaling.mean.length;
  const K = source[0].length;

  for (let k = 0; k < K; k++) {
    let intercept = source[0][k];
    for (let j = 0; j < d; j++) {
      // Standardized slope b_j relates to the original slope c_j by b_j = c_j s_j.
      const slope = direction === "toOriginal" ? source[j + 1][k] / scaling.sd[j] : source[j + 1][k] * scaling.sd[j];
      target[j + 1][k] = slope;
      intercept += direction === "toOriginal" ? -scaling.mean[j] * slope : scaling.mean[j] * source[j + 1][k];
    }
    target[0][k] = intercept;
  }
}
