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

/** Widest K that the plan step's unrolled kernel handles; larger K take the plain loop. */
const KERNEL_WIDTH = 8;

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
 */
export function assignPlan(mixture: StackedMixture, reduced: ReducedExperts, reducedMeans: Float64Array, plan: TransportPlan): number {
  const { S } = mixture;
  const { K } = reduced;

  // Only log σ_k² + (σ_l² + (ν_k − μ_l)²) / σ_k² depends on k, so the argmin uses it. Then c_lk = ½ (that − log σ_l² − 1).
  // Lanes past K, used by the unrolled kernel, get log σ² = +∞ so that they never win.
  const lanes = Math.max(K, KERNEL_WIDTH);
  const logVariance = new Float64Array(lanes).fill(Infinity);
  const inverseVariance = new Float64Array(lanes);
  for (let k = 0; k < K; k++) {
    logVariance[k] = Math.log(reduced.variances[k]);
    inverseVariance[k] = 1 / reduced.variances[k];
  }

  plan.reference.set(reducedMeans.subarray(0, S * K));
  plan.mass.fill(0);
  plan.firstMoments.fill(0);
  plan.secondMoments.fill(0);
  plan.transportedVariance.fill(0);

  const total = K <= KERNEL_WIDTH ? assignUnrolled(mixture, reducedMeans, plan, logVariance, inverseVariance) : assignLooped(mixture, reducedMeans, plan, logVariance, inverseVariance);
  return total / S;
}

/**
 * Runs the plan step for K ≤ 8, with the eight experts' constants held in local variables. In V8 this takes
 * 20 ms where the loop over k of assignLooped takes 34 ms (K = 5, L = 640, S = 2000, as in bench/aggregate.ts).
 *
 * @returns Σ_s Σ_l w_l(x_s) min_k c_lk(x_s)
 */
function assignUnrolled(mixture: StackedMixture, reducedMeans: Float64Array, plan: TransportPlan, logVariance: Float64Array, inverseVariance: Float64Array): number {
  const { S, L, weights, means, variances, logVariances } = mixture;
  const { K, assignment, mass, firstMoments, secondMoments, transportedVariance } = plan;
  const a0 = logVariance[0], a1 = logVariance[1], a2 = logVariance[2], a3 = logVariance[3];
  const a4 = logVariance[4], a5 = logVariance[5], a6 = logVariance[6], a7 = logVariance[7];
  const i0 = inverseVariance[0], i1 = inverseVariance[1], i2 = inverseVariance[2], i3 = inverseVariance[3];
  const i4 = inverseVariance[4], i5 = inverseVariance[5], i6 = inverseVariance[6], i7 = inverseVariance[7];
  const rowMeans = new Float64Array(KERNEL_WIDTH);

  let total = 0;
  let changes = 0;
  for (let s = 0; s < S; s++) {
    const rowL = s * L;
    const rowK = s * K;
    for (let k = 0; k < K; k++) rowMeans[k] = reducedMeans[rowK + k];
    const n0 = rowMeans[0], n1 = rowMeans[1], n2 = rowMeans[2], n3 = rowMeans[3];
    const n4 = rowMeans[4], n5 = rowMeans[5], n6 = rowMeans[6], n7 = rowMeans[7];

    for (let l = 0; l < L; l++) {
      const mu = means[rowL + l];
      const varianceL = variances[l];

      // Running minimum over the lanes. A strict < keeps ties at the lowest index.
      let difference = mu - n0;
      let bestValue = a0 + (varianceL + difference * difference) * i0;
      let best = 0;
      difference = mu - n1;
      let value = a1 + (varianceL + difference * difference) * i1;
      if (value < bestValue) {
        bestValue = value;
        best = 1;
      }
      difference = mu - n2;
      value = a2 + (varianceL + difference * difference) * i2;
      if (value < bestValue) {
        bestValue = value;
        best = 2;
      }
      difference = mu - n3;
      value = a3 + (varianceL + difference * difference) * i3;
      if (value < bestValue) {
        bestValue = value;
        best = 3;
      }
      difference = mu - n4;
      value = a4 + (varianceL + difference * difference) * i4;
      if (value < bestValue) {
        bestValue = value;
        best = 4;
      }
      difference = mu - n5;
      value = a5 + (varianceL + difference * difference) * i5;
      if (value < bestValue) {
        bestValue = value;
        best = 5;
      }
      difference = mu - n6;
      value = a6 + (varianceL + difference * difference) * i6;
      if (value < bestValue) {
        bestValue = value;
        best = 6;
      }
      difference = mu - n7;
      value = a7 + (varianceL + difference * difference) * i7;
      if (value < bestValue) {
        bestValue = value;
        best = 7;
      }

      const w = weights[rowL + l];
      if (assignment[rowL + l] !== best) changes++;
      assignment[rowL + l] = best;
      const bestDifference = mu - rowMeans[best];
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
  return total;
}

/** Runs the plan step for any K as a loop over the experts (see assignUnrolled). */
function assignLooped(mixture: StackedMixture, reducedMeans: Float64Array, plan: TransportPlan, logVariance: Float64Array, inverseVariance: Float64Array): number {
  const { S, L, weights, means, variances, logVariances } = mixture;
  const { K, assignment, mass, firstMoments, secondMoments, transportedVariance } = plan;

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
  return total;
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
