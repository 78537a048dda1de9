import type { MethodResult } from "./study";

/** One row of a method comparison table: the headline metrics and times of one method. */
export interface SummaryRow {
  method: string;
  /** Test log-likelihood per point, nats. */
  testLogLikelihood: number;
  rpe: number;
  rmse: number;
  ari: number | null;
  parameterMse: number | null;
  transportDivergence: number | null;
  /** Time a deployment waits, seconds. */
  seconds: number;
  aggregationSeconds: number | null;
  bytes: number;
  rounds: number;
}

/** Flattens study results into table rows, one per method. */
export function summarizeResults(results: readonly MethodResult[]): SummaryRow[] {
  return results.map((result) => ({
    method: result.method,
    testLogLikelihood: result.metrics.meanLogLikelihood,
    rpe: result.metrics.rpe,
    rmse: result.metrics.rmse,
    ari: result.metrics.adjustedRandIndex,
    parameterMse: result.metrics.parameterMse?.total ?? null,
    transportDivergence: result.metrics.transportDivergence,
    seconds: result.times.wall,
    aggregationSeconds: result.times.aggregation,
    bytes: result.communication.bytes,
    rounds: result.communication.rounds,
  }));
}
