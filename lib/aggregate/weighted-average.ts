import { performance } from "node:perf_hooks";

import { canonicalize, permuteExperts } from "../model/canonical";
import { zeros2d, type Dataset, type MoEModel } from "../model/types";
import { reducedFromModel } from "./mixture";
import { prepareAggregation } from "./prepare";
import { assembleResult, transportObjective } from "./result";
import type { AggregationResult, LocalModel } from "./types";

export interface WeightedAverageOptions {
  /**
   * Expert order of each local model before averaging: "canonical" (ascending intercept, the default) or
   * "raw" (as the machine labelled them), which shows what averaging does when labels disagree.
   */
  order?: "canonical" | "raw";
}

/**
 * Weighted averaging: the entry-wise average of the local models' parameters with weights λ_m = n_m / Σ n,
 * each model first put in canonical order (see averageModels). This is only meaningful when the machines'
 * experts line up position by position, and it blends different experts when they do not.
 *
 * @param localModels - one { model, n } per machine, each with K_m = K
 * @param support - support covariates, S × d row-major, or a Dataset; used only for the diagnostics
 * @returns the averaged model in canonical order; diagnostics.objective is T of its experts
 */
export function weightedAverage(
  localModels: readonly LocalModel[],
  support: Float64Array | Dataset,
  K: number,
  options: WeightedAverageOptions = {},
): AggregationResult {
  const started = performance.now();
  const order = options.order ?? "canonical";
  if (order !== "canonical" && order !== "raw") {
    throw new Error(`Unknown expert order "${order as string}"; use "canonical" or "raw".`);
  }
  const prepared = prepareAggregation(localModels, support, K, "Weighted averaging");

  const identity = Array.from({ length: K }, (_, k) => k);
  const ordered = localModels.map((local) => (order === "canonical" ? canonicalize(local.model) : permuteExperts(local.model, identity)));
  const model = averageModels(ordered, Array.from(prepared.mixture.machineWeights));
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
 * Entry-wise weighted average of models with the same K and d, position by position:
 * α = Σ_m λ_m α^(m), β = Σ_m λ_m β^(m), σ² = Σ_m λ_m σ²^(m). Each input's last gate column must be 0, so the
 * average's is too.
 *
 * @param weights - λ_m, length M, summing to 1
 */
export function averageModels(models: readonly MoEModel[], weights: readonly number[]): MoEModel {
  const { K, d } = models[0];
  const gates = zeros2d(d + 1, K);
  const experts = zeros2d(d + 1, K);
  const variances = new Array<number>(K).fill(0);

  models.forEach((model, m) => {
    const lambda = weights[m];
    for (let j = 0; j <= d; j++) {
      for (let k = 0; k < K; k++) {
        gates[j][k] += lambda * model.gates[j][k];
        experts[j][k] += lambda * model.experts[j][k];
      }
    }
    for (let k = 0; k < K; k++) variances[k] += lambda * model.variances[k];
  });

  return { K, d, features: models[0].features.slice(), gates, experts, variances };
}
