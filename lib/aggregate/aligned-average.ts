import { performance } from "node:perf_hooks";

import { solveAssignment } from "../eval/assignment";
import { canonicalize, permuteExperts } from "../model/canonical";
import type { Dataset, MoEModel } from "../model/types";
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
  const { machineOffsets, machineWeights } = mixture;
  const reference = localModels.reduce((best, local, m) => (local.n > localModels[best].n ? m : best), 0);
  const K = localModels[reference].model.K;
  const costs = matchingCosts(mixture, machineOffsets[reference], K, support.S);

  const aligned = localModels.map((local, m) => {
    const model = canonicalize(local.model);
    if (m === reference) return model;

    // assignment[a] is the reference expert of local expert a; the aligned model puts a in position assignment[a].
    const offset = machineOffsets[m];
    const cost = Array.from({ length: K }, (_, a) => Array.from(costs.subarray((offset + a) * K, (offset + a + 1) * K)));
    const assignment = solveAssignment(cost);
    const order = new Array<number>(K);
    assignment.forEach((b, a) => (order[b] = a));
    return permuteExperts(model, order);
  });

  return averageModels(aligned, Array.from(machineWeights));
}

/**
 * Computes the matching cost of every component l of the mixture against each of the K reference experts
 * (components target..target+K−1), C_lb = Σ_s w_l(x_s) c_lb(x_s) / Σ_s w_l(x_s), in one pass over the
 * support points. The weight λ_m of w_l = λ_m π_l cancels, so this is the gate-weighted cost of alignedAverage.
 * A component without mass weighs the support points equally.
 *
 * @returns L × K row-major
 */
function matchingCosts(mixture: StackedMixture, target: number, K: number, S: number): Float64Array {
  const { L, means, weights, variances, logVariances, componentMass } = mixture;
  const costs = new Float64Array(L * K);
  const targetMeans = new Float64Array(K);
  const logTarget = logVariances.subarray(target, target + K);
  const inverseTarget = Float64Array.from(variances.subarray(target, target + K), (variance) => 1 / variance);
  const inverseMass = Float64Array.from(componentMass, (mass) => (mass > 0 ? 1 / mass : 0));

  for (let s = 0; s < S; s++) {
    const row = s * L;
    for (let b = 0; b < K; b++) targetMeans[b] = means[row + target + b];

    for (let l = 0; l < L; l++) {
      const u = inverseMass[l] > 0 ? weights[row + l] * inverseMass[l] : 1 / S;
      if (u === 0) continue;

      // ½ [log σ_b² − log σ_l² + (σ_l² + (ν_b − μ_l)²) / σ_b² − 1], the Gaussian KL cost (see gaussianKL).
      const mean = means[row + l];
      const variance = variances[l];
      const logVariance = logVariances[l];
      for (let b = 0; b < K; b++) {
        const difference = targetMeans[b] - mean;
        const value = 0.5 * (logTarget[b] - logVariance + (variance + difference * difference) * inverseTarget[b] - 1);
        if (value > 0) costs[l * K + b] += u * value;
      }
    }
  }

  return costs;
}
