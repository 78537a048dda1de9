import type { Dataset, MoEModel } from "./types";

const LOG_2PI = Math.log(2 * Math.PI);

/** Flattens a (d+1) × K array of arrays into a row-major Float64Array. */
export function flattenCoefficients(coef: number[][]): Float64Array {
  const rows = coef.length;
  const K = rows > 0 ? coef[0].length : 0;
  const flat = new Float64Array(rows * K);
  for (let j = 0; j < rows; j++) flat.set(coef[j], j * K);
  return flat;
}

/**
 * Computes the linear predictors η_ik = c_0k + Σ_j x_ij c_jk for all rows.
 *
 * @param coef - coefficients, (d+1) × K flattened row-major (row 0 the intercept)
 * @param x - covariates, n × d row-major
 * @returns n × K row-major
 */
export function linearPredictors(coef: Float64Array, x: Float64Array, n: number, d: number, K: number, out?: Float64Array): Float64Array {
  const eta = out ?? new Float64Array(n * K);
  const p = d + 1;

  // Coefficients of each column side by side, K × (d+1), so that the dot products below read them in order.
  const columns = new Float64Array(K * p);
  for (let k = 0; k < K; k++) for (let j = 0; j < p; j++) columns[k * p + j] = coef[j * K + k];

  // Blocks of two rows by two columns: each load feeds two multiply-adds, and the four sums stay in registers
  // (three times faster than one row at a time in V8). Every entry is summed as c_0k + x_i1 c_1k + … + x_id c_dk,
  // in that order, so the rounding does not depend on the blocking.
  const nEven = n - (n % 2);
  const KEven = K - (K % 2);
  for (let i = 0; i < nEven; i += 2) {
    const x0 = i * d;
    const x1 = x0 + d;
    const row0 = i * K;
    const row1 = row0 + K;

    for (let k = 0; k < KEven; k += 2) {
      const c0 = k * p;
      const c1 = c0 + p;
      let eta00 = columns[c0];
      let eta01 = columns[c1];
      let eta10 = eta00;
      let eta11 = eta01;
      for (let j = 0; j < d; j++) {
        const a = x[x0 + j];
        const b = x[x1 + j];
        const u = columns[c0 + 1 + j];
        const v = columns[c1 + 1 + j];
        eta00 += a * u;
        eta01 += a * v;
        eta10 += b * u;
        eta11 += b * v;
      }
      eta[row0 + k] = eta00;
      eta[row0 + k + 1] = eta01;
      eta[row1 + k] = eta10;
      eta[row1 + k + 1] = eta11;
    }

    if (KEven < K) {
      eta[row0 + KEven] = dotWithIntercept(columns, KEven * p, x, x0, d);
      eta[row1 + KEven] = dotWithIntercept(columns, KEven * p, x, x1, d);
    }
  }

  if (nEven < n) {
    for (let k = 0; k < K; k++) eta[nEven * K + k] = dotWithIntercept(columns, k * p, x, nEven * d, d);
  }

  return eta;
}

/** c_0 + Σ_j x_j c_j for the coefficients at columns[c..c+d] and the covariates at x[r..r+d). */
function dotWithIntercept(columns: Float64Array, c: number, x: Float64Array, r: number, d: number): number {
  let sum = columns[c];
  for (let j = 0; j < d; j++) sum += x[r + j] * columns[c + 1 + j];
  return sum;
}

/**
 * Replaces each row of an n × K array of linear predictors by its log-softmax, in place,
 * and returns the array: log π_ik = η_ik − log Σ_l exp(η_il).
 */
export function logSoftmaxRows(eta: Float64Array, n: number, K: number): Float64Array {
  for (let i = 0; i < n; i++) {
    const offset = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (eta[offset + k] > max) max = eta[offset + k];

    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(eta[offset + k] - max);

    const logNorm = max + Math.log(sum);
    for (let k = 0; k < K; k++) eta[offset + k] -= logNorm;
  }
  return eta;
}

/** Log gate probabilities log π_k(x_i), n × K row-major. */
export function logGateProbabilities(model: MoEModel, x: Float64Array, n: number): Float64Array {
  const eta = linearPredictors(flattenCoefficients(model.gates), x, n, model.d, model.K);
  return logSoftmaxRows(eta, n, model.K);
}

/** Gate probabilities π_k(x_i), n × K row-major. */
export function gateProbabilities(model: MoEModel, x: Float64Array, n: number): Float64Array {
  const logPi = logGateProbabilities(model, x, n);
  for (let t = 0; t < logPi.length; t++) logPi[t] = Math.exp(logPi[t]);
  return logPi;
}

