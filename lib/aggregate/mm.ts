import { cloneReduced, reducedMeansAtSupport, type StackedMixture } from "./mixture";
import { assignPlan, createPlan, expertMass, type TransportPlan } from "./plan";
import type { ReducedExperts } from "./types";
import { createUpdateWorkspace, updateExperts } from "./update";

export interface TransportMMOptions {
  /** Stop when the relative decrease of T between iterations, (T_prev − T) / T_prev, is at most this. Default 1e-6. */
  tolerance?: number;
  /** Maximum number of update steps. Default 500. */
  maxIterations?: number;
}

/** Result of one MM run. */
export interface TransportMMResult {
  /** Final experts and variances. */
  reduced: ReducedExperts;
  /** Optimal plan for the final experts. */
  plan: TransportPlan;
  /** Final transport objective T, a mean over support points. */
  objective: number;
  /** T at the start and after each update step (each followed by a plan step). */
  objectivePerIteration: number[];
  /** Number of update steps. */
  iterations: number;
  converged: boolean;
  /** Experts that receive no mass under the final plan (indices of `reduced`); the update step leaves such an expert as it was. */
  emptyExperts: number[];
  /** Experts whose normal equations were singular at some iteration. */
  singularExperts: number[];
  /** Increases of T by more than a relative 1e-10 between iterations. Both MM steps minimize T, so a non-empty list means a bug. */
  errors: string[];
}

/** Relative increase of T tolerated as rounding before it is reported as a violation of monotonicity. */
const MONOTONICITY_TOLERANCE = 1e-10;

/**
 * Absolute increase of T (nats per support point) tolerated as rounding. When T reaches 0 (K = L, or identical
 * local models), the next plan step can return values such as 4e-17 from costs that cancel only up to rounding.
 */
const MONOTONICITY_FLOOR = 1e-12;

/**
 * Minimizes the transport objective T(β, σ²) over K reduced experts by alternating exact minimization, a
 * majorization–minimization scheme. The plan step sends each component's mass at each support point to its
 * cheapest expert. The update step computes the exact minimizer of T for that plan. Neither step can increase
 * T, and the plan takes finitely many values, so the run stops. It stops when T decreases by at
 * most `tolerance` relative to its previous value, or when a plan step leaves the plan unchanged.
 *
 * @param start - starting experts and variances; not modified
 */
export function runTransportMM(mixture: StackedMixture, start: ReducedExperts, options: TransportMMOptions = {}): TransportMMResult {
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 500;
  const { S, L, d, support } = mixture;
  const K = start.K;

  const reduced = cloneReduced(start);
  const reducedMeans = new Float64Array(S * K);
  const plan = createPlan(S, L, K);
  const workspace = createUpdateWorkspace(d, K);

  reducedMeansAtSupport(support, S, reduced, reducedMeans, workspace.coefficients);
  let objective = assignPlan(mixture, reduced, reducedMeans, plan);
  const objectivePerIteration = [objective];
  const errors: string[] = [];
  const singular = new Set<number>();
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations) {
    iterations++;

    // Update step: exact minimizer of T for the current plan.
    const report = updateExperts(mixture, plan, reduced, reducedMeans, workspace);
    report.singularExperts.forEach((k) => singular.add(k));

    // Plan step: optimal plan for the new experts, and T at the new experts.
    const previous = objective;
    objective = assignPlan(mixture, reduced, reducedMeans, plan);
    objectivePerIteration.push(objective);

    if (objective > previous + MONOTONICITY_TOLERANCE * Math.abs(previous) + MONOTONICITY_FLOOR) {
      errors.push(`T increased from ${previous} to ${objective} at MM iteration ${iterations}; the MM steps must never increase T.`);
    }

    // Relative decrease; T = 0 (all components matched exactly) also stops. An unchanged plan is a fixed point
    // because the next update step would return the same experts (unless a ridge was needed), so T would stay.
    if (previous - objective <= tolerance * Math.abs(previous) || plan.changes === 0) {
      converged = true;
      break;
    }
  }

  const emptyExperts = expertMass(plan).flatMap((mass, k) => (mass > 0 ? [] : [k]));

  return {
    reduced, plan, objective, objectivePerIteration, iterations, converged, emptyExperts,
    singularExperts: [...singular].sort((a, b) => a - b),
    errors,
  };
}
