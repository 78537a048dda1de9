import { performance } from "node:perf_hooks";

import type { Dataset } from "../model/types";
import { Random } from "../random";
import { alignedAverageModel } from "./aligned-average";
import { fitReducedGates, type GatingVariant } from "./gates";
import { mergeGreedily } from "./greedy-merge";
import { reducedFromModel, type StackedMixture } from "./mixture";
import { runTransportMM, type TransportMMResult } from "./mm";
import { prepareAggregation } from "./prepare";
import { assembleResult } from "./result";
import { kmeansStart, randomGroupingStart } from "./starts";
import type { AggregationResult, LocalModel, ReducedExperts, TryResult } from "./types";
import type { SupportPoints } from "./validate";

/**
 * Starting points of the MM algorithm:
 * - "kmeans": k-means on the local expert vectors (β_l, σ_l²), each reduced expert the mean of its cluster;
 * - "aligned": the aligned average of the local models (needs K_m = K on every machine, skipped otherwise);
 * - "greedy": greedy merging of the components (see mergeGreedily);
 * - "random": a random grouping of the components, each reduced expert the mean of its group.
 */
export type StartName = "kmeans" | "aligned" | "greedy" | "random";

const START_NAMES: readonly StartName[] = ["kmeans", "aligned", "greedy", "random"];

export interface ReductionOptions {
  /**
   * Starting points, each run once; "random" may repeat. Default ["kmeans", "aligned"], the starts of the method
   * description. "greedy" is opt-in because it costs O(S L (d+1)² + L² (d+1)³): about 3 s for L = 640, d = 20,
   * S = 2000 in bench/aggregate.ts on a shared 2-vCPU AMD EPYC machine, against about 0.2 s for one MM run.
   */
  starts?: StartName[];
  /** Stop a run when the relative decrease of T is at most this. Default 1e-6. */
  tolerance?: number;
  /** Maximum update steps per run. Default 500. */
  maxIterations?: number;
  /** Seed of k-means and of the random groupings. Default 0. */
  seed?: number;
  /** Targets of the gate fit. Default "support". */
  gating?: GatingVariant;
  /** Maximum Newton steps of the gate fit. Default 100. */
  gateMaxIterations?: number;
}

/**
 * Aggregates local mixture-of-experts models into one K-expert model by optimal transport (the reduction
 * estimator of Chamroukhi & Pham, "Optimal Transport Aggregation for Distributed Mixture-of-Experts",
 * arXiv:2312.09877).
 *
 * The local models are stacked into a mixture of L = Σ_m K_m components with weights
 * w_l(x) = λ_m π_k(x; α^(m)), λ_m = n_m / Σ n. Over K reduced experts (β_k, σ_k²) the function minimizes
 *
 *   T(β, σ²) = (1/S) Σ_s Σ_l Σ_k P_lk(x_s) c_lk(x_s)
 *
 * at the support points x_1..x_S, with c the Gaussian KL cost and, at each x_s, a plan P(x_s) ≥ 0 whose row
 * sums are w_l(x_s) and whose column sums are free. The MM algorithm (runTransportMM) runs from each starting
 * point and the run with the lowest T is kept. The gates are then fitted to the transported mass (fitReducedGates).
 *
 * @param localModels - one { model, n } per machine, all with the same d and features
 * @param support - support covariates, S × d row-major, or a Dataset (needed for gating "posterior")
 * @param K - number of reduced experts, 1 ≤ K ≤ L
 * @returns the reduced model in canonical order and its diagnostics
 */
export function reduceLocalModels(localModels: readonly LocalModel[], support: Float64Array | Dataset, K: number, options: ReductionOptions = {}): AggregationResult {
  const started = performance.now();
  validateReductionOptions(options, !(support instanceof Float64Array));
  const prepared = prepareAggregation(localModels, support, K);
  return reduceStackedMixture(prepared.mixture, localModels, prepared.support, K, options, started);
}

/**
 * Runs the reduction on an already stacked mixture (see reduceLocalModels). It trusts its inputs.
 *
 * @param started - performance.now() at the start of the aggregation, for the reported wall time
 */
