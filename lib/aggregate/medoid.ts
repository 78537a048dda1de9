import { performance } from "node:perf_hooks";

import { canonicalize } from "../model/canonical";
import type { Dataset } from "../model/types";
import { reducedFromModel } from "./mixture";
import { prepareAggregation } from "./prepare";
import { assembleResult, transportObjective } from "./result";
import type { AggregationResult, LocalModel, TryResult } from "./types";

/**
 * Medoid: the local model whose experts have the smallest transport objective as the reduced experts,
 *
 *   m* = argmin_m T(β^(m), σ²^(m)) = argmin_m Σ_m' λ_m' D(m' → m),
 *
 * with D the transportation divergence (see transportDivergence) and λ_m' = n_m' / Σ n. This is the total
 * divergence from the other local models to model m, weighted by their sizes, since D(m → m) = 0. The medoid is
 * returned as it is, with its own gates.
 *
 * @param localModels - one { model, n } per machine, each with K_m = K
 * @param support - support covariates, S × d row-major, or a Dataset
 * @returns the medoid model in canonical order; diagnostics.tries lists T of every candidate ("machine m")
 */
export function medoid(localModels: readonly LocalModel[], support: Float64Array | Dataset, K: number): AggregationResult {
  const started = performance.now();
  const { mixture } = prepareAggregation(localModels, support, K, "The medoid");

  const tries: TryResult[] = [];
  let best = 0;
  let bestEvaluation = transportObjective(mixture, reducedFromModel(canonicalize(localModels[0].model)));
  tries.push({ start: "machine 1", objective: bestEvaluation.objective, iterations: 0, converged: true });

  for (let m = 1; m < localModels.length; m++) {
    const evaluation = transportObjective(mixture, reducedFromModel(canonicalize(localModels[m].model)));
    tries.push({ start: `machine ${m + 1}`, objective: evaluation.objective, iterations: 0, converged: true });
    if (evaluation.objective < bestEvaluation.objective) {
      best = m;
      bestEvaluation = evaluation;
    }
  }

  const model = canonicalize(localModels[best].model);
  return assembleResult(mixture.features, reducedFromModel(model), model.gates, bestEvaluation.plan, {
    objectivePerIteration: [],
    objective: bestEvaluation.objective,
    iterations: 0,
    converged: true,
    tries,
    seconds: (performance.now() - started) / 1000,
    warnings: [],
    errors: [],
  });
}
