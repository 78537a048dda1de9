import { fitMultinomialLogistic, unflatten } from "../fit/logistic";
import { reducedMeansAtSupport } from "./mixture";
import type { ReducedExperts } from "./types";
import type { SupportPoints } from "./validate";

/**
 * Targets of the reduced gates:
 * - "support": the transported mass shares g_sk = W_ks / Σ_k' W_k's (covariates only, the default);
 * - "posterior": τ_sk ∝ g_sk N(y_s; β_kᵀ x̃_s, σ_k²), which needs responses at the support points.
 */
export type GatingVariant = "support" | "posterior";

export interface GateFitOptions {
  variant?: GatingVariant;
  /** Maximum Newton steps. Default 100. */
  maxIterations?: number;
  /** Stop when the relative change of the logistic objective is below this. Default 1e-10. */
  tolerance?: number;
}

export interface GateFit {
  /** Reduced gates α, (d+1) × K, last column 0, in the expert order of `reduced`. */
  gates: number[][];
  iterations: number;
  converged: boolean;
}

/**
 * Newton steps per factored Hessian in the gate fit. The Hessian over S points costs S (K−1)K/2 (d+1)(d+2)/2
 * multiply-adds, more than 20 gradients cost, and near the optimum it changes little between steps.
 */
const GATE_HESSIAN_REUSE = 3;

/**
 * Fits the gates of the reduced model by Newton–Raphson multinomial logistic regression with soft labels
 * on the support points (the gates are not part of the transport objective, so they are fitted after it).
 *
 * @param mass - transported mass W_ks, S × K row-major
 */
export function fitReducedGates(support: SupportPoints, mass: Float64Array, reduced: ReducedExperts, options: GateFitOptions = {}): GateFit {
  const { S, d, x } = support;
  const { K } = reduced;
  const variant = options.variant ?? "support";
  const targets = new Float64Array(S * K);

  // g_sk = W_ks / Σ_k' W_k's
  for (let s = 0; s < S; s++) {
    let total = 0;
    for (let k = 0; k < K; k++) total += mass[s * K + k];
    for (let k = 0; k < K; k++) targets[s * K + k] = total > 0 ? mass[s * K + k] / total : 1 / K;
  }

  if (variant === "posterior") {
    if (!support.y) {
      throw new Error('Gating variant "posterior" needs responses at the support points; pass the support as a Dataset with y.');
    }
    applyPosteriorWeights(targets, support, reduced);
  } else if (variant !== "support") {
    throw new Error(`Unknown gating variant "${variant as string}"; use "support" or "posterior".`);
  }

  const fit = fitMultinomialLogistic(
    { x, n: S, d, K, targets },
    { method: "newton", maxIterations: options.maxIterations ?? 100, tolerance: options.tolerance ?? 1e-10, hessianReuse: GATE_HESSIAN_REUSE },
  );

  return { gates: unflatten(fit.gates, d + 1, K), iterations: fit.iterations, converged: fit.converged };
}

/** Turns g_sk into τ_sk = g_sk N(y_s; ν_ks, σ_k²) / Σ_k' g_sk' N(y_s; ν_k's, σ_k'²) in place, in log space. */
function applyPosteriorWeights(targets: Float64Array, support: SupportPoints, reduced: ReducedExperts): void {
  const { S, x } = support;
  const y = support.y as Float64Array;
  const { K } = reduced;
  const means = reducedMeansAtSupport(x, S, reduced, new Float64Array(S * K));
  const logTerms = new Float64Array(K);

  for (let s = 0; s < S; s++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      // log g_sk − ½ log σ_k² − (y_s − ν_ks)² / (2σ_k²); the common −½ log 2π cancels.
      const residual = y[s] - means[s * K + k];
      const variance = reduced.variances[k];
      const g = targets[s * K + k];
      logTerms[k] = g > 0 ? Math.log(g) - 0.5 * Math.log(variance) - (residual * residual) / (2 * variance) : -Infinity;
      if (logTerms[k] > max) max = logTerms[k];
    }

    let total = 0;
    for (let k = 0; k < K; k++) total += Math.exp(logTerms[k] - max);
    for (let k = 0; k < K; k++) targets[s * K + k] = Math.exp(logTerms[k] - max) / total;
  }
}
