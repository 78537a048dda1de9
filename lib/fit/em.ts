import { performance } from "node:perf_hooks";
import { CholeskyDecomposition, Matrix } from "ml-matrix";

import { canonicalize } from "../model/canonical";
import { evaluate, flattenCoefficients } from "../model/density";
import { createEMWorkspace, emPass, unpackGram } from "./em-pass";
import { Random } from "../random";
import type { Dataset, MoEModel } from "../model/types";
import { parameterCount } from "../model/types";
import { initialModel, type InitMethod } from "./init";
import { residualSumOfSquares, rowOuterProducts, solveNormalEquations } from "./least-squares";
import { addStep, assembleHessian, bohningDirection, factorSymmetric, solveWithFactor, unflatten, type GateStepMethod } from "./logistic";
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
  /** Gate M-step: one "newton" step (Newton–Raphson with step halving) or "bohning" step (fixed-bound MM) per iteration. Default "newton". */
  gateStep?: GateStepMethod;
  /**
   * Seeds of the initializer, one per start, in place of those derived from `seed` (see startSeeds). They
   * let the starts of one fit run on several threads.
   */
  startSeeds?: number[];
  /** Index of the first start when `startSeeds` contains a slice of a fit's starts. It sets the default initializer. */
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

/**
 * Rows whose negative Hessian terms the Newton gate step sums (every ⌈n / rows⌉-th row): 25 per free gate
 * parameter, at least 2000. Each row costs (K−1)K/2 · (d+1)(d+2)/2 multiply-adds, more than the rest of the
 * pass for d = 20, K = 5, and an estimate of the Hessian is enough to set an ascent direction.
 */
function hessianRows(d: number, K: number): number {
  return Math.max(2000, 25 * (d + 1) * (K - 1));
}

/** Maximum halvings of a gate step that fails to increase the gate objective. */
const MAX_HALVINGS = 30;

/**
 * Newton gate steps reuse the factored Hessian for this many iterations before summing it again. The
 * Hessian of Σ τ log π depends on the gates only, not on τ. The gates move little between iterations, so an
 * older Hessian still gives an ascent direction. A step that needs halving forces a fresh one. On a
 * 5000-row machine with d = 20 and K = 5 the Hessian rows cost as much as the rest of the pass.
 */
const HESSIAN_REUSE = 4;

/**
 * Largest Hessian stride (rows per subsampled row) at which the Hessian is reused. Beyond it the subsample is
 * under a quarter of the rows and costs little, while a reused Hessian can add iterations: on 40 000 rows
 * with d = 5 and K = 4 the fit took about 0.2 s longer.
 */
const HESSIAN_REUSE_MAX_STRIDE = 4;

/**
 * Runs EM from one starting model on standardized data.
 *
 * Each iteration is one pass over the data (emPass) that evaluates the log-likelihood and collects the
 * M-step statistics. The experts are then solved exactly and the gates take one ascent step (generalized
 * EM). The next pass checks the gate step: it also evaluates Σ τ log π at the new gates with the old
 * responsibilities. If that gate objective did not increase, the step is halved and the pass repeated, so
 * the log-likelihood cannot decrease. The Newton Hessian only sets the step direction, so it is summed
 * over a systematic subsample of rows (see hessianRows) and, on small data, reused for a few iterations
 * (HESSIAN_REUSE).
 */
