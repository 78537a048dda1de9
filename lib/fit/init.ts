import { kmeans } from "ml-kmeans";

import type { Random } from "../random";
import type { Dataset, MoEModel } from "../model/types";
import { zeros2d } from "../model/types";
import { LogisticSolver, unflatten } from "./logistic";
import { solveNormalEquations, weightedNormalEquations } from "./least-squares";

/** Initializer of a start: k-means on the covariates, k-means on covariates and response, or random soft labels. */
export type InitMethod = "kmeans" | "kmeans-xy" | "random";

/** Rows used by k-means at most; the remaining rows are assigned to the nearest centroid. */
const KMEANS_MAX_ROWS = 5000;

/**
 * Builds a starting model from a labelling of the rows: per group, ordinary least squares for β_k and the
 * residual variance for σ_k²; gates from a few Newton steps of a multinomial logistic regression on the
 * labels. `labels` are soft, n × K row-major (one-hot for hard labels).
 */
export function modelFromLabels(data: Dataset, labels: Float64Array, K: number, varianceFloor: number): MoEModel {
  const { n, d, x, y } = data;
  const p = d + 1;
  const { grams, rhs, totals } = weightedNormalEquations(x, y, labels, n, d, K);
  const experts = zeros2d(p, K);
  const variances = new Array<number>(K).fill(0);

  for (let k = 0; k < K; k++) {
    const beta = solveNormalEquations(grams.subarray(k * p * p, (k + 1) * p * p), rhs.subarray(k * p, (k + 1) * p), p);
    for (let a = 0; a < p; a++) experts[a][k] = beta[a];
  }

  // σ_k² = Σ_i t_ik (y_i − β_kᵀx̃_i)² / Σ_i t_ik
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const t = labels[i * K + k];
      if (t === 0) continue;
      let mean = experts[0][k];
      for (let j = 0; j < d; j++) mean += x[i * d + j] * experts[j + 1][k];
      variances[k] += t * (y[i] - mean) ** 2;
    }
  }
  for (let k = 0; k < K; k++) variances[k] = Math.max(totals[k] > 0 ? variances[k] / totals[k] : varianceFloor, varianceFloor);

  // NOTE: five Böhning steps, or five Newton steps sharing one Hessian, cost less on 5000-row machines with
  // d = 20, but their flatter gates led EM to poorer optima on the 5-covariate reference data.
  const solver = new LogisticSolver({ x, n, d, K, targets: labels });
  const gates = solver.fit(new Float64Array(p * K), { method: "newton", maxIterations: 5, hessianRows: 25 * p * (K - 1) }).gates;

  return { K, d, features: data.features.slice(), gates: unflatten(gates, p, K), experts, variances };
}

/** Labels the rows by k-means (on a random subset of at most KMEANS_MAX_ROWS rows, then nearest centroid), one-hot n × K. */
export function kmeansLabels(data: Dataset, K: number, random: Random, withResponse: boolean): Float64Array {
  const { n, d, x, y } = data;
  const width = withResponse ? d + 1 : d;
  const rowOf = (i: number): number[] => {
    const row = Array.from(x.subarray(i * d, i * d + d));
    if (withResponse) row.push(y[i]);
    return row;
  };

  // The response is scaled to unit variance so that it weighs like one standardized covariate.
  let yScale = 1;
  if (withResponse) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (y[i] - mean) ** 2;
    yScale = Math.sqrt(variance / n) || 1;
  }
  const scaledRow = (i: number): number[] => {
    const row = rowOf(i);
    if (withResponse) row[d] /= yScale;
    return row;
  };

  const subset = n > KMEANS_MAX_ROWS ? Array.from(random.permutation(n).subarray(0, KMEANS_MAX_ROWS)) : Array.from({ length: n }, (_, i) => i);
  const result = kmeans(subset.map(scaledRow), K, { initialization: "kmeans++", seed: random.childSeed(), maxIterations: 100 });
  const centroids = result.centroids;

  const labels = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const row = scaledRow(i);
    let best = 0;
    let bestDistance = Infinity;
    for (let k = 0; k < K; k++) {
      let distance = 0;
      for (let j = 0; j < width; j++) distance += (row[j] - centroids[k][j]) ** 2;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = k;
      }
    }
    labels[i * K + best] = 1;
  }
  return labels;
}

/** Random soft labels: each row a draw from a flat Dirichlet, n × K. */
export function randomLabels(n: number, K: number, random: Random): Float64Array {
  const labels = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let k = 0; k < K; k++) {
      const e = -Math.log(1 - random.uniform());
      labels[i * K + k] = e;
      total += e;
    }
    for (let k = 0; k < K; k++) labels[i * K + k] /= total;
  }
  return labels;
}

/** Builds one starting model by the given method. */
export function initialModel(data: Dataset, K: number, method: InitMethod, random: Random, varianceFloor: number): MoEModel {
  const labels = method === "random" ? randomLabels(data.n, K, random) : kmeansLabels(data, K, random, method === "kmeans-xy");
  return modelFromLabels(data, labels, K, varianceFloor);
}
