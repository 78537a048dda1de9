import { performance } from "node:perf_hooks";

import { canonicalize } from "../model/canonical";
import { evaluate, flattenCoefficients } from "../model/density";
import { allocateEStepBuffers, fusedEStep } from "./estep";
import { Random } from "../random";
import type { Dataset, MoEModel } from "../model/types";
import { parameterCount } from "../model/types";
import { initialModel, type InitMethod } from "./init";
import { residualSumOfSquares, rowOuterProducts, solveNormalEquations, weightedNormalEquations } from "./least-squares";
import { LogisticSolver, unflatten, type GateStepMethod } from "./logistic";
import { computeScaling, standardize, standardizeModel, unstandardizeModel } from "./standardize";
import { validateFitInput } from "./validate";

export interface EMOptions {
  /** Number of experts K ≥ 1. */
  K: number;
  /** Number of starts from the initializer; the best final log-likelihood is kept. Default 2. */
  starts?: number;
  /**
   * Initializer of every start. By default starts alternate: even starts k-means on the covariates, odd
   * starts k-means on covariates and response, which separates experts that overlap in x.
   */
  init?: InitMethod;
  /** Starting models given by the caller (on the original covariate scale); run in addition to `starts`. */
  initialModels?: MoEModel[];
  /** Seed of the generator behind initialization. Default 0. */
  seed?: number;
  /** Stop when |ΔL| ≤ tol · |L| between iterations. Default 1e-6. */
  tolerance?: number;
  /** Maximum EM iterations per start. Default 1000. */
  maxIterations?: number;
  /** Variance floor as a fraction of var(y). Default 1e-6. */
  varianceFloor?: number;
  /** Gate M-step: "newton" (Newton–Raphson with step halving) or "bohning" (fixed-bound MM step). Default "newton". */
  gateStep?: GateStepMethod;
  /** Gate ascent steps per EM iteration (generalized EM). Default 1. */
  gateStepsPerIteration?: number;
  /**
   * Seeds of the initializer, one per start, in place of those derived from `seed` (see startSeeds);
   * used to run the starts of one fit on several threads.
   */
  startSeeds?: number[];
  /** Index of the first start when `startSeeds` holds a slice of a fit's starts; sets the default initializer. */
  startIndex?: number;
  /** Called after each E-step with the start index, iteration and log-likelihood. */
  onIteration?: (start: number, iteration: number, logLikelihood: number) => void;
  /** Aborts the fit between iterations. */
  signal?: AbortSignal;
}

