import type { Dataset, MoEModel } from "../model/types";
import { Random } from "../random";

/**
 * A synthetic data set with its ground truth. The experts of `truth` are in the order of `labels`
 * (expert k of the truth generated the points with label k), which need not be the canonical order.
 */
export interface SyntheticData {
  /** Covariates and responses, n points. */
  data: Dataset;
  /** Expert that generated each point, length n, values in 0..K−1. */
  labels: Int32Array;
  /** The model the responses were drawn from, experts in label order. */
  truth: MoEModel;
}

/** Seeds of a design. */
export interface DesignSeeds {
  /** Seed of the data draw (and of the parameters unless `parameterSeed` is given). */
  seed: number | string;
  /**
   * Seed of the true parameters. By default it is derived from `seed`, so each seed gives a new truth;
   * fix it to draw fresh data sets from one truth.
   */
  parameterSeed?: number | string;
}

/** Throws unless `value` is an integer ≥ `minimum`, naming the option. */
export function requireInteger(name: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`Option ${name} must be an integer ≥ ${minimum} but got ${value}.`);
  }
}

/** Draws a response y = β_kᵀx̃ + σ_k ε for expert k at the row x (d values starting at `offset`). */
export function drawResponse(experts: number[][], variances: number[], k: number, x: Float64Array, offset: number, d: number, normal: () => number): number {
  let mean = experts[0][k];
  for (let j = 0; j < d; j++) mean += experts[j + 1][k] * x[offset + j];
  return mean + Math.sqrt(variances[k]) * normal();
}

/** Independent generators for the true parameters and for the data, both reproducible from the seeds. */
export function designStreams(seeds: DesignSeeds): { parameters: Random; data: Random } {
  const root = new Random(seeds.seed);
  const derivedParameterSeed = root.childSeed();
  const data = new Random(root.childSeed());
  return { parameters: new Random(seeds.parameterSeed ?? derivedParameterSeed), data };
}
