import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";

import type { Dataset } from "../model/types";
import { Random } from "../random";
import { fitReducedGates, gateStartFromPlan, type GatingVariant } from "./gates";
import type { StackedMixture } from "./mixture";
import type { TransportMMResult } from "./mm";
import { prepareAggregation } from "./prepare";
import { assembleResult } from "./result";
import { START_NAMES, startNeedsSeed, type StartName } from "./starts";
import { runTry, type TryOutcome, type TryRequest } from "./try";
import { TryThread } from "./try-thread";
import type { AggregationResult, LocalModel, TryResult } from "./types";
import type { SupportPoints } from "./validate";

export { START_NAMES, type StartName } from "./starts";

/** Default starting points: k-means on the local experts and the aligned average. */
const DEFAULT_STARTS: StartName[] = ["kmeans", "aligned"];

/**
 * Smallest S · L for which tries run on helper threads by default. Below it a try takes a few milliseconds,
 * less than starting a thread (about 40 ms).
 */
const THREADED_MIN_SIZE = 200_000;

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
  /**
   * Threads that run the tries: the calling thread and threads − 1 helper threads, at most one per try. The
   * result does not depend on it. Default: the available cores, when S · L is at least 200 000; 1 otherwise.
   */
  threads?: number;
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

  // Helper threads start before the stacking, so that loading their code overlaps it.
  const starts = options.starts ?? DEFAULT_STARTS;
  const helpers = TryThread.acquire(helperCount(options, starts.length, localModels, support));
  try {
    const prepared = prepareAggregation(localModels, support, K, undefined, helpers.length > 0);
    return reduceStackedMixture(prepared.mixture, localModels, prepared.support, K, options, started, helpers);
  } finally {
    TryThread.release(helpers);
  }
}

/**
 * Runs the reduction on an already stacked mixture (see reduceLocalModels). It trusts its inputs.
 *
 * @param started - performance.now() at the start of the aggregation, for the reported wall time
 * @param helpers - helper threads for the first tries; the calling thread runs the others
 */
export function reduceStackedMixture(
  mixture: StackedMixture,
  localModels: readonly LocalModel[],
  support: SupportPoints,
  K: number,
  options: ReductionOptions = {},
  started = performance.now(),
  helpers: readonly TryThread[] = [],
): AggregationResult {
  const starts = options.starts ?? DEFAULT_STARTS;
  const outcomes = runTries(starts, mixture, localModels, support, K, options, helpers);
  const warnings: string[] = [];
  const errors: string[] = [];
  const tries: TryResult[] = [];
  let best: TransportMMResult | null = null;
  let bestTry = -1;

  starts.forEach((start, index) => {
    const outcome = outcomes[index];
    if ("skipped" in outcome) {
      warnings.push(outcome.skipped);
      return;
    }

    const { run } = outcome;
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
  });

  const keptRun = best as TransportMMResult | null;
  if (keptRun === null) {
    throw new Error(`No starting point could be built (${warnings.join(" ")}); add "random" to the starts.`);
  }
  if (!keptRun.converged) {
    warnings.push(`The kept start "${tries[bestTry].start}" reached ${keptRun.iterations} iterations without T changing by less than the tolerance.`);
  }

  const gateFit = fitReducedGates(support, keptRun.plan.mass, keptRun.reduced, {
    variant: options.gating,
    maxIterations: options.gateMaxIterations,
    initial: gateStartFromPlan(mixture, keptRun.plan),
  });
  if (!gateFit.converged) warnings.push(`The gate fit did not converge in ${gateFit.iterations} Newton steps.`);
  if (keptRun.emptyExperts.length > 0) warnings.push(`${keptRun.emptyExperts.length} reduced expert(s) receive no mass; their gates are not identified.`);

  return assembleResult(mixture.features, keptRun.reduced, gateFit.gates, keptRun.plan, {
    objectivePerIteration: keptRun.objectivePerIteration,
    objective: keptRun.objective,
    iterations: keptRun.iterations,
    converged: keptRun.converged,
    tries,
    seconds: (performance.now() - started) / 1000,
    warnings,
    errors,
  });
}

/**
 * Runs every try, the first ones on the helper threads while the calling thread runs the others in order. A
 * try whose helper thread failed runs on the calling thread. The seeds are drawn in the order of the starts,
 * so the outcomes do not depend on where the tries ran.
 */
function runTries(
  starts: readonly StartName[],
  mixture: StackedMixture,
  localModels: readonly LocalModel[],
  support: SupportPoints,
  K: number,
  options: ReductionOptions,
  helpers: readonly TryThread[],
): TryOutcome[] {
  const random = new Random(options.seed ?? 0);
  const requests: TryRequest[] = starts.map((start) => ({
    start,
    seed: startNeedsSeed(start) ? random.childSeed() : 0,
    mixture, localModels, support, K,
    tolerance: options.tolerance,
    maxIterations: options.maxIterations,
  }));

  // Helper h takes try h, and the calling thread runs the last tries. With the default starts the helper,
  // whose code is less optimized, gets the k-means start, which is cheaper to build than the aligned average.
  const remote = new Map<number, TryThread>();
  helpers.forEach((helper, h) => {
    if (h < starts.length - 1 && helper.submit(requests[h])) remote.set(h, helper);
  });

  const outcomes: (TryOutcome | null)[] = requests.map((request, index) => (remote.has(index) ? null : runTry(request)));
  for (const [index, helper] of remote) outcomes[index] = helper.collect() ?? runTry(requests[index]);
  return outcomes as TryOutcome[];
}

/** Counts the helper threads to start: threads − 1, and fewer helpers than tries. */
function helperCount(options: ReductionOptions, tries: number, localModels: readonly LocalModel[], support: Float64Array | Dataset): number {
  let threads = options.threads;
  if (threads === undefined) {
    const L = localModels.reduce((total, local) => total + (local.model?.K ?? 0), 0);
    const d = localModels[0]?.model?.d ?? 0;
    let S = 0;
    if (!(support instanceof Float64Array)) S = support.n;
    else if (d > 0) S = support.length / d;
    threads = S * L >= THREADED_MIN_SIZE ? availableParallelism() : 1;
  }
  return Math.max(0, Math.min(threads, tries) - 1);
}

/** Checks the options before any work, naming the invalid option; `hasResponses` is whether the support carries y. */
function validateReductionOptions(options: ReductionOptions, hasResponses: boolean): void {
  const { tolerance, maxIterations, starts, gating, gateMaxIterations, threads } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`threads must be a whole number >= 1 but got ${threads}.`);
  }
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
