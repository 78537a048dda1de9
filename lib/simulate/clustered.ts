import { gateProbabilities } from "../model/density";
import { defaultFeatureNames, zeros2d, type MoEModel } from "../model/types";
import type { Random } from "../random";
import { designStreams, drawResponse, requireInteger, type DesignSeeds, type SyntheticData } from "./common";

/** Correlation of neighbouring covariates within a cluster: Σ_ij = ρ^|i−j| with ρ = 1/4, that is 4^−|i−j|. */
const COVARIATE_CORRELATION = 0.25;

/** Options of design D1. */
export interface ClusteredDesignOptions extends DesignSeeds {
  /** Number of points. */
  n: number;
  /** Number of experts, also the number of covariate clusters. */
  K: number;
  /** Number of covariates. */
  d: number;
}

/** Design D1 data with the covariate clusters. */
export interface ClusteredDesign extends SyntheticData {
  /** Covariate cluster of each point, length n, values in 0..K−1 (not the expert labels). */
  clusters: Int32Array;
  /** Cluster means before standardization, K × d, integers in [−4, 4]. */
  clusterMeans: number[][];
}

/**
 * Design D1, clustered covariates.
 *
 * X comes from K equal-size Gaussian clusters (sizes differ by at most 1) with integer means in [−4, 4] and
 * covariance Σ_ij = 4^−|i−j|, and each column is then standardized to sample mean 0 and sd 1 (divisor n).
 * The true model, defined on the standardized covariates, has intercepts evenly spaced in [−5, 5], integer
 * slopes in [−5, 5], variances drawn from {4, 5}, and integer gate coefficients in [−5, 5] (last column 0).
 * Each label is drawn from the true softmax gate at x, and y from that label's expert.
 *
 * Because the intercepts ascend with k, the truth is in canonical order unless two intercepts tie (K = 1).
 */
export function generateClusteredDesign(options: ClusteredDesignOptions): ClusteredDesign {
  const { n, K, d } = options;
  requireInteger("n", n, 2);
  requireInteger("K", K, 1);
  requireInteger("d", d, 1);

  const streams = designStreams(options);
  const { truth, clusterMeans } = drawClusteredParameters(streams.parameters, K, d);
  const rng = streams.data;

  // Covariates: cluster c_i = i mod K, then x_i = μ_c + e_i with e_i an AR(1) vector, whose covariance is ρ^|i−j|.
  const x = new Float64Array(n * d);
  const clusters = new Int32Array(n);
  const innovationScale = Math.sqrt(1 - COVARIATE_CORRELATION * COVARIATE_CORRELATION);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    clusters[i] = c;

    let noise = rng.normal();
    x[i * d] = clusterMeans[c][0] + noise;
    for (let j = 1; j < d; j++) {
      noise = COVARIATE_CORRELATION * noise + innovationScale * rng.normal();
      x[i * d + j] = clusterMeans[c][j] + noise;
    }
  }

  standardizeColumns(x, n, d);

  // Labels from the true gate at the standardized x, then y from the chosen expert.
  const probabilities = gateProbabilities(truth, x, n);
  const labels = new Int32Array(n);
  const y = new Float64Array(n);
  const normal = () => rng.normal();
  for (let i = 0; i < n; i++) {
    const k = rng.categorical(probabilities, i * K, K);
    labels[i] = k;
    y[i] = drawResponse(truth.experts, truth.variances, k, x, i * d, d, normal);
  }

  return { data: { n, d, features: truth.features.slice(), x, y }, labels, truth, clusters, clusterMeans };
}

function drawClusteredParameters(rng: Random, K: number, d: number): { truth: MoEModel; clusterMeans: number[][] } {
  const clusterMeans = Array.from({ length: K }, () => Array.from({ length: d }, () => rng.integer(-4, 4)));

  const experts = zeros2d(d + 1, K);
  for (let k = 0; k < K; k++) {
    experts[0][k] = K === 1 ? 0 : -5 + (10 * k) / (K - 1);
    for (let j = 1; j <= d; j++) experts[j][k] = rng.integer(-5, 5);
  }

  const variances = Array.from({ length: K }, () => rng.integer(4, 5));

  const gates = zeros2d(d + 1, K);
  for (let k = 0; k < K - 1; k++) {
    for (let j = 0; j <= d; j++) gates[j][k] = rng.integer(-5, 5);
  }

  const truth: MoEModel = { K, d, features: defaultFeatureNames(d), gates, experts, variances };
  return { truth, clusterMeans };
}

/** Centres and scales each column of an n × d row-major array in place to mean 0 and sd 1 (divisor n). */
function standardizeColumns(x: Float64Array, n: number, d: number): void {
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + j];
    mean /= n;

    let variance = 0;
    for (let i = 0; i < n; i++) variance += (x[i * d + j] - mean) ** 2;
    const sd = Math.sqrt(variance / n);

    for (let i = 0; i < n; i++) x[i * d + j] = (x[i * d + j] - mean) / sd;
  }
}
