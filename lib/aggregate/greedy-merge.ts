import { performance } from "node:perf_hooks";

import type { Dataset } from "../model/types";
import { choleskyInPlace, choleskySolveInPlace } from "./cholesky";
import { fitReducedGates, gateStartFromPlan, type GatingVariant } from "./gates";
import type { StackedMixture } from "./mixture";
import { planFromGroups } from "./plan";
import { prepareAggregation } from "./prepare";
import { assembleResult, transportObjective } from "./result";
import type { AggregationResult, LocalModel, ReducedExperts } from "./types";

export interface GreedyMergeOptions {
  /** Targets of the gate fit. Default "support". */
  gating?: GatingVariant;
}

/**
 * Greedy merging baseline: merges the L local components pairwise, cheapest moment-matching merge first, until
 * K remain (see mergeGreedily). The gates are fitted to the merged weights at the support points,
 * g_sk = Σ_{l∈G_k} w_l(x_s) (see fitReducedGates).
 *
 * @param localModels - one { model, n } per machine; K_m may differ between machines
 * @param support - support covariates, S × d row-major, or a Dataset (needed for gating "posterior")
 * @returns the merged model in canonical order. diagnostics.objective is T of its experts under the optimal
 *   plan, so it is at most the T of the grouping itself.
 */
export function greedyMerge(localModels: readonly LocalModel[], support: Float64Array | Dataset, K: number, options: GreedyMergeOptions = {}): AggregationResult {
  const started = performance.now();
  const prepared = prepareAggregation(localModels, support, K);
  const { mixture } = prepared;

  const merging = mergeGreedily(mixture, K);
  const groupPlan = planFromGroups(mixture, merging.groups, K);
  const gateFit = fitReducedGates(prepared.support, groupPlan.mass, merging.reduced, { variant: options.gating, initial: gateStartFromPlan(mixture, groupPlan) });
  const { objective, plan } = transportObjective(mixture, merging.reduced);

  return assembleResult(mixture.features, merging.reduced, gateFit.gates, plan, {
    objectivePerIteration: [],
    objective,
    iterations: 0,
    converged: true,
    tries: [],
    seconds: (performance.now() - started) / 1000,
    warnings: gateFit.converged ? [] : [`The gate fit did not converge in ${gateFit.iterations} Newton steps.`],
    errors: [],
  });
}

/** Outcome of greedy merging: a grouping of the L components and the moment-matched expert of each group. */
export interface GreedyMerging {
  /** Group (reduced expert) of each component, length L, values 0..K−1. */
  groups: Int32Array;
  /** Moment-matched experts and variances of the K groups. */
  reduced: ReducedExperts;
  /** Sum of the merge costs, the transport objective of the grouping (a mean over support points). */
  objective: number;
}

/**
 * Merges the L stacked components greedily down to K, always the pair with the smallest merge cost.
 *
 * A group G of components has the moment-matched expert of its transported mass, the exact minimizer of the
 * transport objective when every component of G goes to one expert at every support point:
 *
 *   A_G = Σ_{l∈G} Σ_s w_l(x_s) x̃_s x̃_sᵀ,   β_G = A_G⁻¹ Σ_{l∈G} A_l β_l,
 *   W_G = Σ_{l∈G} Σ_s w_l(x_s),               σ_G² = R_G / W_G,
 *   R_G = Σ_{l∈G} Σ_s w_l(x_s) [σ_l² + ((β_l − β_G)ᵀ x̃_s)²].
 *
 * Merging G and H gives β = β_G − (A_G + A_H)⁻¹ A_H δ with δ = β_G − β_H, and
 * R = R_G + R_H + δᵀ A_G (A_G + A_H)⁻¹ A_H δ. The transport objective of such a grouping is
 * (1/S) Σ_G ½ [W_G log σ_G² − Σ_{l∈G} W_l log σ_l²], so the cost of the merge, its increase, is
 *
 *   ΔT(G, H) = ½ [W log(R / W) − W_G log σ_G² − W_H log σ_H²] / S ≥ 0.
 *
 * Cost: O(S L (d+1)²) for the Gram matrices A_l, then one (d+1) × (d+1) Cholesky factorization per evaluated
 * pair, O(L²) pairs in all.
 */
