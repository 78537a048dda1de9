import { canonicalize } from "../model/canonical";
import { flattenCoefficients, linearPredictors } from "../model/density";
import type { LocalModel, ReducedExperts } from "./types";
import type { SupportPoints } from "./validate";

/**
 * The M local models stacked into one mixture of L = Σ_m K_m components, evaluated at the S support points.
 * Component l = (m, k) is expert k of machine m, with weight function w_l(x) = λ_m π_k(x; α^(m)) and
 * λ_m = n_m / Σ n. Each local model enters in canonical order, so the mixture, and every result built on it,
 * does not depend on how a machine labels its experts.
 */
export interface StackedMixture {
  /** Number of support points. */
  S: number;
  d: number;
  /** Number of components L. */
  L: number;
  /** Number of machines M. */
  M: number;
  features: string[];
  /** Support covariates, S × d row-major. */
  support: Float64Array;
  /** Machine weights λ_m = n_m / Σ n, length M. */
  machineWeights: Float64Array;
  /** Machine of each component, length L. */
  componentMachine: Int32Array;
  /** Index of each component among its machine's experts (canonical order), length L. */
  componentExpert: Int32Array;
  /** First component of each machine, length M + 1 (the last entry is L). */
  machineOffsets: Int32Array;
  /** Component experts β_l, L × (d+1) row-major. */
  experts: Float64Array;
  /** Component gate coefficients α_l of their machine's canonical model (last expert of each machine 0), L × (d+1) row-major. */
  gates: Float64Array;
  /** Component variances σ_l², length L. */
  variances: Float64Array;
  /** log σ_l², length L. */
  logVariances: Float64Array;
  /** Component weights w_l(x_s), S × L row-major; each row sums to 1. */
  weights: Float64Array;
  /** Component means β_lᵀ x̃_s, S × L row-major. */
  means: Float64Array;
  /** Total mass of each component Σ_s w_l(x_s), length L. */
  componentMass: Float64Array;
}

/**
 * Stacks validated local models at validated support points (see validateLocalModels and readSupportPoints).
 * Costs O(S (d+1) L): one pass over the support points for the gate predictors and one for the expert means.
 *
 * @param shared - allocate `weights` and `means` (S × L each) in a SharedArrayBuffer, so that posting the
 *   mixture to another thread shares them instead of copying them
 */
export function stackLocalModels(localModels: readonly LocalModel[], support: SupportPoints, shared = false): StackedMixture {
  const { S, d, x } = support;
  const M = localModels.length;
  const p = d + 1;
  const canonicalModels = localModels.map((local) => canonicalize(local.model));

  const machineOffsets = new Int32Array(M + 1);
  canonicalModels.forEach((model, m) => (machineOffsets[m + 1] = machineOffsets[m] + model.K));
  const L = machineOffsets[M];

  const totalSize = localModels.reduce((sum, local) => sum + local.n, 0);
  const machineWeights = Float64Array.from(localModels, (local) => local.n / totalSize);

  const componentMachine = new Int32Array(L);
  const componentExpert = new Int32Array(L);
  const experts = new Float64Array(L * p);
  const gates = new Float64Array(L * p);
  const variances = new Float64Array(L);
  const logVariances = new Float64Array(L);

  // Gate and expert coefficients of all components side by side, (d+1) × L row-major.
  const gateCoefficients = new Float64Array(p * L);
  const expertCoefficients = new Float64Array(p * L);
  for (let m = 0; m < M; m++) {
    const model = canonicalModels[m];
    for (let k = 0; k < model.K; k++) {
      const l = machineOffsets[m] + k;
      componentMachine[l] = m;
      componentExpert[l] = k;
      variances[l] = model.variances[k];
      logVariances[l] = Math.log(model.variances[k]);
      for (let j = 0; j < p; j++) {
        experts[l * p + j] = model.experts[j][k];
        gates[l * p + j] = model.gates[j][k];
        expertCoefficients[j * L + l] = model.experts[j][k];
        gateCoefficients[j * L + l] = model.gates[j][k];
      }
    }
  }

  // μ_ls = β_lᵀ x̃_s, and w_l(x_s) = λ_m π_k(x_s; α^(m)): a softmax over each machine's block of gate predictors.
  const allocate = (length: number): Float64Array => (shared ? new Float64Array(new SharedArrayBuffer(8 * length)) : new Float64Array(length));
  const means = linearPredictors(expertCoefficients, x, S, d, L, allocate(S * L));
  const weights = linearPredictors(gateCoefficients, x, S, d, L, allocate(S * L));
  const componentMass = new Float64Array(L);
  for (let s = 0; s < S; s++) {
    for (let m = 0; m < M; m++) {
      const start = s * L + machineOffsets[m];
      const end = s * L + machineOffsets[m + 1];

      // λ_m · softmax of the block, with its maximum subtracted before exp.
      let max = -Infinity;
      for (let t = start; t < end; t++) if (weights[t] > max) max = weights[t];
      let sum = 0;
      for (let t = start; t < end; t++) {
        weights[t] = Math.exp(weights[t] - max);
        sum += weights[t];
      }
      const factor = machineWeights[m] / sum;
      for (let t = start; t < end; t++) {
        weights[t] *= factor;
        componentMass[t - s * L] += weights[t];
      }
    }
  }

  return {
    S, d, L, M,
    features: support.features.slice(),
    support: x,
    machineWeights, componentMachine, componentExpert, machineOffsets,
    experts, gates, variances, logVariances, weights, means, componentMass,
  };
}

/**
 * Computes the reduced expert means ν_ks = β_kᵀ x̃_s at the support points.
 *
 * @param out - S × K row-major, overwritten and returned
 */
export function reducedMeansAtSupport(support: Float64Array, S: number, reduced: ReducedExperts, out: Float64Array, coefficients?: Float64Array): Float64Array {
  const { K, d } = reduced;
  const p = d + 1;

  // linearPredictors reads (d+1) × K row-major coefficients, the transpose of the K × (d+1) expert layout.
  const flat = coefficients ?? new Float64Array(p * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < p; j++) flat[j * K + k] = reduced.experts[k * p + j];
  return linearPredictors(flat, support, S, d, K, out);
}

/** Copies the experts and variances of a model ((d+1) × K arrays) into the K × (d+1) reduced layout. */
export function reducedFromModel(model: { K: number; d: number; experts: number[][]; variances: number[] }): ReducedExperts {
  const { K, d } = model;
  const p = d + 1;
  const flat = flattenCoefficients(model.experts);
  const experts = new Float64Array(K * p);
  for (let k = 0; k < K; k++) for (let j = 0; j < p; j++) experts[k * p + j] = flat[j * K + k];
  return { K, d, experts, variances: Float64Array.from(model.variances) };
}

/** Copies reduced experts into (d+1) × K arrays of arrays, the MoEModel layout. */
export function expertsToArrays(reduced: ReducedExperts): number[][] {
  const { K, d } = reduced;
  const p = d + 1;
  return Array.from({ length: p }, (_, j) => Array.from({ length: K }, (__, k) => reduced.experts[k * p + j]));
}

/** Deep copy of reduced experts. */
export function cloneReduced(reduced: ReducedExperts): ReducedExperts {
  return { K: reduced.K, d: reduced.d, experts: reduced.experts.slice(), variances: reduced.variances.slice() };
}
