import type { MethodResult } from "../distributed/study";
import type { SettingValue } from "./grid";

/**
 * One method's results in one cell, as flat columns: `method` plus metric, time and communication columns,
 * and any further columns the cell adds (e.g. the support size of a sub-setting). Non-finite numbers are
 * stored as null, because JSON and CSV cannot hold them.
 */
export type CellRow = { method: string } & Record<string, SettingValue>;

/** The parts of a MethodResult that a results table keeps (the fitted model is left out). */
export type MethodResultLike = Pick<MethodResult, "method" | "metrics" | "times" | "communication" | "warnings">;

/** Output of a cell function: study results, flat rows, or a mix. */
export type CellOutput = readonly (MethodResultLike | CellRow)[];

/**
 * Flattens one method's study result into table columns:
 * - test metrics: meanLogLikelihood (nats per point), logLikelihood (nats), rpe, rmse, mae, pearson,
 *   randIndex, adjustedRandIndex, clusteringError, parameterMseGates, parameterMseExperts,
 *   parameterMseVariances, parameterMse (the total) and transportDivergence (nats);
 * - times in seconds: wallSeconds, slowestLocalSeconds, sumLocalSeconds, aggregationSeconds;
 * - communication: bytes and rounds; warnings (their number).
 * Metrics the study did not compute (no true labels or model) are null.
 */
export function flattenMethodResult(result: MethodResultLike): CellRow {
  const { metrics, times, communication } = result;
  return normalizeRow({
    method: result.method,
    meanLogLikelihood: metrics.meanLogLikelihood,
    logLikelihood: metrics.logLikelihood,
    rpe: metrics.rpe,
    rmse: metrics.rmse,
    mae: metrics.mae,
    pearson: metrics.pearson,
    randIndex: metrics.randIndex,
    adjustedRandIndex: metrics.adjustedRandIndex,
    clusteringError: metrics.clusteringError,
    parameterMseGates: metrics.parameterMse?.gates ?? null,
    parameterMseExperts: metrics.parameterMse?.experts ?? null,
    parameterMseVariances: metrics.parameterMse?.variances ?? null,
    parameterMse: metrics.parameterMse?.total ?? null,
    transportDivergence: metrics.transportDivergence,
    wallSeconds: times.wall,
    slowestLocalSeconds: times.slowestLocal,
    sumLocalSeconds: times.sumLocal,
    aggregationSeconds: times.aggregation,
    bytes: communication.bytes,
    rounds: communication.rounds,
    warnings: result.warnings.length,
  });
}

/** Converts a cell function's output to flat rows, flattening study results and checking the others. */
export function toCellRows(output: CellOutput, where: string): CellRow[] {
  if (!Array.isArray(output)) {
    throw new Error(`The cell function returned ${typeof output} for ${where}; return an array of method results or rows.`);
  }
  return output.map((item, index) => {
    if (item !== null && typeof item === "object" && "metrics" in item && "times" in item) return flattenMethodResult(item as MethodResultLike);
    return checkRow(item as CellRow, `row ${index} of ${where}`);
  });
}

/** Replaces non-finite numbers by null. */
export function normalizeRow(row: Record<string, SettingValue | undefined>): CellRow {
  const normalized: Record<string, SettingValue> = {};
  for (const [key, value] of Object.entries(row)) {
    normalized[key] = value === undefined || (typeof value === "number" && !Number.isFinite(value)) ? null : value;
  }
  return normalized as CellRow;
}

function checkRow(row: CellRow, where: string): CellRow {
  if (row === null || typeof row !== "object" || typeof row.method !== "string" || row.method === "") {
    throw new Error(`The cell function returned ${JSON.stringify(row)} as ${where}; every row needs a non-empty method name.`);
  }
  for (const [key, value] of Object.entries(row)) {
    const scalar = value === null || value === undefined || ["string", "number", "boolean"].includes(typeof value);
    if (!scalar) {
      throw new Error(`Column "${key}" of ${where} contains a ${typeof value}; table columns contain numbers, strings, booleans or null.`);
    }
  }
  return normalizeRow(row);
}
