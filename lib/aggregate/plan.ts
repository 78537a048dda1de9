import type { StackedMixture } from "./mixture";
import type { ReducedExperts } from "./types";

/**
 * A transport plan from the L components of the stacked mixture to K reduced experts, at every support point.
 * Every plan the MM algorithm makes sends all mass of component l at x_s to one expert, so it is stored as
 * that expert's index: P_lk(x_s) = w_l(x_s) · 1[k = assignment_sl].
 */
export interface TransportPlan {
  S: number;
  L: number;
  K: number;
  /** Reduced expert receiving component l at support point s, S × L row-major. */
  assignment: Int32Array;
  /** Transported mass W_ks = Σ_l P_lk(x_s), S × K row-major. */
  mass: Float64Array;
  /**
   * Reference means ρ_ks of the moments below, S × K row-major: the reduced means of the plan step, or 0.
   * Centring on them keeps the second moments accurate when the means are large and close to the reduced ones.
   */
  reference: Float64Array;
  /** First moments Σ_l P_lk(x_s) (μ_ls − ρ_ks), S × K row-major, for the update step. */
  firstMoments: Float64Array;
  /** Second moments Σ_l P_lk(x_s) (μ_ls − ρ_ks)², S × K row-major. */
  secondMoments: Float64Array;
  /** Transported variance Σ_s Σ_l P_lk(x_s) σ_l², length K. */
  transportedVariance: Float64Array;
  /** Number of entries of `assignment` that the last plan step changed. */
  changes: number;
}

/** Allocates a plan for S support points, L components and K reduced experts. */
export function createPlan(S: number, L: number, K: number): TransportPlan {
  return {
    S, L, K,
    assignment: new Int32Array(S * L),
    mass: new Float64Array(S * K),
    reference: new Float64Array(S * K),
    firstMoments: new Float64Array(S * K),
    secondMoments: new Float64Array(S * K),
    transportedVariance: new Float64Array(K),
    changes: 0,
  };
}

/**
 * Plan step of the MM algorithm: at each support point every component sends all its mass to its cheapest
 * reduced expert, P_lk(x_s) = w_l(x_s) · 1[k = argmin_k' c_lk'(x_s)], ties to the lowest index. This plan
 * minimizes the transport objective for the given experts, and the function returns that minimum,
 *
 *   T = (1/S) Σ_s Σ_l w_l(x_s) min_k c_lk(x_s),
 *
 * with c the Gaussian KL cost (see gaussianKL). The same pass sums the statistics of the update step about
 * the current reduced means, so the update step needs no pass over the components. It also counts in
 * plan.changes the assignments that changed.
 *
 * @param reducedMeans - ν_ks = β_kᵀ x̃_s, S × K row-major
 * @param plan - overwritten with the new plan
 * @param scratch - at least 2K entries of workspace
 */
export function assignPlan(mixture: StackedMixture, reduced: ReducedExperts, reducedMeans: Float64Array, plan: TransportPlan, scratch = new Float64Array(2 * reduced.K)): number {
  const { S, L, weights, means, variances, logVariances } = mixture;
  const { K } = reduced;
  const { assignment, mass, reference, firstMoments, secondMoments, transportedVariance } = plan;

  // Only log σ_k² + (σ_l² + (ν_k − μ_l)²) / σ_k² depends on k, so the argmin uses it. Then c_lk = ½ (that − log σ_l² − 1).
  const logVariance = scratch.subarray(0, K);
  const inverseVariance = scratch.subarray(K, 2 * K);
  for (let k = 0; k < K; k++) {
    logVariance[k] = Math.log(reduced.variances[k]);
    inverseVariance[k] = 1 / reduced.variances[k];
  }
  reference.set(reducedMeans.subarray(0, S * K));
  mass.fill(0);
  firstMoments.fill(0);
  secondMoments.fill(0);
  transportedVariance.fill(0);

  let total = 0;
  let changes = 0;
  for (let s = 0; s < S; s++) {
    const rowL = s * L;
    const rowK = s * K;

    for (let l = 0; l < L; l++) {
      const mu = means[rowL + l];
      const varianceL = variances[l];

      let best = 0;
      let bestValue = Infinity;
      let bestDifference = 0;
      for (let k = 0; k < K; k++) {
        const difference = mu - reducedMeans[rowK + k];
        const value = logVariance[k] + (varianceL + difference * difference) * inverseVariance[k];
        if (value < bestValue) {
          bestValue = value;
          bestDifference = difference;
          best = k;
        }
      }

      const w = weights[rowL + l];
      if (assignment[rowL + l] !== best) changes++;
      assignment[rowL + l] = best;
      const cell = rowK + best;
      mass[cell] += w;
      firstMoments[cell] += w * bestDifference;
      secondMoments[cell] += w * bestDifference * bestDifference;
      transportedVariance[best] += w * varianceL;
      const cost = 0.5 * (bestValue - logVariances[l] - 1);
      if (cost > 0) total += w * cost;
    }
  }

  plan.changes = changes;
  return total / S;
}

/**
 * Transport objective of a fixed plan, T = (1/S) Σ_s Σ_l P_lk(x_s) c_lk(x_s) with k = assignment_sl.
 * The update step minimizes this over the experts and variances.
 *
 * @param reducedMeans - ν_ks = β_kᵀ x̃_s for `reduced`, S × K row-major
 */
export function planObjective(mixture: StackedMixture, plan: TransportPlan, reduced: ReducedExperts, reducedMeans: Float64Array): number {
  const { S, L, weights, means, variances, logVariances } = mixture;
  const { K } = reduced;

  let total = 0;
  for (let s = 0; s < S; s++) {
    for (let l = 0; l < L; l++) {
      const k = plan.assignment[s * L + l];
      const varianceK = reduced.variances[k];
      const difference = reducedMeans[s * K + k] - means[s * L + l];
      const cost = 0.5 * (Math.log(varianceK) - logVariances[l] + (variances[l] + difference * difference) / varianceK - 1);
      total += weights[s * L + l] * cost;
    }
  }

  return total / S;
}

/** Fixes the plan to a grouping of the components: component l goes to expert groups[l] at every support point. */
export function planFromGroups(mixture: StackedMixture, groups: ArrayLike<number>, K: number): TransportPlan {
  const { S, L, weights, means, variances } = mixture;
  const plan = createPlan(S, L, K);

  // Reference means 0: the moments are plain sums of μ and μ².
  for (let s = 0; s < S; s++) {
    for (let l = 0; l < L; l++) {
      const k = groups[l];
      const w = weights[s * L + l];
      const mu = means[s * L + l];
      plan.assignment[s * L + l] = k;
      plan.mass[s * K + k] += w;
      plan.firstMoments[s * K + k] += w * mu;
      plan.secondMoments[s * K + k] += w * mu * mu;
      plan.transportedVariance[k] += w * variances[l];
    }
  }

  return plan;
}

/** Total mass Σ_s W_ks each reduced expert receives under a plan, length K. */
export function expertMass(plan: TransportPlan): number[] {
  const { S, K, mass } = plan;
  const totals = new Array<number>(K).fill(0);
  for (let s = 0; s < S; s++) for (let k = 0; k < K; k++) totals[k] += mass[s * K + k];
  return totals;
}
