import type { Random } from "../random";
import { expertMeans, gateProbabilities } from "./density";
import type { MoEModel } from "./types";

/** Responses and expert labels drawn from a model at given covariates. */
export interface MoESample {
  /** Responses, length n. */
  y: Float64Array;
  /** Expert that generated each response (0-based, in the model's own expert order), length n. */
  labels: Int32Array;
}

/**
 * Draws y_i ~ f(y | x_i): first the expert z_i ~ Categorical(π(x_i)), then y_i ~ N(β_zᵀ x̃_i, σ_z²).
 *
 * @param x - covariates, n × d row-major
 */
export function sampleResponses(model: MoEModel, x: Float64Array, n: number, random: Random): MoESample {
  const K = model.K;
  const pi = gateProbabilities(model, x, n);
  const mean = expertMeans(model, x, n);
  const sd = model.variances.map(Math.sqrt);
  const y = new Float64Array(n);
  const labels = new Int32Array(n);

  for (let i = 0; i < n; i++) {
    const z = random.categorical(pi, i * K, K);
    labels[i] = z;
    y[i] = mean[i * K + z] + sd[z] * random.normal();
  }

  return { y, labels };
}

/** Draws an n × d matrix of independent standard normal covariates (row-major). */
export function sampleStandardNormal(n: number, d: number, random: Random): Float64Array {
  const x = new Float64Array(n * d);
  for (let t = 0; t < x.length; t++) x[t] = random.normal();
  return x;
}