export function mergeGreedily(mixture: StackedMixture, K: number): GreedyMerging {
  const { S, L, d } = mixture;
  const p = d + 1;
  const state = initialGroups(mixture);
  const pair = createPairWorkspace(p);

  // Full symmetric cost matrix over the active groups and, per row, the cheapest partner.
  const cost = new Float64Array(L * L).fill(Infinity);
  const bestPartner = new Int32Array(L).fill(-1);
  const bestCost = new Float64Array(L).fill(Infinity);
  for (let g = 0; g < L; g++) {
    for (let h = g + 1; h < L; h++) {
      const value = mergeCost(state, g, h, p, pair);
      cost[g * L + h] = value;
      cost[h * L + g] = value;
    }
  }
  for (let g = 0; g < L; g++) rescanRow(g, cost, state.active, bestPartner, bestCost, L);

  let activeCount = L;
  let objective = 0;
  while (activeCount > K) {
    // Cheapest pair over all rows.
    let g = -1;
    for (let r = 0; r < L; r++) {
      if (state.active[r] && bestPartner[r] >= 0 && (g < 0 || bestCost[r] < bestCost[g])) g = r;
    }
    const h = bestPartner[g];
    objective += bestCost[g];

    // Merge h into g.
    mergeCost(state, g, h, p, pair);
    mergeInto(state, g, h, p, pair);
    activeCount--;

    // New costs of g; rows that pointed at g or h are rescanned, the others compare with their new cost to g.
    for (let r = 0; r < L; r++) {
      cost[r * L + h] = Infinity;
      cost[h * L + r] = Infinity;
      if (!state.active[r] || r === g) continue;
      const value = mergeCost(state, g, r, p, pair);
      cost[g * L + r] = value;
      cost[r * L + g] = value;
    }
    bestPartner[h] = -1;
    for (let r = 0; r < L; r++) {
      if (!state.active[r]) continue;
      if (r === g || bestPartner[r] === g || bestPartner[r] === h) {
        rescanRow(r, cost, state.active, bestPartner, bestCost, L);
      } else if (cost[r * L + g] < bestCost[r]) {
        bestCost[r] = cost[r * L + g];
        bestPartner[r] = g;
      }
    }
  }

  return { ...finalGroups(state, mixture, K), objective: objective / S };
}

/** Number of components whose Gram matrices are accumulated together in one pass over the support points. */
const GRAM_BLOCK = 16;

/** Sufficient statistics of the current groups, indexed by the group's first component. */
interface GroupState {
  active: Uint8Array;
  /** Group of each component: the index of the group's first component, resolved through `parent`. */
  parent: Int32Array;
  /** A_G, L blocks of (d+1) × (d+1). */
  grams: Float64Array;
  /** β_G, L × (d+1). */
  experts: Float64Array;
  /** W_G, length L. */
  mass: Float64Array;
  /** R_G, length L. */
  residual: Float64Array;
  /** W_G log σ_G² (0 when W_G = 0), length L. */
  entropyTerm: Float64Array;
}

/** Makes every component its own group, with A_l = Σ_s w_l(x_s) x̃_s x̃_sᵀ, W_l and R_l = W_l σ_l². */
function initialGroups(mixture: StackedMixture): GroupState {
  const { S, L, d, support, weights, componentMass, variances } = mixture;
  const p = d + 1;
  const grams = new Float64Array(L * p * p);
  const outer = new Float64Array(p * p);
  const xTilde = new Float64Array(p);
  xTilde[0] = 1;

  // Components in blocks, so that the block's Gram matrices stay in cache while the support points stream by.
  for (let first = 0; first < L; first += GRAM_BLOCK) {
    const last = Math.min(L, first + GRAM_BLOCK);
    for (let s = 0; s < S; s++) {
      for (let j = 0; j < d; j++) xTilde[j + 1] = support[s * d + j];
      for (let a = 0; a < p; a++) for (let b = a; b < p; b++) outer[a * p + b] = xTilde[a] * xTilde[b];

      // Upper triangles only; mirrored after the pass.
      for (let l = first; l < last; l++) {
        const w = weights[s * L + l];
        if (w === 0) continue;
        const offset = l * p * p;
        for (let a = 0; a < p; a++) {
          const row = a * p;
          for (let b = a; b < p; b++) grams[offset + row + b] += w * outer[row + b];
        }
      }
    }
  }
  for (let l = 0; l < L; l++) {
    const offset = l * p * p;
    for (let a = 1; a < p; a++) for (let b = 0; b < a; b++) grams[offset + a * p + b] = grams[offset + b * p + a];
  }

  const mass = componentMass.slice();
  const residual = new Float64Array(L);
  const entropyTerm = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    residual[l] = mass[l] * variances[l];
    entropyTerm[l] = mass[l] > 0 ? mass[l] * Math.log(variances[l]) : 0;
  }

  return {
    active: new Uint8Array(L).fill(1),
    parent: Int32Array.from({ length: L }, (_, l) => l),
    grams,
    experts: mixture.experts.slice(),
    mass,
    residual,
    entropyTerm,
  };
}

/** Buffers for one pair: A_G + A_H and its factor, δ, A_H δ solved in place (z), A_G δ. */
interface PairWorkspace {
  factor: Float64Array;
  delta: Float64Array;
  z: Float64Array;
  gDelta: Float64Array;
  /** R of the last evaluated pair. */
  residual: number;
}

function createPairWorkspace(p: number): PairWorkspace {
  return { factor: new Float64Array(p * p), delta: new Float64Array(p), z: new Float64Array(p), gDelta: new Float64Array(p), residual: 0 };
}

