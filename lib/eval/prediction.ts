import { evaluate, predictMean } from "../model/density";
import type { Dataset, MoEModel } from "../model/types";

/** Log-likelihood of a model on held-out data, in nats. */
export interface HeldOutLogLikelihood {
  /** Σ_i log f(y_i | x_i). */
  sum: number;
  /** Σ_i log f(y_i | x_i) / n, so that data sets of different sizes compare. */
  mean: number;
}

/** Computes the log-likelihood Σ_i log f(y_i | x_i) of `model` on `data` and its mean per point. */
export function testLogLikelihood(model: MoEModel, data: Dataset): HeldOutLogLikelihood {
  requireNonEmpty(data.n);
  const sum = evaluate(model, data).logLikelihood;
  return { sum, mean: sum / data.n };
}

/** Errors of predictions ŷ against responses y. RMSE and MAE are in the unit of y. */
export interface PredictionErrors {
  /** Relative prediction error Σ (y − ŷ)² / Σ y², unitless. Infinity when every y is 0, or NaN if every ŷ is 0 as well. */
  rpe: number;
  /** Root mean squared error √(Σ (y − ŷ)² / n). */
  rmse: number;
  /** Mean absolute error Σ |y − ŷ| / n. */
  mae: number;
  /** Pearson correlation of y and ŷ; NaN when y or ŷ is constant. */
  pearson: number;
}

/**
 * Computes RPE, RMSE, MAE and the Pearson correlation of responses and predictions.
 *
 * @param y - responses, length n
 * @param predicted - predictions ŷ, length n
 */
export function predictionErrors(y: ArrayLike<number>, predicted: ArrayLike<number>): PredictionErrors {
  const n = y.length;
  if (predicted.length !== n) {
    throw new Error(`Got ${n} responses but ${predicted.length} predictions; give one prediction per response.`);
  }
  requireNonEmpty(n);

  let squaredError = 0;
  let absoluteError = 0;
  let squaredResponse = 0;
  let meanY = 0;
  let meanPredicted = 0;
  for (let i = 0; i < n; i++) {
    const residual = y[i] - predicted[i];
    squaredError += residual * residual;
    absoluteError += Math.abs(residual);
    squaredResponse += y[i] * y[i];
    meanY += y[i];
    meanPredicted += predicted[i];
  }
  meanY /= n;
  meanPredicted /= n;

  // Pearson r = Σ (y − ȳ)(ŷ − ŷ̄) / √(Σ (y − ȳ)² Σ (ŷ − ŷ̄)²), centred in a second pass for accuracy.
  let covariance = 0;
  let varianceY = 0;
  let variancePredicted = 0;
  for (let i = 0; i < n; i++) {
    const dy = y[i] - meanY;
    const dp = predicted[i] - meanPredicted;
    covariance += dy * dp;
    varianceY += dy * dy;
    variancePredicted += dp * dp;
  }
  const scale = Math.sqrt(varianceY * variancePredicted);

  return {
    rpe: squaredError / squaredResponse,
    rmse: Math.sqrt(squaredError / n),
    mae: absoluteError / n,
    pearson: scale > 0 ? covariance / scale : NaN,
  };
}

/** Computes the prediction errors of the model's predicted mean ŷ(x) = Σ_k π_k(x) β_kᵀx̃ on `data`. */
export function modelPredictionErrors(model: MoEModel, data: Dataset): PredictionErrors {
  requireNonEmpty(data.n);
  if (model.d !== data.d) {
    throw new Error(`The model has d = ${model.d} covariates but the data have ${data.d}; use data with the model's features.`);
  }
  return predictionErrors(data.y, predictMean(model, data.x, data.n));
}

function requireNonEmpty(n: number): void {
  if (n < 1) throw new Error("The held-out data set is empty (n = 0); give at least one point.");
}
