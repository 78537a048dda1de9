import { canonicalize, permuteExperts } from "../model/canonical";
import type { MoEModel } from "../model/types";
import { solveAssignment } from "./assignment";

/**
 * Mean squared errors between the parameters of a fitted model and of the true model, after both are put
 * in the same expert order. Each field is a mean over entries, in squared units of the parameter.
 */
export interface ParameterMse {
  /** Over the (d+1)(K−1) free gate coefficients; the fixed zero last column is excluded. */
  gates: number;
  /** Over the (d+1)K expert coefficients. */
  experts: number;
  /** Over the K variances. */
  variances: number;
  /** Over all (d+1)(2K−1) + K free parameters together (not the mean of the three fields above). */
  total: number;
}

/**
 * Rule that pairs the experts of the fitted model with those of the truth.
 * - "canonical": both models in canonical order (ascending intercept, ties by variance).
 * - "matched": the fitted experts permuted to minimize Σ_k ‖β̂_k − β_k‖² + (σ̂_k² − σ_k²)² (Hungarian algorithm),
 *   for designs whose experts share an intercept, where the canonical order is arbitrary.
 */
export type ExpertAlignment = "canonical" | "matched";

/**
 * Puts a fitted and a true model in the same expert order, each with its last gate column 0.
 *
 * @returns the two models, reordered copies
 */
export function alignExperts(fitted: MoEModel, truth: MoEModel, alignment: ExpertAlignment = "canonical"): { fitted: MoEModel; truth: MoEModel } {
  checkSameShape(fitted, truth);

  if (alignment === "canonical") {
    return { fitted: canonicalize(fitted), truth: canonicalize(truth) };
  }
  if (alignment !== "matched") {
    throw new Error(`Unknown expert alignment "${alignment as string}"; use "canonical" or "matched".`);
  }

  // cost[k][l]: squared distance between true expert k and fitted expert l (coefficients and variance).
  const K = truth.K;
  const cost = Array.from({ length: K }, (_, k) =>
    Array.from({ length: K }, (__, l) => {
      let distance = (fitted.variances[l] - truth.variances[k]) ** 2;
      for (let j = 0; j <= truth.d; j++) distance += (fitted.experts[j][l] - truth.experts[j][k]) ** 2;
      return distance;
    }),
  );
  const order = solveAssignment(cost);

  // Re-anchoring the truth with the identity order only restores a last gate column of exactly 0.
  const identity = Array.from({ length: K }, (_, k) => k);
  return { fitted: permuteExperts(fitted, order), truth: permuteExperts(truth, identity) };
}

/** Computes the parameter MSE of a fitted model against the true model (see ParameterMse). */
export function parameterMse(fitted: MoEModel, truth: MoEModel, alignment: ExpertAlignment = "canonical"): ParameterMse {
  const aligned = alignExperts(fitted, truth, alignment);
  const { K, d } = truth;

  const gates = sumSquaredDifferences(aligned.fitted.gates, aligned.truth.gates, K - 1);
  const experts = sumSquaredDifferences(aligned.fitted.experts, aligned.truth.experts, K);
  let variances = 0;
  for (let k = 0; k < K; k++) variances += (aligned.fitted.variances[k] - aligned.truth.variances[k]) ** 2;

  const gateCount = (d + 1) * (K - 1);
  const expertCount = (d + 1) * K;

  return {
    // K = 1 has no free gate coefficient, so its gate error is 0 rather than 0/0.
    gates: gateCount > 0 ? gates / gateCount : 0,
    experts: experts / expertCount,
    variances: variances / K,
    total: (gates + experts + variances) / (gateCount + expertCount + K),
  };
}

/** Σ over rows j and columns k < columns of (a[j][k] − b[j][k])². */
function sumSquaredDifferences(a: number[][], b: number[][], columns: number): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    for (let k = 0; k < columns; k++) sum += (a[j][k] - b[j][k]) ** 2;
  }
  return sum;
}

function checkSameShape(fitted: MoEModel, truth: MoEModel): void {
  if (fitted.K !== truth.K || fitted.d !== truth.d) {
    throw new Error(
      `The fitted model has K = ${fitted.K}, d = ${fitted.d} but the true model has K = ${truth.K}, d = ${truth.d}; ` +
        "parameter errors need models of the same shape.",
    );
  }
}
