import { flattenAnchored, LogisticSolver, logisticObjective, unflatten } from "../fit/logistic";
import { reducedMeansAtSupport, type StackedMixture } from "./mixture";
import type { TransportPlan } from "./plan";
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
  /**
   * Stop when the relative change of the logistic objective is below this. Default 1e-12: the gates are then
   * accurate to about 1e-8, and near the optimum Newton's method needs about one more step for it than for 1e-10.
   */
  tolerance?: number;
  /** Starting gates, (d+1) × K in the expert order of `reduced` (see gateStartFromPlan). Default all 0. */
  initial?: number[][];
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

  // A start is kept only when it fits the targets better than all-zero gates, the default start, so that a
  // poor one (for example very large local gates) is never used.
  const problem = { x, n: S, d, K, targets };
  const zero = new Float64Array((d + 1) * K);
  const start = options.initial ? flattenAnchored(options.initial) : zero;
  const initial = start !== zero && logisticObjective(problem, start) > logisticObjective(problem, zero) ? start : zero;

  const fit = new LogisticSolver(problem).fit(initial, {
    method: "newton",
    maxIterations: options.maxIterations ?? 100,
    tolerance: options.tolerance ?? 1e-12,
    hessianReuse: GATE_HESSIAN_REUSE,
  });

  return { gates: unflatten(fit.gates, d + 1, K), iterations: fit.iterations, converged: fit.converged };
}

/**
 * Builds starting gates for fitReducedGates from the local gates. Each component is matched to the reduced
 * expert that receives most of its mass under the plan. A machine qualifies when its K_m experts are matched
 * to K distinct reduced experts, because its gates can then be put in the reduced order. The start is the
 * λ_m-weighted average of the qualifying machines' gates, each anchored on its component matched to expert K − 1.
 * Newton's method converges from any start, but from this one it needs fewer steps, because the local gates
 * are often large (nearly hard gates) and a fit from 0 has to grow them step by step.
 *
 * @returns (d+1) × K, last column 0, or undefined when no machine is matched one to one
 */
export function gateStartFromPlan(mixture: StackedMixture, plan: TransportPlan): number[][] | undefined {
  const { S, L, d, M, weights, gates, machineOffsets, machineWeights } = mixture;
  const { K, assignment } = plan;
  const p = d + 1;

  // received[l K + k] = Σ_s P_lk(x_s), and each component's match is the expert receiving most.
  const received = new Float64Array(L * K);
  for (let s = 0; s < S; s++) {
    for (let l = 0; l < L; l++) received[l * K + assignment[s * L + l]] += weights[s * L + l];
  }
  const match = Int32Array.from({ length: L }, (_, l) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (received[l * K + k] > received[l * K + best]) best = k;
    return best;
  });

  const start = new Float64Array(p * K);
  const component = new Int32Array(K);
  let totalWeight = 0;
  for (let m = 0; m < M; m++) {
    const offset = machineOffsets[m];
    if (machineOffsets[m + 1] - offset !== K) continue;

    // component[k] is the machine's component matched to reduced expert k, or −1.
    component.fill(-1);
    for (let l = offset; l < offset + K; l++) component[match[l]] = l;
    if (component.includes(-1)) continue;

    const anchor = component[K - 1];
    for (let k = 0; k < K - 1; k++) {
      for (let j = 0; j < p; j++) start[j * K + k] += machineWeights[m] * (gates[component[k] * p + j] - gates[anchor * p + j]);
    }
    totalWeight += machineWeights[m];
  }

  if (totalWeight === 0) return undefined;
  return Array.from({ length: p }, (_, j) => Array.from({ length: K }, (__, k) => start[j * K + k] / totalWeight));
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
