import type { Dataset } from "../model/types";
import { readCsvHeader, readNumericCsv } from "./csv";

/**
 * Reads a regression data set from CSV: `target` is the response column, `features` the covariates
 * (all other columns when omitted).
 */
export function readDatasetCsv(path: string, target: string, features?: string[]): Dataset {
  const header = readCsvHeader(path);
  if (!header.includes(target)) {
    throw new Error(`Target column '${target}' is missing from '${path}'; the columns are: ${header.join(", ")}. Pass --target with one of them.`);
  }

  const covariates = features ?? header.filter((name) => name !== target);
  if (covariates.includes(target)) throw new Error(`The target '${target}' is also listed as a feature; remove it from --features.`);
  if (covariates.length === 0) throw new Error(`'${path}' has no covariate column besides '${target}'; add at least one feature.`);

  const table = readNumericCsv(path, [...covariates, target]);
  const n = table.rows;
  const d = covariates.length;
  const x = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const column = table.values[j];
    for (let i = 0; i < n; i++) x[i * d + j] = column[i];
  }

  return { n, d, features: covariates, x, y: table.values[d] };
}

/** Reads the covariates of a CSV (no response) as a row-major n × d array, e.g. support points. */
export function readCovariatesCsv(path: string, features?: string[]): { x: Float64Array; n: number; d: number; features: string[] } {
  const table = readNumericCsv(path, features);
  const n = table.rows;
  const d = table.columns.length;
  const x = new Float64Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) x[i * d + j] = table.values[j][i];
  return { x, n, d, features: table.columns };
}