/** Expert means β_kᵀ x̃_i, n × K row-major. */
export function expertMeans(model: MoEModel, x: Float64Array, n: number): Float64Array {
  return linearPredictors(flattenCoefficients(model.experts), x, n, model.d, model.K);
}

/** Result of evaluating a model on data: the pieces the E-step and the metrics share. */
export interface Evaluation {
  /** log π_k(x_i) + log N(y_i; β_kᵀx̃_i, σ_k²), n × K row-major. */
  logJoint: Float64Array;
  /** log f(y_i | x_i), length n. */
  logDensity: Float64Array;
  /** Σ_i log f(y_i | x_i). */
  logLikelihood: number;
}

/** Evaluates the joint log-densities, the per-point log-density and the log-likelihood of a model on data. */
export function evaluate(model: MoEModel, data: Dataset): Evaluation {
  const { n } = data;
  const K = model.K;
  checkDimensions(model, data);

  const logJoint = logGateProbabilities(model, data.x, n);
  const mean = expertMeans(model, data.x, n);
  const logDensity = new Float64Array(n);

  const halfLogVar = model.variances.map((v) => 0.5 * (LOG_2PI + Math.log(v)));
  const halfInvVar = model.variances.map((v) => 0.5 / v);

  let logLikelihood = 0;
  for (let i = 0; i < n; i++) {
    const offset = i * K;
    const yi = data.y[i];
    let max = -Infinity;

    // log π_k + log N(y; μ_k, σ_k²) = log π_k − ½ log(2π σ_k²) − (y − μ_k)² / (2σ_k²)
    for (let k = 0; k < K; k++) {
      const r = yi - mean[offset + k];
      const value = logJoint[offset + k] - halfLogVar[k] - r * r * halfInvVar[k];
      logJoint[offset + k] = value;
      if (value > max) max = value;
    }

    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(logJoint[offset + k] - max);
    const value = max + Math.log(sum);
    logDensity[i] = value;
    logLikelihood += value;
  }

  return { logJoint, logDensity, logLikelihood };
}

/** Observed-data log-likelihood Σ_i log f(y_i | x_i). */
export function logLikelihood(model: MoEModel, data: Dataset): number {
  return evaluate(model, data).logLikelihood;
}

/** Responsibilities τ_ik = π_k(x_i) N(y_i; β_kᵀx̃_i, σ_k²) / f(y_i | x_i), n × K row-major. */
export function responsibilities(model: MoEModel, data: Dataset): Float64Array {
  const { logJoint, logDensity } = evaluate(model, data);
  return normalizeResponsibilities(logJoint, logDensity, data.n, model.K);
}

/** Turns joint log-densities into responsibilities in place: τ_ik = exp(logJoint_ik − logDensity_i). */
export function normalizeResponsibilities(logJoint: Float64Array, logDensity: Float64Array, n: number, K: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) logJoint[i * K + k] = Math.exp(logJoint[i * K + k] - logDensity[i]);
  }
  return logJoint;
}

/** Predicted mean ŷ(x_i) = Σ_k π_k(x_i) β_kᵀx̃_i, length n. */
export function predictMean(model: MoEModel, x: Float64Array, n: number): Float64Array {
  const K = model.K;
  const pi = gateProbabilities(model, x, n);
  const mean = expertMeans(model, x, n);
  const yHat = new Float64Array(n);

  for (let i = 0; i < n; i++) {
    let value = 0;
    for (let k = 0; k < K; k++) value += pi[i * K + k] * mean[i * K + k];
    yHat[i] = value;
  }

  return yHat;
}

/** Row-wise argmax of an n × K array, length n (ties go to the lowest index). */
export function argmaxRows(values: Float64Array, n: number, K: number): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (values[i * K + k] > values[i * K + best]) best = k;
    labels[i] = best;
  }
  return labels;
}

/**
 * Hard labels: the gate MAP argmax_k π_k(x_i) by default, or the posterior MAP argmax_k τ_ik
 * when `data` carries responses and `rule` is "posterior".
 */
export function predictLabels(model: MoEModel, data: Dataset, rule: "gate" | "posterior" = "gate"): Int32Array {
  if (rule === "posterior") return argmaxRows(evaluate(model, data).logJoint, data.n, model.K);
  return argmaxRows(logGateProbabilities(model, data.x, data.n), data.n, model.K);
}

function checkDimensions(model: MoEModel, data: Dataset): void {
  if (model.d !== data.d) {
    throw new Error(`The model has d = ${model.d} covariates but the data have ${data.d}; use data with the model's features (${model.features.join(", ")}).`);
  }
}
