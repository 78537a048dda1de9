import { canonicalOrder, permuteExperts } from "../model/canonical";
import type { MoEModel } from "../model/types";
import { expertsToArrays, reducedMeansAtSupport, type StackedMixture } from "./mixture";
import { assignPlan, createPlan, expertMass, type TransportPlan } from "./plan";
import type { AggregationDiagnostics, AggregationResult, ReducedExperts } from "./types";

/** Optimal plan for given reduced experts and its transport objective T (mean over support points). */
export function transportObjective(mixture: StackedMixture, reduced: ReducedExperts): { objective: number; plan: TransportPlan } {
  const { S, L, support } = mixture;
  const plan = createPlan(S, L, reduced.K);
  const means = reducedMeansAtSupport(support, S, reduced, new Float64Array(S * reduced.K));
  return { objective: assignPlan(mixture, reduced, means, plan), plan };
}

/**
 * Assembles an aggregation result: the model from reduced experts and gates, put in canonical order, and the
 * per-expert diagnostics (mass shares and empty experts from `plan`) reindexed to that order.
 *
 * @param gates - (d+1) × K, in the expert order of `reduced`
 */
export function assembleResult(
  features: readonly string[],
  reduced: ReducedExperts,
  gates: number[][],
  plan: TransportPlan,
  diagnostics: Omit<AggregationDiagnostics, "massPerExpert" | "emptyExperts">,
): AggregationResult {
  const raw: MoEModel = {
    K: reduced.K,
    d: reduced.d,
    features: features.slice(),
    gates,
    experts: expertsToArrays(reduced),
    variances: Array.from(reduced.variances),
  };
  const order = canonicalOrder(raw);
  const model = permuteExperts(raw, order);

  const mass = expertMass(plan);
  const total = mass.reduce((sum, value) => sum + value, 0);
  const massPerExpert = order.map((k) => (total > 0 ? mass[k] / total : 0));
  const emptyExperts = order.flatMap((k, position) => (mass[k] > 0 ? [] : [position]));

  return { model, diagnostics: { ...diagnostics, massPerExpert, emptyExperts } };
}
