import { setMaxListeners } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

import { headlineTable } from "../lib/experiments/synthetic-tables";
import { runSyntheticSweep, SYNTHETIC_EXPERIMENTS, type SyntheticExperimentName } from "../lib/experiments/synthetic";
import { writeFileAtomic } from "../lib/io/atomic";
import { markdownTable } from "../lib/plots/table";
import { progressLine } from "../lib/sweep/progress";
import { parseShard } from "../lib/sweep/shard";
import { summarizeSweep } from "../lib/sweep/summary";
import { mergeSweepTables, missingCells, readSweepTable, sweepTableCsv, writeSweepTable, type SweepTable } from "../lib/sweep/table";
import { parsePositiveInteger } from "./options";

export interface SweepCommandOptions {
  experiment: string;
  replicates?: string;
  quick?: boolean;
  shard?: string;
  cache?: string;
  seed: string;
  concurrency?: string;
  out: string;
}

/**
 * `otmoe sweep`: runs a synthetic experiment (or one shard of it) with a cell cache, then writes the results
 * table (CSV and JSON), the summary by setting and method (<out>.summary.csv), and prints the comparison table.
 */
export async function runSweepCommand(options: SweepCommandOptions): Promise<void> {
  const experiment = options.experiment as SyntheticExperimentName;
  if (!SYNTHETIC_EXPERIMENTS.includes(experiment)) {
    throw new Error(`--experiment '${options.experiment}' is unknown; choose from ${SYNTHETIC_EXPERIMENTS.join(", ")}.`);
  }
  const seed = Number(options.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer but got '${options.seed}'.`);
  const concurrency = options.concurrency !== undefined ? Number(options.concurrency) : undefined;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 0)) {
    throw new Error(`--concurrency must be a whole number >= 0 but got '${options.concurrency}'.`);
  }
  const shard = options.shard !== undefined ? parseShard(options.shard) : undefined;
  const cacheDir = options.cache ?? join(".cache", experiment);
  mkdirSync(dirname(options.out), { recursive: true });

  const controller = new AbortController();
  // Each local fit of a cell listens on the signal, so M machines add M listeners; 0 lifts Node's limit of 10.
  setMaxListeners(0, controller.signal);
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: stopping the running cell; finished cells stay in the cache\n");
    controller.abort();
  });

  const label = `sweep ${experiment}${options.quick ? " (quick)" : ""}${shard ? ` shard ${shard.index}/${shard.count}` : ""}`;
  let result;
  try {
    result = await runSyntheticSweep(experiment, {
      quick: options.quick === true,
      replicates: options.replicates !== undefined ? parsePositiveInteger(options.replicates, "--replicates") : undefined,
      concurrency,
      seed,
      cacheDir,
      shard,
      signal: controller.signal,
      onProgress: progressLine(label),
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") {
      console.error(`otmoe: ${(error as Error).message}`);
      process.exit(130);
    }
    throw error;
  }

  writeOutputs(result.table, options.out);
  console.log(`${result.cells} cells (${result.computed} computed, ${result.cached} from the cache ${cacheDir}) in ${result.seconds.toFixed(1)} s`);
}

/** `otmoe sweep-merge`: joins the tables of the shards of one sweep and writes the whole table and its summary. */
export function runSweepMerge(files: string[], options: { out: string }): void {
  const tables = files.map((file) => readSweepTable(file));
  const merged = mergeSweepTables(tables, files);
  const missing = missingCells(merged);
  if (missing.length > 0) {
    const listed = missing.slice(0, 10).join(", ") + (missing.length > 10 ? ", ..." : "");
    console.error(`otmoe: warning: ${missing.length} of ${merged.totalCells} cells have no rows (cells ${listed}); a shard is missing or unfinished.`);
  }
  mkdirSync(dirname(options.out), { recursive: true });
  writeOutputs(merged, options.out);
}

/** Writes the table (CSV and JSON twin) and the summary CSV, and prints the comparison table. */
function writeOutputs(table: SweepTable, out: string): void {
  const written = writeSweepTable(table, out);
  const summaryPath = out.endsWith(".csv") ? `${out.slice(0, -4)}.summary.csv` : `${out}.summary.csv`;
  const summary = summarizeSweep(table, { by: [...table.settingKeys, ...extraGroupColumns(table), "method"] });
  const summaryColumns = summary.length > 0 ? Object.keys(summary[0]) : [];
  writeFileAtomic(summaryPath, sweepTableCsv({ columns: summaryColumns, rows: summary as never }));

  console.log(markdownTable(headlineTable(table, extraGroupColumns(table))));
  console.log(`${table.rows.length} rows written to ${written.csv} and ${written.json}; means and standard deviations to ${summaryPath}`);
}

/** Sub-setting columns that cells add (the support experiment's supportSource and supportSize). */
function extraGroupColumns(table: SweepTable): string[] {
  return ["supportSource", "supportSize"].filter((column) => table.columns.includes(column) && !table.settingKeys.includes(column));
}