/** Summary of one start. */
export interface StartSummary {
  init: string;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

export interface EMResult {
  /** Fitted model on the original covariate scale, in canonical order. */
  model: MoEModel;
  /** Final observed-data log-likelihood Σ_i log f(y_i | x_i) of the returned model on the training data. */
  logLikelihood: number;
  /** Log-likelihood after each E-step of the best start; non-decreasing up to rounding. */
  trace: number[];
  iterations: number;
  converged: boolean;
  /** BIC = −2 L + p log n with p = (d+1)(2K−1) + K. */
  bic: number;
  /** Wall time of the whole fit, all starts, in seconds. */
  seconds: number;
  starts: StartSummary[];
  /** Convergence and monotonicity warnings, empty when none. */
  warnings: string[];
}

/**
 * Fits a softmax-gated Gaussian mixture of experts by EM (maximum likelihood).
 *
 * Covariates are standardized for the fit and the model is mapped back to the original scale. Each start
 * runs E-step, gate M-step (Newton–Raphson or Böhning steps, generalized EM) and expert M-step (weighted
 * least squares with a variance floor) until the relative change of the log-likelihood is below `tolerance`.
 */
export function fitMoE(data: Dataset, options: EMOptions): EMResult {
  const started = performance.now();
  const K = options.K;
  validateFitInput(data, K);

  const scaling = computeScaling(data);
  const scaled = standardize(data, scaling);
  const varianceFloor = (options.varianceFloor ?? 1e-6) * responseVariance(data);
  const startCount = options.starts ?? 2;

  const candidates: { init: string; model: () => MoEModel }[] = [];
  const seeds = options.startSeeds ?? startSeeds(options.seed ?? 0, startCount);
  seeds.forEach((seed, index) => {
    const init = options.init ?? defaultInit(options.startSeeds ? options.startIndex ?? 0 : index);
    candidates.push({ init, model: () => initialModel(scaled, K, init, new Random(seed), varianceFloor) });
  });
  for (const given of options.initialModels ?? []) {
    checkStartingModel(given, data, K);
    candidates.push({ init: "given", model: () => standardizeModel(given, scaling) });
  }
  if (candidates.length === 0) throw new Error("No start to run: set starts >= 1 or pass initialModels.");

  let best: RunResult | null = null;
  const starts: StartSummary[] = [];
  candidates.forEach((candidate, index) => {
    const run = runEM(scaled, candidate.model(), varianceFloor, index, options);
    starts.push({ init: candidate.init, logLikelihood: run.logLikelihood, iterations: run.trace.length, converged: run.converged });
    if (!best || run.logLikelihood > best.logLikelihood) best = run;
  });

  const winner = best as unknown as RunResult;
  const model = canonicalize(unstandardizeModel(winner.model, scaling));
  const logLikelihood = evaluate(model, data).logLikelihood;
  const warnings = winner.warnings.slice();
  if (!winner.converged) warnings.push(`The best start did not converge in ${winner.trace.length} iterations; raise maxIterations or loosen tolerance.`);

  return {
    model,
    logLikelihood,
    trace: winner.trace,
    iterations: winner.trace.length,
    converged: winner.converged,
    bic: -2 * logLikelihood + parameterCount(K, data.d) * Math.log(data.n),
    seconds: (performance.now() - started) / 1000,
    starts,
    warnings,
  };
}

/** Default initializer of start `index`: k-means on x for even starts, on (x, y) for odd ones. */
function defaultInit(index: number): InitMethod {
  return index % 2 === 0 ? "kmeans" : "kmeans-xy";
}

/** Seeds of the initializer of each start, derived from the fit's seed. */
export function startSeeds(seed: number, starts: number): number[] {
  const random = new Random(seed);
  return Array.from({ length: starts }, () => random.childSeed());
}

interface RunResult {
  model: MoEModel;
  logLikelihood: number;
  trace: number[];
  converged: boolean;
  warnings: string[];
}

/** Runs EM from one starting model on standardized data. */
function runEM(data: Dataset, start: MoEModel, varianceFloor: number, startIndex: number, options: EMOptions): RunResult {
  const { n, d } = data;
  const K = start.K;
  const p = d + 1;
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 1000;
  const gateStep = options.gateStep ?? "newton";
  const gateSteps = options.gateStepsPerIteration ?? 1;

  let model = start;
  const trace: number[] = [];
  const warnings: string[] = [];
  let converged = false;
  const buffers = allocateEStepBuffers(n, K);
  const products = rowOuterProducts(data.x, n, d);
  const gateSolver = new LogisticSolver({ x: data.x, n, d, K, targets: buffers.tau });

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (options.signal?.aborted) throw new Error(`EM was aborted at iteration ${iteration} of start ${startIndex + 1}.`);

    // E-step: log-likelihood of the current parameters, gate probabilities and responsibilities τ_ik.
    const gatesFlat = flattenCoefficients(model.gates);
    const logLikelihood = fusedEStep(data.x, data.y, n, d, K, gatesFlat, flattenCoefficients(model.experts), model.variances, buffers);
    trace.push(logLikelihood);
    options.onIteration?.(startIndex, iteration, logLikelihood);

    if (iteration > 0) {
      const previous = trace[iteration - 1];
      const change = logLikelihood - previous;
      if (change < -1e-8 * Math.abs(previous)) {
        warnings.push(`Log-likelihood decreased by ${-change} at iteration ${iteration} of start ${startIndex + 1}.`);
      }
      if (Math.abs(change) <= tolerance * Math.abs(previous)) {
        converged = true;
        break;
      }
    }
    if (iteration === maxIterations - 1) break;
    const tau = buffers.tau;

    // M-step, gates: soft-label multinomial logistic regression, a few ascent steps from the current gates.
    // Its objective at the current gates is Σ_i Σ_k τ_ik log π_ik, from the E-step's gate log-probabilities.
    let gateObjective = 0;
    for (let t = 0; t < n * K; t++) gateObjective += tau[t] * buffers.logGate[t];
    const gates = gateSolver.fit(gatesFlat, { method: gateStep, maxIterations: gateSteps }, { probabilities: buffers.gate, objective: gateObjective }).gates;

    // M-step, experts: β_k = (Σ τ_ik x̃x̃ᵀ)⁻¹ Σ τ_ik x̃ y, σ_k² = Σ τ_ik (y − β_kᵀx̃)² / Σ τ_ik, floored.
    // An expert with no mass keeps its parameters.
    const { grams, rhs, totals, responseSquares } = weightedNormalEquations(data.x, data.y, tau, n, d, K, products);
    const experts = model.experts.map((row) => row.slice());
    const variances = model.variances.slice();
    for (let k = 0; k < K; k++) {
      if (!(totals[k] > 0)) continue;
      const gram = grams.subarray(k * p * p, (k + 1) * p * p);
      const moments = rhs.subarray(k * p, (k + 1) * p);
      const beta = solveNormalEquations(gram, moments, p);
      for (let a = 0; a < p; a++) experts[a][k] = beta[a];
      variances[k] = Math.max(residualSumOfSquares(gram, moments, responseSquares[k], beta, p) / totals[k], varianceFloor);
    }

    model = { ...model, gates: unflatten(gates, p, K), experts, variances };
  }

  return { model, logLikelihood: trace[trace.length - 1], trace, converged, warnings };
}

function responseVariance(data: Dataset): number {
  let mean = 0;
  for (let i = 0; i < data.n; i++) mean += data.y[i];
  mean /= data.n;
  let variance = 0;
  for (let i = 0; i < data.n; i++) variance += (data.y[i] - mean) ** 2;
  return variance / data.n || 1;
}

function checkStartingModel(model: MoEModel, data: Dataset, K: number): void {
  if (model.K !== K || model.d !== data.d) {
    throw new Error(`A starting model has K = ${model.K}, d = ${model.d} but the fit has K = ${K}, d = ${data.d}; pass starting models of the same shape.`);
  }
}
