import type { MoEModel } from "../model/types";

/** The message a machine sends to the server: its fitted local model and the number of observations n_m behind it. */
export interface LocalModel {
  /** Local K_m-expert model; every machine shares d and the feature names. */
  model: MoEModel;
  /** Number of observations the machine fitted on, n_m > 0. Sets the machine weight λ_m = n_m / Σ n. */
  n: number;
}

/** Experts and variances of a K-expert reduced model: the variables of the transport objective. */
export interface ReducedExperts {
  K: number;
  d: number;
  /** Expert coefficients β_k, K × (d+1) row-major: row k is expert k, entry 0 its intercept. */
  experts: Float64Array;
  /** Variances σ_k², length K, all > 0. */
  variances: Float64Array;
}

/** One run of the MM algorithm from one starting point. */
export interface TryResult {
  /** Name of the starting point: "kmeans", "aligned", "greedy", "random" or, for the medoid, "machine m". */
  start: string;
  /** Final transport objective T (mean over support points). */
  objective: number;
  iterations: number;
  converged: boolean;
}

/** Diagnostics of an aggregation. Expert indices refer to the returned model's canonical order. */
export interface AggregationDiagnostics {
  /** T after each plan step of the kept try, starting with T at its starting point; empty for methods without iterations. */
  objectivePerIteration: number[];
  /** Transport objective T of the returned experts under the optimal plan, a mean over support points (nats). */
  objective: number;
  /** Update steps of the kept try; 0 for methods without iterations. */
  iterations: number;
  /** Whether the kept try stopped on the tolerance before the iteration limit; true for methods without iterations. */
  converged: boolean;
  /** Share of the total mass Σ_s Σ_l w_l(x_s) that each expert receives under the optimal plan, length K, sums to 1. */
  massPerExpert: number[];
  /** Experts that receive no mass under the optimal plan; an empty expert keeps its starting value. */
  emptyExperts: number[];
  /** Every starting point that was run, in order. */
  tries: TryResult[];
  /** Wall time of the whole aggregation, including the gate fit, in seconds. */
  seconds: number;
  /** Starting points that were skipped, singular normal equations, gate fits that did not converge. */
  warnings: string[];
  /** Violations of a guarantee, such as an increase of T between MM iterations; empty unless there is a bug. */
  errors: string[];
}

/** Output of every aggregation method: a K-expert model in canonical order and its diagnostics. */
export interface AggregationResult {
  model: MoEModel;
  diagnostics: AggregationDiagnostics;
}