export function reduceStackedMixture(
  mixture: StackedMixture,
  localModels: readonly LocalModel[],
  support: SupportPoints,
  K: number,
  options: ReductionOptions = {},
  started = performance.now(),
): AggregationResult {
  const starts = options.starts ?? ["kmeans", "aligned"];
  const random = new Random(options.seed ?? 0);
  const warnings: string[] = [];
  const errors: string[] = [];
  const tries: TryResult[] = [];
  let best: TransportMMResult | null = null;
  let bestTry = -1;

  for (const start of starts) {
    const initial = startingPoint(start, mixture, localModels, support, K, random);
    if (typeof initial === "string") {
      warnings.push(initial);
      continue;
    }

    const run = runTransportMM(mixture, initial, { tolerance: options.tolerance, maxIterations: options.maxIterations });
    tries.push({ start, objective: run.objective, iterations: run.iterations, converged: run.converged });
    run.errors.forEach((message) => errors.push(`Start "${start}": ${message}`));
    if (run.singularExperts.length > 0) {
      warnings.push(`Start "${start}": singular normal equations for reduced experts ${run.singularExperts.join(", ")}; a ridge was used.`);
    }

    // Keep the lowest T; ties keep the earlier start.
    if (!best || run.objective < best.objective) {
      best = run;
      bestTry = tries.length - 1;
    }
  }

  if (!best) {
    throw new Error(`No starting point could be built (${warnings.join(" ")}); add "random" to the starts.`);
  }
  if (!best.converged) {
    warnings.push(`The kept start "${tries[bestTry].start}" reached ${best.iterations} iterations without T changing by less than the tolerance.`);
  }

  const gateFit = fitReducedGates(support, best.plan.mass, best.reduced, { variant: options.gating, maxIterations: options.gateMaxIterations });
  if (!gateFit.converged) warnings.push(`The gate fit did not converge in ${gateFit.iterations} Newton steps.`);
  if (best.emptyExperts.length > 0) warnings.push(`${best.emptyExperts.length} reduced expert(s) receive no mass; their gates are not identified.`);

  return assembleResult(mixture.features, best.reduced, gateFit.gates, best.plan, {
    objectivePerIteration: best.objectivePerIteration,
    objective: best.objective,
    iterations: best.iterations,
    converged: best.converged,
    tries,
    seconds: (performance.now() - started) / 1000,
    warnings,
    errors,
  });
}

/** Builds the starting experts of one try, or returns why the start does not apply. */
function startingPoint(
  start: StartName,
  mixture: StackedMixture,
  localModels: readonly LocalModel[],
  support: SupportPoints,
  K: number,
  random: Random,
): ReducedExperts | string {
  switch (start) {
    case "kmeans":
      return kmeansStart(mixture, K, random.childSeed());
    case "aligned": {
      const different = localModels.findIndex((local) => local.model.K !== K);
      if (different >= 0) {
        return `Aligned-average start skipped: machine ${different + 1} has K_m = ${localModels[different].model.K} experts, not K = ${K}.`;
      }
      return reducedFromModel(alignedAverageModel(mixture, localModels, support));
    }
    case "greedy":
      return mergeGreedily(mixture, K).reduced;
    case "random":
      return randomGroupingStart(mixture, K, new Random(random.childSeed()));
  }
}

/** Checks the options before any work, naming the invalid option; `hasResponses` is whether the support carries y. */
function validateReductionOptions(options: ReductionOptions, hasResponses: boolean): void {
  const { tolerance, maxIterations, starts, gating, gateMaxIterations } = options;
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0)) {
    throw new Error(`tolerance must be a finite number >= 0 but got ${tolerance}.`);
  }
  if (maxIterations !== undefined && !(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new Error(`maxIterations must be a positive integer but got ${maxIterations}.`);
  }
  if (gateMaxIterations !== undefined && !(Number.isInteger(gateMaxIterations) && gateMaxIterations >= 1)) {
    throw new Error(`gateMaxIterations must be a positive integer but got ${gateMaxIterations}.`);
  }
  if (starts !== undefined) {
    if (starts.length === 0) throw new Error(`starts is empty; give at least one of ${START_NAMES.join(", ")}.`);
    const unknown = starts.find((start) => !START_NAMES.includes(start));
    if (unknown !== undefined) throw new Error(`Unknown start "${unknown}"; use ${START_NAMES.join(", ")}.`);
  }
  if (gating !== undefined && gating !== "support" && gating !== "posterior") {
    throw new Error(`Unknown gating variant "${gating as string}"; use "support" or "posterior".`);
  }
  if (gating === "posterior" && !hasResponses) {
    throw new Error('Gating variant "posterior" needs responses at the support points; pass the support as a Dataset with y.');
  }
}
