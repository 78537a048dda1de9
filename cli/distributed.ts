import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { trainTestSplit } from "../lib/distributed/holdout";
import { splitByGroup, splitCovariateShift, splitEqual, splitRandomSizes } from "../lib/distributed/split";
import { STUDY_METHODS, runDistributedStudy, type StudyMethod } from "../lib/distributed/study";
import { summarizeResults } from "../lib/distributed/summary";
import type { SupportSource } from "../lib/distributed/support";
import { writeFileAtomic } from "../lib/io/atomic";
import { readNumericCsv, writeNumericCsv } from "../lib/io/csv";
import { readDatasetCsv } from "../lib/io/dataset-csv";
import { modelFromFile, readModelFile, serializeModel } from "../lib/model/file";
import { subsetRows, type Dataset } from "../lib/model/types";
import { markdownTable } from "../lib/plots/table";
import { parseFeatureList, parsePositiveInteger, parseSeed, requireOutputFolder } from "./options";

export interface DistributedCommandOptions {
  data: string;
  target: string;
  features?: string;
  machines: string;
  K: string;
  methods: string;
  split: string;
  group?: string;
  testFraction: string;
  supportSize: string;
  supportSource: string;
  rounds: string;
  starts: string;
  seed: string;
  concurrency?: string;
  shardsDir?: string;
  truth?: string;
  labels?: string;
  out: string;
}

/**
 * `otmoe distributed`: the whole study on one computer. Holds out test rows, splits the rest over M
 * machines, fits the local models in parallel worker threads, runs every requested method and writes
 * one JSON file with the metrics, times, communication and models of each.
 */
