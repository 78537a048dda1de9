import { readFileSync } from "node:fs";

import { describeFileError, writeFileAtomic } from "../io/atomic";
import type { MoEModel } from "./types";

/** Value of the `format` field of every model file this version writes and reads. */
export const MODEL_FORMAT = "otmoe-model/1";

/** Summary of the fit that produced a model, stored with it. */
export interface FitSummary {
  logLikelihood: number;
  iterations: number;
  seconds: number;
}

/**
 * The model file: the one message a machine sends in the distributed protocol. JSON with full float64
 * precision (JSON.stringify writes the shortest decimal that reads back to the same double).
 */
export interface ModelFile extends MoEModel {
  format: typeof MODEL_FORMAT;
  /** Training size n_m, which sets the machine's weight n_m / n in the aggregation. */
  n?: number;
  fit?: FitSummary;
}

/** Serializes a model (with optional training size and fit summary) to the model file's JSON text. */
export function serializeModel(model: MoEModel, extra: { n?: number; fit?: FitSummary } = {}): string {
  const file: ModelFile = {
    format: MODEL_FORMAT,
    K: model.K,
    d: model.d,
    features: model.features,
    gates: model.gates,
    experts: model.experts,
    variances: model.variances,
    ...(extra.n !== undefined ? { n: extra.n } : {}),
    ...(extra.fit !== undefined ? { fit: extra.fit } : {}),
  };
  return JSON.stringify(file) + "\n";
}

/** Writes a model file atomically, so that a failed write leaves no partial file. */
export function writeModelFile(path: string, model: MoEModel, extra: { n?: number; fit?: FitSummary } = {}): void {
  writeFileAtomic(path, serializeModel(model, extra));
}

/** Reads and validates a model file; the error names the file, the field and the fix. */
export function readModelFile(path: string): ModelFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`Cannot read model file '${path}': ${describeFileError(error)}. Check the path.`);
  }
  return parseModel(text, path);
}

/** Parses and validates model file text. `source` names the file in error messages. */
export function parseModel(text: string, source = "model"): ModelFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // The parser quotes the start of the text, which may span lines; keep the message on one line.
    const reason = (error as Error).message.replace(/\s+/g, " ");
    throw new Error(`Model file '${source}' is not valid JSON (${reason}); write it with 'otmoe fit', 'otmoe fit-local' or writeModelFile.`);
  }
  return validateModelFile(value, source);
}

/** Checks every field of a parsed model file and returns it typed. */
export function validateModelFile(value: unknown, source = "model"): ModelFile {
  const fail = (field: string, problem: string): never => {
    throw new Error(`Model file '${source}' is malformed: ${field} ${problem}.`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("the top level", "must be a JSON object");
  const file = value as Record<string, unknown>;

  if (file.format !== MODEL_FORMAT) fail("'format'", `is ${JSON.stringify(file.format)} but must be "${MODEL_FORMAT}" (re-export the model with this version of otmoe)`);
  const K = file.K;
  const d = file.d;
  if (!Number.isInteger(K) || (K as number) < 1) fail("'K'", `is ${JSON.stringify(K)} but must be an integer >= 1`);
  if (!Number.isInteger(d) || (d as number) < 0) fail("'d'", `is ${JSON.stringify(d)} but must be an integer >= 0`);

  const features = file.features;
  if (!Array.isArray(features) || features.length !== d || features.some((f) => typeof f !== "string")) {
    fail("'features'", `must be an array of ${d} strings`);
  }

  const gates = checkMatrix(file.gates, "'gates'", (d as number) + 1, K as number, fail);
  const experts = checkMatrix(file.experts, "'experts'", (d as number) + 1, K as number, fail);
  for (let j = 0; j <= (d as number); j++) {
    if (gates[j][(K as number) - 1] !== 0) fail(`'gates'[${j}][${(K as number) - 1}]`, `is ${gates[j][(K as number) - 1]} but the last gate column must be 0`);
  }

  const variances = file.variances;
  if (!Array.isArray(variances) || variances.length !== K) fail("'variances'", `must be an array of ${K} numbers`);
  (variances as unknown[]).forEach((v, k) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(`'variances'[${k}]`, `is ${JSON.stringify(v)} but must be a finite number > 0`);
  });

  if (file.n !== undefined && (!Number.isInteger(file.n) || (file.n as number) < 1)) fail("'n'", `is ${JSON.stringify(file.n)} but must be an integer >= 1`);
  if (file.fit !== undefined) {
    const fit = file.fit as Record<string, unknown>;
    if (typeof fit !== "object" || fit === null || typeof fit.logLikelihood !== "number" || typeof fit.iterations !== "number" || typeof fit.seconds !== "number") {
      fail("'fit'", "must be an object with numeric logLikelihood, iterations and seconds");
    }
  }

  return file as unknown as ModelFile;
}

function checkMatrix(value: unknown, field: string, rows: number, cols: number, fail: (field: string, problem: string) => never): number[][] {
  if (!Array.isArray(value) || value.length !== rows) fail(field, `must be an array of ${rows} rows ((d+1) × K)`);
  (value as unknown[]).forEach((row, j) => {
    if (!Array.isArray(row) || row.length !== cols) fail(`${field}[${j}]`, `must be an array of ${cols} numbers`);
    (row as unknown[]).forEach((entry, k) => {
      if (typeof entry !== "number" || !Number.isFinite(entry)) fail(`${field}[${j}][${k}]`, `is ${JSON.stringify(entry)} but must be a finite number`);
    });
  });
  return value as number[][];
}

/** Strips the file-only fields and returns the model. */
export function modelFromFile(file: ModelFile): MoEModel {
  return { K: file.K, d: file.d, features: file.features.slice(), gates: file.gates, experts: file.experts, variances: file.variances };
}
