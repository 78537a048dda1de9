import { performance } from "node:perf_hooks";

import { solveAssignment } from "../eval/assignment";
import { canonicalize, permuteExperts } from "../model/canonical";
import type { Dataset, MoEModel } from "../model/types";
import { expertCostMatrix } from "./cost";
import { reducedFromModel, type StackedMixture } from "./mixture";
import { prepareAggregation } from "./prepare";
import { assembleResult, transportObjective } from "./result";
import type { AggregationResult, LocalModel } from "./types";
import { averageModels } from "./weighted-average";
import type { SupportPoints } from "./validate";

/**
 * Aligned averaging: matches the experts of each local model to those of a reference model (the machine
 * with the largest n_m, the first one on ties) by the Hungarian algorithm, then averages the aligned models
 * entry-wise with weights λ_m = n_m / Σ n (gates, experts and variances; see averageModels).
 *
 * The matching cost of local expert a of machine m and reference expert b is the KL cost averaged over the
 * support points where a carries mass, C_ab = Σ_s π_a(x_s) c_ab(x_s) / Σ_s π_a(x_s), with π_a the local gate
 * probability and c the Gaussian KL cost (see gaussianKL).
 *
 * @param localModels - one { model, n } per machine, each with K_m = K
 * @param support - support covariates, S × d row-major, or a Dataset
 * @returns the averaged model in canonical order; diagnostics.objective is T of its experts
 */
export function alignedAverage(localModels: readonly LocalModel[], support: Float64Array | Dataset, K: number): AggregationResult {
  const started = performance.now();
  const prepared = prepareAggregation(localModels, support, K, "Aligned averaging");

  const model = alignedAverageModel(prepared.mixture, localModels, prepared.support);
  const reduced = reducedFromModel(model);
  const { objective, plan } = transportObjective(prepared.mixture, reduced);

  return assembleResult(prepared.mixture.features, reduced, model.gates, plan, {
    objectivePerIteration: [],
    objective,
    iterations: 0,
    converged: true,
    tries: [],
    seconds: (performance.now() - started) / 1000,
    warnings: [],
    errors: [],
  });
}

/**
 * Computes the aligned average of validated local models that all have K experts, in the expert order of the
 * reference model (see alignedAverage).
 */
export function alignedAverageModel(mixture: StackedMixture, localModels: readonly LocalModel[], support: SupportPoints): MoEModel {
  const { S, L, machineOffsets, machineWeights } = mixture;
  const reference = localModels.reduce((best, local, m) => (local.n > localModels[best].n ? m : best), 0);
  const K = localModels[reference].model.K;
  const referenceMeans = machineColumns(mixture.means, S, L, machineOffsets[reference], K);
  const referenceVariances = mixture.variances.subarray(machineOffsets[reference], machineOffsets[reference] + K);

  const aligned = localModels.map((local, m) => {
    const model = canonicalize(local.model);
    if (m === reference) return model;

    // π_a(x_s) = w_a(x_s) / λ_m for the experts of machine m.
    const offset = machineOffsets[m];
    const gates = machineColumns(mixture.weights, S, L, offset, K);
    for (let t = 0; t < gates.length; t++) gates[t] /= machineWeights[m];
    const means = machineColumns(mixture.means, S, L, offset, K);
    const cost = expertCostMatrix(means, mixture.variances.subarray(offset, offset + K), gates, referenceMeans, referenceVariances, support.S);

    // assignment[a] is the reference expert of local expert a; the aligned model puts a in position assignment[a].
    const assignment = solveAssignment(cost);
    const order = new Array<number>(K);
    assignment.forEach((b, a) => (order[b] = a));
    return permuteExperts(model, order);
  });

  return averageModels(aligned, Array.from(machineWeights));
}

/** Copies columns offset..offset+K−1 of an S × L row-major array into a new S × K array. */
function machineColumns(values: Float64Array, S: number, L: number, offset: number, K: number): Float64Array {
  const columns = new Float64Array(S * K);
  for (let s = 0; s < S; s++) for (let k = 0; k < K; k++) columns[s * K + k] = values[s * L + offset + k];
  return columns;
}