function runEM(data: Dataset, start: MoEModel, varianceFloor: number, startIndex: number, options: EMOptions): RunResult {
  const { n, d } = data;
  const K = start.K;
  const p = d + 1;
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 1000;
  const gateStep = options.gateStep ?? "newton";
  const hessianStride = gateStep === "newton" ? Math.max(1, Math.ceil(n / hessianRows(d, K))) : 0;
  const hessianReuse = hessianStride <= HESSIAN_REUSE_MAX_STRIDE ? HESSIAN_REUSE : 1;

  const workspace = createEMWorkspace(n, d, K, rowOuterProducts(data.x, n, d));
  const bohningFactor = gateStep === "bohning" ? new CholeskyDecomposition(designGram(data)) : null;
  let gates = flattenCoefficients(start.gates);
  let experts = flattenCoefficients(start.experts);
  let variances = Float64Array.from(start.variances);

  const trace: number[] = [];
  const warnings: string[] = [];
  let converged = false;
  let pending: { gates: Float64Array; step: Float64Array; scale: number; objective: number } | null = null;
  let halvings = 0;
  const gram = new Float64Array(p * p);
  let hessianFactor: CholeskyDecomposition | null = null;
  let hessianAge = 0;

  for (let iteration = 0; iteration < maxIterations; ) {
    if (options.signal?.aborted) throw new Error(`EM was aborted at iteration ${iteration} of start ${startIndex + 1}.`);

    // E-step and statistics at the current parameters; the Hessian rows only when a fresh Hessian is due.
    const freshHessian = hessianStride > 0 && (hessianFactor === null || hessianAge >= hessianReuse || halvings > 0);
    const pass = emPass(workspace, data.x, data.y, gates, experts, variances, freshHessian ? hessianStride : 0, pending !== null);

    // Check the last gate step: with the old responsibilities, Σ τ log π must not have decreased.
    if (pending && K > 1 && !(pass.previousGateObjective >= pending.objective)) {
      if (halvings < MAX_HALVINGS) {
        halvings++;
        hessianFactor = null;
        pending.scale /= 2;
        gates = addStep(pending.gates, pending.step, pending.scale, d, K);
      } else {
        gates = pending.gates;
        pending = null;
      }
      continue;
    }
    halvings = 0;

    trace.push(pass.logLikelihood);
    options.onIteration?.(startIndex, iteration, pass.logLikelihood);
    if (iteration > 0) {
      const previous = trace[iteration - 1];
      const change = pass.logLikelihood - previous;
      if (change < -1e-8 * Math.abs(previous)) {
        warnings.push(`Log-likelihood decreased by ${-change} at iteration ${iteration} of start ${startIndex + 1}.`);
      }
      if (Math.abs(change) <= tolerance * Math.abs(previous)) {
        converged = true;
        break;
      }
    }
    iteration++;
    if (iteration === maxIterations) break;

    // M-step, gates: one Newton (or Böhning) ascent step on Σ τ log π, checked in the next pass.
    if (K > 1) {
      if (freshHessian) {
        hessianFactor = factorSymmetric(assembleHessian(workspace.hessianBlocks, d, K));
        hessianAge = 0;
      }
      hessianAge++;
      const step = bohningFactor
        ? bohningDirection(bohningFactor, workspace.gradient, d, K)
        : solveWithFactor(hessianFactor as CholeskyDecomposition, workspace.gradient);
      pending = { gates, step, scale: 1, objective: pass.gateObjective };
      gates = addStep(gates, step, 1, d, K);
    }

    // M-step, experts: β_k = (Σ τ_ik x̃x̃ᵀ)⁻¹ Σ τ_ik x̃ y, σ_k² = Σ τ_ik (y − β_kᵀx̃)² / Σ τ_ik, floored.
    // An expert with no mass keeps its parameters.
    experts = experts.slice();
    variances = variances.slice();
    for (let k = 0; k < K; k++) {
      const total = workspace.totals[k];
      if (!(total > 0)) continue;
      unpackGram(workspace, k, gram);
      const moments = workspace.rhs.subarray(k * p, (k + 1) * p);
      const beta = solveNormalEquations(gram, moments, p);
      for (let a = 0; a < p; a++) experts[a * K + k] = beta[a];
      variances[k] = Math.max(residualSumOfSquares(gram, moments, workspace.responseSquares[k], beta, p) / total, varianceFloor);
    }

    // The responsibilities of this pass become the previous ones for the next gate-step check.
    const swap = workspace.previousTau;
    workspace.previousTau = workspace.tau;
    workspace.tau = swap;
  }

  const model: MoEModel = { ...start, gates: unflatten(gates, p, K), experts: unflatten(experts, p, K), variances: Array.from(variances) };
  return { model, logLikelihood: trace[trace.length - 1], trace, converged, warnings };
}

/** C = Σ_i x̃_i x̃_iᵀ, (d+1) × (d+1), the data part of the Böhning bound; a tiny ridge if singular. */
function designGram(data: Dataset): Matrix {
  const { n, d, x } = data;
  const gram = Matrix.zeros(d + 1, d + 1);
  const xTilde = new Float64Array(d + 1);
  xTilde[0] = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xTilde[j + 1] = x[i * d + j];
    for (let a = 0; a <= d; a++) for (let b = a; b <= d; b++) gram.set(a, b, gram.get(a, b) + xTilde[a] * xTilde[b]);
  }
  for (let a = 0; a <= d; a++) for (let b = 0; b < a; b++) gram.set(a, b, gram.get(b, a));
  if (!new CholeskyDecomposition(gram).isPositiveDefinite()) gram.add(Matrix.eye(d + 1).mul(1e-10 * Math.max(1, gram.trace())));
  return gram;
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
