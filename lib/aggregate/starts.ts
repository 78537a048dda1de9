import { kmeans } from "ml-kmeans";

import { Random } from "../random";
import { alignedAverageModel } from "./aligned-average";
import { mergeGreedily } from "./greedy-merge";
import { reducedFromModel, type StackedMixture } from "./mixture";
import type { LocalModel, ReducedExperts } from "./types";
import type { SupportPoints } from "./validate";

/**
 * Starting experts from a grouping of the components: each reduced expert is the plain mean of its group's
 * expert vectors β_l, and its variance the mean of their variances σ_l².
 *
 * @param groups - group of each component, length L, values 0..K−1
 * @returns null when a group is empty
 */
export function groupMeanStart(mixture: StackedMixture, groups: ArrayLike<number>, K: number): ReducedExperts | null {
  const { L, d } = mixture;
  const p = d + 1;
  const experts = new Float64Array(K * p);
  const variances = new Float64Array(K);
  const counts = new Int32Array(K);

  for (let l = 0; l < L; l++) {
    const k = groups[l];
    counts[k]++;
    variances[k] += mixture.variances[l];
    for (let j = 0; j < p; j++) experts[k * p + j] += mixture.experts[l * p + j];
  }

  for (let k = 0; k < K; k++) {
    if (counts[k] === 0) return null;
    variances[k] /= counts[k];
    for (let j = 0; j < p; j++) experts[k * p + j] /= counts[k];
  }

  return { K, d, experts, variances };
}

/**
 * Clusters the L local expert vectors (β_l, σ_l²) by k-means (ml-kmeans 6, k-means++ seeding) and starts from
 * the cluster means.
 *
 * @returns the start, or a reason why there is none (fewer than K distinct expert vectors, or an empty cluster)
 */
export function kmeansStart(mixture: StackedMixture, K: number, seed: number): ReducedExperts | string {
  const { L, d } = mixture;
  const p = d + 1;
  const points = Array.from({ length: L }, (_, l) => [...mixture.experts.subarray(l * p, l * p + p), mixture.variances[l]]);

  // k-means++ seeding draws with probability proportional to the squared distance, so it needs K distinct points.
  const distinct = new Set(points.map((point) => point.join(","))).size;
  if (distinct < K) {
    return `k-means start skipped: only ${distinct} distinct local experts for K = ${K}.`;
  }

  const clustering = kmeans(points, K, { seed, initialization: "kmeans++", maxIterations: 100 });
  return groupMeanStart(mixture, clustering.clusters, K) ?? "k-means start skipped: a cluster came out empty.";
}

/** Draws a random grouping with every group non-empty (K ≤ L) and starts from the group means. */
export function randomGroupingStart(mixture: StackedMixture, K: number, random: Random): ReducedExperts {
  const { L } = mixture;
  const order = random.permutation(L);
  const groups = new Int32Array(L);

  // The first K components of a random order seed one group each; the others join a uniformly drawn group.
  for (let t = 0; t < L; t++) groups[order[t]] = t < K ? t : random.integer(0, K - 1);

  return groupMeanStart(mixture, groups, K) as ReducedExperts;
}

/**
 * Starting points of the MM algorithm:
 * - "kmeans": k-means on the local expert vectors (β_l, σ_l²), each reduced expert the mean of its cluster;
 * - "aligned": the aligned average of the local models (needs K_m = K on every machine, skipped otherwise);
 * - "greedy": greedy merging of the components (see mergeGreedily);
 * - "random": a random grouping of the components, each reduced expert the mean of its group.
 */
export type StartName = "kmeans" | "aligned" | "greedy" | "random";

export const START_NAMES: readonly StartName[] = ["kmeans", "aligned", "greedy", "random"];

/** Tells whether a start draws random numbers, and so takes a seed of its own. */
export function startNeedsSeed(start: StartName): boolean {
  return start === "kmeans" || start === "random";
}

/** Builds the starting experts of one try, or returns why the start does not apply. */
export function startingPoint(
  start: StartName,
  mixture: StackedMixture,
  localModels: readonly LocalModel[],
  support: SupportPoints,
  K: number,
  seed: number,
): ReducedExperts | string {
  switch (start) {
    case "kmeans":
      return kmeansStart(mixture, K, seed);
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
      return randomGroupingStart(mixture, K, new Random(seed));
  }
}