export async function runDistributed(options: DistributedCommandOptions): Promise<void> {
  const K = parsePositiveInteger(options.K, "--K");
  const seed = parseSeed(options.seed);
  const methods = options.methods.split(",").map((name) => name.trim()) as StudyMethod[];
  for (const method of methods) {
    if (!STUDY_METHODS.includes(method)) throw new Error(`--methods has unknown method '${method}'; choose from ${STUDY_METHODS.join(", ")}.`);
  }

  const groupColumn = options.split === "group" ? options.group : undefined;
  if (options.split === "group" && !groupColumn) throw new Error("--split group needs --group COLUMN naming the grouping column.");
  const features = parseFeatureList(options.features);
  requireOutputFolder(options.out, "--out");
  const truth = options.truth ? modelFromFile(readModelFile(options.truth)) : undefined;
  const all = readDatasetCsv(options.data, options.target, features ?? undefined);
  const { data, groups } = separateGroupColumn(all, groupColumn, features !== undefined);

  // Held-out rows first, then the machines share the rest.
  const holdout = trainTestSplit(data.n, Number(options.testFraction), seed, "random");
  const train = subsetRows(data, holdout.train);
  const test = subsetRows(data, holdout.test);
  const labels = options.labels ? readNumericCsv(options.data, [options.labels]).values[0] : undefined;
  const testLabels = labels ? Int32Array.from(holdout.test, (i) => labels[i]) : undefined;
  const parts = splitTraining(train, options, seed, groups ? Float64Array.from(holdout.train, (i) => groups[i]) : null);
  const shards = parts.map((rows) => subsetRows(train, rows));
  console.log(`${data.n} rows: ${train.n} training rows on ${shards.length} machines (${options.split} split), ${test.n} test rows`);

  if (options.shardsDir) {
    const testLabelColumn = options.labels && testLabels ? { name: options.labels, values: Float64Array.from(testLabels) } : undefined;
    writeShards(options.shardsDir, shards, test, options.target, testLabelColumn);
  }

  const controller = new AbortController();
  process.once("SIGINT", () => {
    console.error("interrupted: stopping after the running step; nothing is written");
    controller.abort();
  });
  const study = await runDistributedStudy(shards, test, {
    K,
    methods,
    em: { starts: parsePositiveInteger(options.starts, "--starts") },
    support: { size: parsePositiveInteger(options.supportSize, "--support-size"), source: options.supportSource as SupportSource },
    federatedRounds: options.rounds.split(",").map((round) => parsePositiveInteger(round.trim(), "--rounds")),
    concurrency: options.concurrency !== undefined ? parsePositiveInteger(options.concurrency, "--concurrency") : undefined,
    seed,
    truth,
    testLabels,
    pooled: train,
    signal: controller.signal,
    onProgress: (message) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`),
  });

  const output = {
    settings: { data: options.data, target: options.target, features: data.features, n: data.n, machines: shards.length, split: options.split, K, seed, testRows: test.n, supportSize: study.support?.n ?? null },
    results: study.results.map((result) => ({ ...result, model: JSON.parse(serializeModel(result.model)) })),
    localFits: study.localFits?.fits.map((fit) => ({ machine: fit.machine + 1, n: fit.n, seconds: fit.seconds, iterations: fit.iterations, logLikelihood: fit.logLikelihood })) ?? [],
  };
  writeFileAtomic(options.out, JSON.stringify(output, null, 1) + "\n");

  console.log(markdownTable(summarizeResults(study.results) as unknown as Record<string, unknown>[]));
  console.log(`results written to ${options.out}`);
}

function separateGroupColumn(all: Dataset, groupColumn: string | undefined, featuresGiven: boolean): { data: Dataset; groups: Float64Array | null } {
  if (!groupColumn) return { data: all, groups: null };
  const j = all.features.indexOf(groupColumn);
  if (j < 0) throw new Error(`Group column '${groupColumn}' is not among the columns read (${all.features.join(", ")}); ${featuresGiven ? "add it to --features" : "check its name"}.`);

  const groups = new Float64Array(all.n);
  const keep = all.features.map((_, c) => c).filter((c) => c !== j);
  const d = keep.length;
  const x = new Float64Array(all.n * d);
  for (let i = 0; i < all.n; i++) {
    groups[i] = all.x[i * all.d + j];
    keep.forEach((c, t) => (x[i * d + t] = all.x[i * all.d + c]));
  }
  return { data: { n: all.n, d, features: keep.map((c) => all.features[c]), x, y: all.y }, groups };
}

function splitTraining(train: Dataset, options: DistributedCommandOptions, seed: number, groups: Float64Array | null): Int32Array[] {
  switch (options.split) {
    case "equal":
      return splitEqual(train.n, parsePositiveInteger(options.machines, "--machines"), seed);
    case "unequal":
      return splitRandomSizes(train.n, parsePositiveInteger(options.machines, "--machines"), seed);
    case "shift":
      return splitCovariateShift(train, parsePositiveInteger(options.machines, "--machines"), { seed, mixing: 0.2 });
    case "group":
      return splitByGroup(Int32Array.from(groups as Float64Array));
    default:
      throw new Error(`--split '${options.split}' is unknown; use equal, unequal, shift or group.`);
  }
}

/** Writes each machine's training rows and the test rows as CSV, for running fit-local and aggregate by hand. */
function writeShards(folder: string, shards: Dataset[], test: Dataset, target: string, testLabels?: { name: string; values: Float64Array }): void {
  mkdirSync(folder, { recursive: true });
  const write = (path: string, data: Dataset, extra?: { name: string; values: Float64Array }): void => {
    const values = data.features.map((_, j) => Float64Array.from({ length: data.n }, (_, i) => data.x[i * data.d + j]));
    const columns = [...data.features, target];
    if (extra && !columns.includes(extra.name)) writeNumericCsv(path, [...columns, extra.name], [...values, data.y, extra.values]);
    else writeNumericCsv(path, columns, [...values, data.y]);
  };

  // The held-out rows keep their true labels (when --labels names them), so that `otmoe evaluate --labels` works on test.csv.
  shards.forEach((shard, m) => write(join(folder, `machine_${m + 1}.csv`), shard));
  write(join(folder, "test.csv"), test, testLabels);
  console.log(`wrote ${shards.length} machine files and test.csv to ${folder}`);
}