/**
 * Merge cost ΔT(G, H) times S (see mergeGreedily). Leaves z = (A_G + A_H)⁻¹ A_H δ and the merged R in `pair`.
 * Singular A_G + A_H (components with almost no mass at the support points) gets a ridge of 1e-10 of its mean
 * diagonal.
 */
function mergeCost(state: GroupState, g: number, h: number, p: number, pair: PairWorkspace): number {
  const { grams, experts, mass, residual, entropyTerm } = state;
  const { factor, delta, z, gDelta } = pair;
  const gOffset = g * p * p;
  const hOffset = h * p * p;

  for (let a = 0; a < p; a++) delta[a] = experts[g * p + a] - experts[h * p + a];

  // z ← A_H δ, gDelta ← A_G δ, factor ← A_G + A_H (lower triangle is all the factorization reads).
  let trace = 0;
  for (let a = 0; a < p; a++) {
    let hValue = 0;
    let gValue = 0;
    const row = a * p;
    for (let b = 0; b < p; b++) {
      hValue += grams[hOffset + row + b] * delta[b];
      gValue += grams[gOffset + row + b] * delta[b];
    }
    z[a] = hValue;
    gDelta[a] = gValue;
    for (let b = 0; b <= a; b++) factor[row + b] = grams[gOffset + row + b] + grams[hOffset + row + b];
    trace += factor[row + a];
  }

  if (!choleskyInPlace(factor, p)) {
    const ridge = Math.max((1e-10 * trace) / p, 1e-300);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b <= a; b++) factor[a * p + b] = grams[gOffset + a * p + b] + grams[hOffset + a * p + b];
      factor[a * p + a] += ridge;
    }
    if (!choleskyInPlace(factor, p)) throw new Error(`Merging components ${g} and ${h}: the normal equations stay singular after a ridge of ${ridge}.`);
  }
  choleskySolveInPlace(factor, z, p);

  // Mismatch δᵀ A_G (A_G + A_H)⁻¹ A_H δ ≥ 0; rounding can make it slightly negative.
  let mismatch = 0;
  for (let a = 0; a < p; a++) mismatch += gDelta[a] * z[a];
  const W = mass[g] + mass[h];
  const R = residual[g] + residual[h] + Math.max(mismatch, 0);
  pair.residual = R;

  if (!(W > 0)) return 0;
  return Math.max(0, 0.5 * (W * Math.log(R / W) - entropyTerm[g] - entropyTerm[h]));
}

/** Merges group h into group g, using z and R that mergeCost(state, g, h) left in `pair`. */
function mergeInto(state: GroupState, g: number, h: number, p: number, pair: PairWorkspace): void {
  const { grams, experts, mass, residual, entropyTerm, parent, active } = state;

  for (let a = 0; a < p; a++) experts[g * p + a] -= pair.z[a];
  for (let t = 0; t < p * p; t++) grams[g * p * p + t] += grams[h * p * p + t];
  mass[g] += mass[h];
  residual[g] = pair.residual;
  entropyTerm[g] = mass[g] > 0 ? mass[g] * Math.log(residual[g] / mass[g]) : 0;

  parent[h] = g;
  active[h] = 0;
}

/** Sets the cheapest active partner of row r. */
function rescanRow(r: number, cost: Float64Array, active: Uint8Array, bestPartner: Int32Array, bestCost: Float64Array, L: number): void {
  let best = -1;
  let value = Infinity;
  for (let c = 0; c < L; c++) {
    if (c === r || !active[c]) continue;
    if (best < 0 || cost[r * L + c] < value) {
      best = c;
      value = cost[r * L + c];
    }
  }
  bestPartner[r] = best;
  bestCost[r] = value;
}

/** Numbers the K remaining groups 0..K−1 by first component and returns their experts and variances. */
function finalGroups(state: GroupState, mixture: StackedMixture, K: number): { groups: Int32Array; reduced: ReducedExperts } {
  const { L, d } = mixture;
  const p = d + 1;
  const label = new Int32Array(L).fill(-1);
  const experts = new Float64Array(K * p);
  const variances = new Float64Array(K);

  let next = 0;
  for (let l = 0; l < L; l++) {
    if (!state.active[l]) continue;
    label[l] = next;
    for (let a = 0; a < p; a++) experts[next * p + a] = state.experts[l * p + a];

    // A group without mass at the support points keeps the mean variance of its members.
    variances[next] = state.mass[l] > 0 ? state.residual[l] / state.mass[l] : NaN;
    next++;
  }

  const groups = new Int32Array(L);
  for (let l = 0; l < L; l++) {
    let root = l;
    while (state.parent[root] !== root) root = state.parent[root];
    groups[l] = label[root];
  }

  for (let k = 0; k < K; k++) {
    if (!Number.isNaN(variances[k])) continue;
    let sum = 0;
    let count = 0;
    for (let l = 0; l < L; l++) if (groups[l] === k) (sum += mixture.variances[l]), count++;
    variances[k] = sum / count;
  }

  return { groups, reduced: { K, d, experts, variances } };
}
