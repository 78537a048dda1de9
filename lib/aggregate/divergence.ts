import { expertMeans, gateProbabilities } from "../model/density";
import type { Dataset, MoEModel } from "../model/types";
import { gaussianKL } from "./cost";
import { readSupportPoints, validateModelArrays } from "./validate";

/**
 * Transportation divergence from model A to model B at support points x_1..x_S (nats):
 *
 *   D(A → B) = (1/S) Σ_s Σ_k π_k^A(x_s) min_j KL( N(β_kᴬᵀ x̃_s, σ_kᴬ²) ‖ N(β_jᴮᵀ x̃_s, σ_jᴮ²) ).
 *
 * It is the transport objective with A as the stacked mixture (a single machine) and B's experts as the reduced
 * experts: each expert of A sends its gate mass at x_s to the expert of B it is cheapest to move onto. B's gates
 * do not enter, and D is not symmetric. D(A → B) = 0 when every expert of A with mass at the support points
 * coincides there with an expert of B. As a metric, A is the fitted model and B the true model.
 *
 * @param support - support covariates, S × d row-major, or a Dataset
 */
export function transportDivergence(from: MoEModel, to: MoEModel, support: Float64Array | Dataset): number {
  validateModelArrays(from, "The source model");
  validateModelArrays(to, "The target model");
  if (from.d !== to.d || from.features.some((name, j) => name !== to.features[j])) {
    throw new Error(`The source model has features [${from.features.join(", ")}] but the target has [${to.features.join(", ")}]; compare models of the same covariates.`);
  }
  const { S, x } = readSupportPoints(support, from.d, from.features);

  const A = from.K;
  const B = to.K;
  const gates = gateProbabilities(from, x, S);
  const fromMeans = expertMeans(from, x, S);
  const toMeans = expertMeans(to, x, S);

  let total = 0;
  for (let s = 0; s < S; s++) {
    for (let k = 0; k < A; k++) {
      let cheapest = Infinity;
      for (let j = 0; j < B; j++) {
        const cost = gaussianKL(fromMeans[s * A + k], from.variances[k], toMeans[s * B + j], to.variances[j]);
        if (cost < cheapest) cheapest = cost;
      }
      total += gates[s * A + k] * cheapest;
    }
  }

  return total / S;
}
