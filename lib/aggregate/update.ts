import { solveNormalEquationsInPlace } from "./cholesky";
import { reducedMeansAtSupport, type StackedMixture } from "./mixture";
import type { TransportPlan } from "./plan";
import type { ReducedExperts } from "./types";

/** Buffers of the update step, allocated once per MM run so that the iterations allocate nothing. */
export interface UpdateWorkspace {
  /** Σ_s W_ks x̃_s x̃_sᵀ, K blocks of (d+1) × (d+1) row-major. */
  grams: Float64Array;
  /** Σ_s x̃_s Σ_l P_lk(x_s) μ_ls, K blocks of d+1. */
  rhs: Float64Array;
  /** Σ_s W_ks, length K. */
  totalMass: Float64Array;
  /** Σ_s Σ_l P_lk(x_s) [σ_l² + (μ_ls − ν_ks)²], length K. */
  spread: Float64Array;
  /** (d+1) × (d+1) scratch for the factorization. */
  factor: Float64Array;
  /** (d+1) × K scratch for the transposed expert coefficients. */
  coefficients: Float64Array;
  xTilde: Float64Array;
}

/** Allocates the update buffers for d covariates and K reduced experts. */
export function createUpdateWorkspace(d: number, K: number): UpdateWorkspace {
  const p = d + 1;
  return {
    grams: new Float64Array(K * p * p),
    rhs: new Float64Array(K * p),
    totalMass: new Float64Array(K),
    spread: new Float64Array(K),
    factor: new Float64Array(p * p),
    coefficients: new Float64Array(p * K),
    xTilde: new Float64Array(p),
  };
}

/** Report of one update step. */
export interface UpdateReport {
  /** Experts that received no mass and kept their previous value. */
  emptyExperts: number[];
  /** Experts whose normal equations were singular, solved with a small ridge toward the previous value. */
  singularExperts: number[];
}

/**
 * Update step of the MM algorithm: for a fixed plan, the exact minimizer of the transport objective over each
 * reduced expert k, with W_ks = Σ_l P_lk(x_s):
 *
 *   β_k  = (Σ_s W_ks x̃_s x̃_sᵀ)⁻¹ Σ_s x̃_s Σ_l P_lk(x_s) μ_ls,          μ_ls = β_lᵀ x̃_s
 *   σ_k² = Σ_s Σ_l P_lk(x_s) [σ_l² + (μ_ls − β_kᵀ x̃_s)²] / Σ_s W_ks.
 *
 * β_k is a weighted least-squares fit to the transported expert means, because the variance scales all squared
 * mean differences of expert k equally. Setting ∂T/∂σ_k² = 0 at that β_k gives σ_k², and it is positive because
 * every σ_l² is. An expert with Σ_s W_ks = 0 keeps its value. Singular normal equations get a ridge toward the
 * previous β_k, which still does not increase T (see solveNormalEquationsInPlace).
 *
 * Every sum over the components comes from the plan's moments (see TransportPlan), so the step costs
 * O(S K (d+1)²) and not O(S L).
 *
 * @param reduced - updated in place
 * @param reducedMeans - S × K row-major, overwritten with ν_ks = β_kᵀ x̃_s of the updated experts
 */
export function updateExperts(
  mixture: StackedMixture,
  plan: TransportPlan,
  reduced: ReducedExperts,
  reducedMeans: Float64Array,
  workspace: UpdateWorkspace,
): UpdateReport {
  const { S, d, support } = mixture;
  const { K } = reduced;
  const p = d + 1;
  const { grams, rhs, totalMass, spread, xTilde } = workspace;
  const { mass, reference, firstMoments, secondMoments, transportedVariance } = plan;

  // Normal equations: A_k = Σ_s W_ks x̃_s x̃_sᵀ (upper triangle, mirrored below), b_k = Σ_s r_ks x̃_s with the
  // transported means r_ks = Σ_l P_lk(x_s) μ_ls = ρ_ks W_ks + Σ_l P_lk(x_s) (μ_ls − ρ_ks).
  grams.fill(0);
  rhs.fill(0);
  totalMass.fill(0);
  xTilde[0] = 1;
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < d; j++) xTilde[j + 1] = support[s * d + j];
    for (let k = 0; k < K; k++) {
      const w = mass[s * K + k];
      if (w === 0) continue;
      totalMass[k] += w;
      const r = reference[s * K + k] * w + firstMoments[s * K + k];
      const gramOffset = k * p * p;
      for (let a = 0; a < p; a++) {
        rhs[k * p + a] += r * xTilde[a];
        const wa = w * xTilde[a];
        const row = gramOffset + a * p;
        for (let b = a; b < p; b++) grams[row + b] += wa * xTilde[b];
      }
    }
  }
  for (let k = 0; k < K; k++) {
    const gramOffset = k * p * p;
    for (let a = 1; a < p; a++) for (let b = 0; b < a; b++) grams[gramOffset + a * p + b] = grams[gramOffset + b * p + a];
  }

  // β_k from the normal equations; an expert without mass keeps its value.
  const emptyExperts: number[] = [];
  const singularExperts: number[] = [];
  for (let k = 0; k < K; k++) {
    if (!(totalMass[k] > 0)) {
      emptyExperts.push(k);
      continue;
    }
    const regular = solveNormalEquationsInPlace(grams, rhs, reduced.experts, p, workspace.factor, k * p * p, k * p, k * p);
    if (!regular) singularExperts.push(k);
  }

  // σ_k² = Σ_s Σ_l P_lk(x_s) [σ_l² + (μ_ls − ν_ks)²] / Σ_s W_ks at the new means ν. With δ = ν − ρ,
  // Σ_l P (μ − ν)² = Σ_l P (μ − ρ)² − 2 δ Σ_l P (μ − ρ) + δ² W, which is never negative, so rounding below 0 is cut.
  reducedMeansAtSupport(support, S, reduced, reducedMeans, workspace.coefficients);
  spread.fill(0);
  for (let s = 0; s < S; s++) {
    for (let k = 0; k < K; k++) {
      const cell = s * K + k;
      const w = mass[cell];
      if (w === 0) continue;
      const delta = reducedMeans[cell] - reference[cell];
      spread[k] += secondMoments[cell] - 2 * delta * firstMoments[cell] + delta * delta * w;
    }
  }
  for (let k = 0; k < K; k++) {
    if (totalMass[k] > 0) reduced.variances[k] = (transportedVariance[k] + Math.max(spread[k], 0)) / totalMass[k];
  }

  return { emptyExperts, singularExperts };
}
