import { defaultFeatureNames, zeros2d, type MoEModel } from "../model/types";
import type { Random } from "../random";
import { designStreams, drawResponse, requireInteger, type DesignSeeds, type SyntheticData } from "./common";

/** Number of experts of designs D2 and D3. */
export const IMBALANCE_EXPERTS = 5;
/** Number of covariates of designs D2 and D3. */
export const IMBALANCE_COVARIATES = 20;
/** Scale of the class means: μ_k = 0.28 × an integer vector in [−2, 2]^d. */
const CLASS_MEAN_SCALE = 0.28;
/** Variance of every expert. */
const EXPERT_VARIANCE = 3;
/** Minimum Euclidean distance between the coefficient vectors of consecutive experts. */
const MIN_EXPERT_DISTANCE = 2;

/** Class-proportion profile of design D2. */
export type ImbalanceProfile = "balanced" | "moderate" | "severe";

/** Class proportions π_1..π_5 of each profile. */
export const IMBALANCE_PROFILES: Readonly<Record<ImbalanceProfile, readonly number[]>> = {
  balanced: [0.2, 0.2, 0.2, 0.2, 0.2],
  moderate: [0.1, 0.15, 0.2, 0.25, 0.3],
  severe: [0.02, 0.08, 0.2, 0.3, 0.4],
};

/** True parameters shared by designs D2 and D3. */
export interface ImbalanceParameters {
  /** The true model, K = 5 experts in label order, d = 20. */
  truth: MoEModel;
  /** Class proportions π, length K. */
  proportions: number[];
  /** Class means μ_k of X | z = k, K × d. */
  classMeans: number[][];
}

/** Options of design D2. */
export interface ImbalanceDesignOptions extends DesignSeeds {
  /** Number of points. */
  n: number;
  /** Class-proportion profile, "balanced" by default. */
  profile?: ImbalanceProfile;
}

/** Design D2 data with its class structure. */
export interface ImbalanceDesign extends SyntheticData, ImbalanceParameters {}

/**
 * Draws the true parameters of designs D2 and D3: K = 5 experts, d = 20 covariates, intercepts 0, integer
 * slopes in [−10, 10] with each expert's coefficients at least 2 (Euclidean) from the previous expert's, all
 * variances 3, class means μ_k = 0.28 × an integer vector in [−2, 2]^d, and the gates that make π_k(x) the
 * Bayes posterior P(z = k | x) of X | z = k ~ N(μ_k, I):
 *
 *   α_k = μ_k − μ_K,   α_0k = −½‖μ_k‖² + ½‖μ_K‖² + log π_k − log π_K.
 *
 * All intercepts and variances tie, so the canonical order of this truth is the label order.
 */
export function drawImbalanceParameters(rng: Random, profile: ImbalanceProfile = "balanced"): ImbalanceParameters {
  const proportions = profileProportions(profile);
  const K = IMBALANCE_EXPERTS;
  const d = IMBALANCE_COVARIATES;

  // Experts: redraw a column until it is far enough from the previous one.
  const experts = zeros2d(d + 1, K);
  for (let k = 0; k < K; k++) {
    do {
      for (let j = 1; j <= d; j++) experts[j][k] = rng.integer(-10, 10);
    } while (k > 0 && columnDistance(experts, k, k - 1) < MIN_EXPERT_DISTANCE);
  }

  const classMeans = Array.from({ length: K }, () => Array.from({ length: d }, () => CLASS_MEAN_SCALE * rng.integer(-2, 2)));

  // Gates: log π_k + log N(x; μ_k, I) − (the same for K) is linear in x, with these coefficients.
  const gates = zeros2d(d + 1, K);
  const last = classMeans[K - 1];
  const lastHalfNorm = 0.5 * squaredNorm(last);
  for (let k = 0; k < K - 1; k++) {
    gates[0][k] = -0.5 * squaredNorm(classMeans[k]) + lastHalfNorm + Math.log(proportions[k]) - Math.log(proportions[K - 1]);
    for (let j = 0; j < d; j++) gates[j + 1][k] = classMeans[k][j] - last[j];
  }

  const variances = new Array<number>(K).fill(EXPERT_VARIANCE);
  const truth: MoEModel = { K, d, features: defaultFeatureNames(d), gates, experts, variances };
  return { truth, proportions, classMeans };
}

/**
 * Design D2, imbalance profiles: z ~ Categorical(π) with π from the profile, X | z = k ~ N(μ_k, I), and
 * y from expert z. See drawImbalanceParameters for the truth. The truth's experts follow the label order.
 */
export function generateImbalanceDesign(options: ImbalanceDesignOptions): ImbalanceDesign {
  requireInteger("n", options.n, 1);
  const streams = designStreams(options);
  const parameters = drawImbalanceParameters(streams.parameters, options.profile ?? "balanced");

  const experts = Array.from({ length: IMBALANCE_EXPERTS }, (_, k) => k);
  const drawn = drawClassConditional(streams.data, parameters, experts, options.n);
  return { ...drawn, truth: parameters.truth, proportions: parameters.proportions, classMeans: parameters.classMeans };
}

/**
 * Draws n points of a D2-type design restricted to the classes `classes`: z among them with the
 * proportions π renormalised over them, X | z from N(μ_z, I), y from expert z. Labels are the global
 * expert indices.
 */
export function drawClassConditional(rng: Random, parameters: ImbalanceParameters, classes: readonly number[], n: number): { data: SyntheticData["data"]; labels: Int32Array } {
  const { truth, proportions, classMeans } = parameters;
  const d = truth.d;
  const weights = classes.map((k) => proportions[k]);

  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const labels = new Int32Array(n);
  const normal = () => rng.normal();
  for (let i = 0; i < n; i++) {
    const k = classes[rng.categorical(weights)];
    labels[i] = k;
    for (let j = 0; j < d; j++) x[i * d + j] = classMeans[k][j] + rng.normal();
    y[i] = drawResponse(truth.experts, truth.variances, k, x, i * d, d, normal);
  }

  return { data: { n, d, features: truth.features.slice(), x, y }, labels };
}

function profileProportions(profile: ImbalanceProfile): number[] {
  if (!Object.hasOwn(IMBALANCE_PROFILES, profile)) {
    throw new Error(`Unknown imbalance profile "${profile}"; use ${Object.keys(IMBALANCE_PROFILES).map((p) => `"${p}"`).join(", ")}.`);
  }
  return IMBALANCE_PROFILES[profile].slice();
}

function columnDistance(coefficients: number[][], a: number, b: number): number {
  let sum = 0;
  for (const row of coefficients) sum += (row[a] - row[b]) ** 2;
  return Math.sqrt(sum);
}

function squaredNorm(vector: readonly number[]): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return sum;
}
