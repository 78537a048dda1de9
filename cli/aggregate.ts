import { aggregate, STUDY_METHODS, type StudyMethod } from "../lib/distributed/study";
import { readCsvHeader, readNumericCsv } from "../lib/io/csv";
import { modelFromFile, readModelFile, writeModelFile } from "../lib/model/file";
import type { Dataset } from "../lib/model/types";
import { parsePositiveInteger, parseSeed, requireOutputFolder } from "./options";

export interface AggregateCommandOptions {
  models: string[];
  support: string[];
  K: string;
  method: string;
  seed: string;
  out: string;
}

/**
 * `otmoe aggregate`: the server merges the machines' model files into one K-expert model. Support CSVs
 * (one or several, concatenated in the order given) hold the model's feature columns, plus the response
 * column for the posterior gating variant.
 */
export function runAggregate(options: AggregateCommandOptions): void {
  const K = parsePositiveInteger(options.K, "--K");
  const method = options.method as StudyMethod;
  if (!STUDY_METHODS.includes(method) || method === "global" || method === "fedem") {
    throw new Error(`--method '${options.method}' is not an aggregation; use ot, ot-posterior, average, aligned, medoid or greedy.`);
  }

  const locals = options.models.map((path) => {
    const file = readModelFile(path);
    if (file.n === undefined) throw new Error(`Model file '${path}' has no training size 'n'; write it with 'otmoe fit-local' so the server can weight it.`);
    return { model: modelFromFile(file), n: file.n };
  });
  // The models must agree with each other before the support files are checked against them.
  locals.forEach((local, m) => {
    const first = locals[0].model;
    if (local.model.d !== first.d || local.model.features.some((name, j) => name !== first.features[j])) {
      throw new Error(`Model file '${options.models[m]}' has features [${local.model.features.join(", ")}] but '${options.models[0]}' has [${first.features.join(", ")}]; aggregate models fitted on the same covariates.`);
    }
  });
  requireOutputFolder(options.out, "--out");
  const features = locals[0].model.features;
  const support = readSupportCsvs(options.support, features, method === "ot-posterior");

  const result = aggregate(method, locals, support, K, { seed: parseSeed(options.seed) });
  const n = locals.reduce((total, local) => total + local.n, 0);
  writeModelFile(options.out, result.model, { n });

  const diagnostics = result.diagnostics;
  console.log(`${method}: ${locals.length} local models (L = ${locals.reduce((t, l) => t + l.model.K, 0)} experts) -> K = ${K}, S = ${support.n} support points`);
  console.log(`objective ${diagnostics.objective.toExponential(6)}, ${diagnostics.iterations} iterations, mass per expert ${diagnostics.massPerExpert.map((m) => m.toFixed(3)).join(" ")}, ${diagnostics.seconds.toFixed(3)} s -> ${options.out}`);
  for (const k of diagnostics.emptyExperts) console.warn(`warning: reduced expert ${k + 1} received no mass and kept its starting value`);
  for (const message of [...diagnostics.warnings, ...diagnostics.errors]) console.warn(`warning: ${message}`);
}

function readSupportCsvs(paths: string[], features: string[], withResponse: boolean): Dataset {
  const parts = paths.map((path) => {
    const header = readCsvHeader(path);
    const missing = features.filter((name) => !header.includes(name));
    if (missing.length > 0) throw new Error(`Support file '${path}' lacks the model's feature columns ${missing.join(", ")}; its columns are ${header.join(", ")}.`);
    const extra = header.filter((name) => !features.includes(name));
    if (withResponse && extra.length !== 1) throw new Error(`The posterior variant needs exactly one response column in '${path}' besides the features, but found [${extra.join(", ")}].`);
    return readNumericCsv(path, withResponse ? [...features, extra[0]] : features);
  });

  const d = features.length;
  const n = parts.reduce((total, part) => total + part.rows, 0);
  const x = new Float64Array(n * d);
  const y = new Float64Array(n).fill(NaN);
  let offset = 0;
  for (const part of parts) {
    for (let i = 0; i < part.rows; i++) {
      for (let j = 0; j < d; j++) x[(offset + i) * d + j] = part.values[j][i];
      if (withResponse) y[offset + i] = part.values[d][i];
    }
    offset += part.rows;
  }
  return { n, d, features: features.slice(), x, y };
}
