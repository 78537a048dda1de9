import { cloneModel, type MoEModel } from "./types";

/**
 * Reorders the experts of a model by `order` (new expert k is old expert order[k]) and re-anchors the gates
 * so that the last column is 0 again. The density is unchanged: adding the same vector to every gate column
 * leaves the softmax as it is.
 */
export function permuteExperts(model: MoEModel, order: readonly number[]): MoEModel {
  const K = model.K;
  if (order.length !== K || new Set(order).size !== K || order.some((k) => !Number.isInteger(k) || k < 0 || k >= K)) {
    throw new Error(`Expected a permutation of 0..${K - 1} but got [${order.join(", ")}].`);
  }

  const result = cloneModel(model);
  const last = order[K - 1];
  for (let j = 0; j <= model.d; j++) {
    const anchor = model.gates[j][last];
    for (let k = 0; k < K; k++) {
      result.gates[j][k] = model.gates[j][order[k]] - anchor;
      result.experts[j][k] = model.experts[j][order[k]];
    }
  }
  for (let k = 0; k < K; k++) result.variances[k] = model.variances[order[k]];

  return result;
}

/** Returns the permutation that sorts experts by ascending intercept β_k0, ties broken by ascending variance. */
export function canonicalOrder(model: MoEModel): number[] {
  const order = Array.from({ length: model.K }, (_, k) => k);
  order.sort((a, b) => model.experts[0][a] - model.experts[0][b] || model.variances[a] - model.variances[b] || a - b);
  return order;
}

/** Returns the model in canonical order: ascending intercept, ties by variance, last gate column 0. */
export function canonicalize(model: MoEModel): MoEModel {
  return permuteExperts(model, canonicalOrder(model));
}
