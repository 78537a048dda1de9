import { CholeskyDecomposition, Matrix } from "ml-matrix";

import type { Dataset } from "../model/types";
import { Random } from "../random";

/** Source of the server's support points. */
export type SupportSource = "pooled" | "machine" | "gaussian";

export interface SupportOptions {
  /** Number of support points S. Default 2000. */
  size?: number;
  source?: SupportSource;
  /** Machine whose rows are used when source is "machine" (0-based). Default 0. */
  machine?: number;
  seed?: number;
}

/**
 * Support points with their responses (the responses are only used by the posterior gating variant,
 * and are NaN for Gaussian draws).
 */
export interface SupportSample {
  data: Dataset;
  /** Bytes the machines send for it: 8 per float64 covariate (and response, except for the Gaussian source). */
  bytes: number;
}

/**
 * Draws the support points for the aggregation:
 * - "pooled": each machine sends round(S n_m / n) of its rows drawn without replacement (at least one), drawn with
 *   its own seed (seed + m) exactly as `sampleMachineRows` does, so a machine can draw its share on its own;
 * - "machine": S rows of one machine;
 * - "gaussian": S draws from N(μ, Σ) with μ and Σ the pooled mean and covariance, which machines can send
 *   as sums (so only d + d(d+1)/2 + 1 numbers per machine travel).
 */
export function drawSupport(shards: readonly Dataset[], options: SupportOptions = {}): SupportSample {
  const S = options.size ?? 2000;
  const source = options.source ?? "pooled";
  const random = new Random(options.seed ?? 0);
  if (!Number.isInteger(S) || S < 1) throw new Error(`The support size must be a whole number >= 1 but got ${S}.`);
  const d = shards[0].d;

  if (source === "gaussian") return gaussianSupport(shards, S, random);

  let picks: { shard: Dataset; rows: Int32Array }[];
  if (source === "machine") {
    const m = options.machine ?? 0;
    if (!Number.isInteger(m) || m < 0 || m >= shards.length) throw new Error(`Support machine ${m} does not exist; use 0..${shards.length - 1}.`);
    picks = [{ shard: shards[m], rows: random.permutation(shards[m].n).subarray(0, Math.min(S, shards[m].n)) }];
  } else if (source === "pooled") {
    const n = shards.reduce((sum, shard) => sum + shard.n, 0);
    picks = shards.map((shard, m) => {
      const count = Math.min(shard.n, Math.max(1, Math.round((S * shard.n) / n)));
      return { shard, rows: sampleMachineRows(shard.n, count, (options.seed ?? 0) + m) };
    });
  } else {
    throw new Error(`Unknown support source '${source as string}'; use pooled, machine or gaussian.`);
  }

  const total = picks.reduce((sum, pick) => sum + pick.rows.length, 0);
  const x = new Float64Array(total * d);
  const y = new Float64Array(total);
  let row = 0;
  for (const { shard, rows } of picks) {
    for (const i of rows) {
      x.set(shard.x.subarray(i * d, i * d + d), row * d);
      y[row] = shard.y[i];
      row++;
    }
  }

  return { data: { n: total, d, features: shards[0].features.slice(), x, y }, bytes: 8 * total * (d + 1) };
}

function gaussianSupport(shards: readonly Dataset[], S: number, random: Random): SupportSample {
  const d = shards[0].d;
  const mean = new Float64Array(d);
  const covariance = Matrix.zeros(d, d);
  let n = 0;

  for (const shard of shards) {
    for (let i = 0; i < shard.n; i++) for (let j = 0; j < d; j++) mean[j] += shard.x[i * d + j];
    n += shard.n;
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (const shard of shards) {
    for (let i = 0; i < shard.n; i++) {
      for (let a = 0; a < d; a++) {
        const ca = shard.x[i * d + a] - mean[a];
        for (let b = a; b < d; b++) covariance.set(a, b, covariance.get(a, b) + ca * (shard.x[i * d + b] - mean[b]));
      }
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      covariance.set(a, b, covariance.get(a, b) / n);
      covariance.set(b, a, covariance.get(a, b));
    }
  }

  // x = μ + L z with Σ = L Lᵀ; a tiny ridge keeps L defined for collinear covariates.
  let cholesky = new CholeskyDecomposition(covariance);
  if (!cholesky.isPositiveDefinite()) cholesky = new CholeskyDecomposition(covariance.clone().add(Matrix.eye(d).mul(1e-10 * Math.max(1e-300, covariance.trace()))));
  const lower = cholesky.lowerTriangularMatrix;
  const x = new Float64Array(S * d);
  const z = new Float64Array(d);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < d; j++) z[j] = random.normal();
    for (let a = 0; a < d; a++) {
      let value = mean[a];
      for (let b = 0; b <= a; b++) value += lower.get(a, b) * z[b];
      x[s * d + a] = value;
    }
  }

  const moments = d + (d * (d + 1)) / 2 + 1;
  return { data: { n: S, d, features: shards[0].features.slice(), x, y: new Float64Array(S).fill(NaN) }, bytes: 8 * moments * shards.length };
}

/** Rows a machine sends as its share of the support: the first `count` of a permutation drawn with `seed`. */
export function sampleMachineRows(n: number, count: number, seed: number): Int32Array {
  return new Random(seed).permutation(n).subarray(0, Math.min(count, n));
}
