#!/usr/bin/env node
import { Command } from "commander";

// Each command module is loaded when its command runs, so that start-up stays fast: the MMASH, sweep
// and report commands pull in mathjs, papaparse and plotly.js, which take about a second to load.

const program = new Command();
program
  .name("otmoe")
  .description("Mixture-of-experts regression fitted by EM, distributed learning by optimal-transport aggregation.")
  .showHelpAfterError();

program
  .command("fit")
  .description("fit a K-expert mixture of experts to a CSV by EM and write the model file")
  .requiredOption("--data <file>", "CSV file with a header row")
  .requiredOption("--target <column>", "response column")
  .option("--features <list>", "comma-separated covariate columns (default: every other column)")
  .requiredOption("--K <number>", "number of experts")
  .option("--starts <number>", "number of EM starts, the best is kept", "2")
  .option("--seed <number>", "seed of the initialization", "0")
  .option("--tol <number>", "relative log-likelihood change that stops EM", "1e-6")
  .option("--max-iter <number>", "maximum EM iterations per start", "1000")
  .requiredOption("--out <file>", "model file to write (JSON)")
  .action(async (options) => (await import("./fit")).runFit(options));

program
  .command("predict")
  .description("predict means, gate probabilities and hard labels for the rows of a CSV")
  .requiredOption("--model <file>", "model file written by 'otmoe fit'")
  .requiredOption("--data <file>", "CSV with the model's feature columns")
  .requiredOption("--out <file>", "CSV of predictions to write")
  .action(async (options) => (await import("./predict")).runPredict(options));

program
  .command("fit-local")
  .description("fit one machine's local model and write the model file it sends to the server")
  .requiredOption("--data <file>", "this machine's CSV")
  .requiredOption("--target <column>", "response column")
  .option("--features <list>", "comma-separated covariate columns (default: every other column)")
  .requiredOption("--K <number>", "number of local experts K_m")
  .option("--starts <number>", "number of EM starts", "2")
  .option("--seed <number>", "seed of the initialization and of the support sample", "0")
  .requiredOption("--out <file>", "model file to write")
  .option("--support-out <file>", "also write a sample of this machine's rows as support points")
  .option("--support-size <number>", "rows in the support sample", "500")
  .action(async (options) => (await import("./fit-local")).runFitLocal(options));

program
  .command("aggregate")
  .description("merge local model files into one K-expert model (the server's step)")
  .requiredOption("--models <files...>", "local model files written by 'otmoe fit-local'")
  .requiredOption("--support <files...>", "CSV files of support points (the model's feature columns), concatenated in order; every method reports the transport objective at them")
  .requiredOption("--K <number>", "number of experts of the merged model")
  .option("--method <name>", "ot, ot-posterior, average, aligned, medoid or greedy", "ot")
  .option("--seed <number>", "seed of the random starts", "0")
  .requiredOption("--out <file>", "merged model file to write")
  .action(async (options) => (await import("./aggregate")).runAggregate(options));

program
  .command("distributed")
  .description("run the distributed study on one CSV: split, local fits on worker threads, every method, metrics")
  .requiredOption("--data <file>", "CSV file with a header row")
  .requiredOption("--target <column>", "response column")
  .option("--features <list>", "comma-separated covariate columns (default: every other column)")
  .option("--machines <number>", "number of machines M", "16")
  .requiredOption("--K <number>", "number of experts")
  .option("--methods <list>", "comma-separated methods", "global,ot,average,aligned,medoid,greedy,fedem")
  .option("--split <kind>", "equal, unequal, shift (covariate shift) or group", "equal")
  .option("--group <column>", "grouping column for --split group (one machine per group)")
  .option("--test-fraction <number>", "fraction of rows held out for testing", "0.1")
  .option("--support-size <number>", "support points S", "2000")
  .option("--support-source <source>", "pooled, machine or gaussian", "pooled")
  .option("--rounds <list>", "federated EM snapshot rounds", "1,5,20,100")
  .option("--starts <number>", "EM starts per fit", "2")
  .option("--seed <number>", "seed of the split, the fits and the support", "0")
  .option("--concurrency <number>", "worker threads for the local fits (default: cores)")
  .option("--shards-dir <folder>", "also write each machine's CSV and test.csv there")
  .option("--truth <file>", "true model file, for parameter MSE and the transportation divergence")
  .option("--labels <column>", "column of true expert labels (not a feature), for Rand index, ARI and clustering error")
  .requiredOption("--out <file>", "results JSON to write")
  .action(async (options) => (await import("./distributed")).runDistributed(options));

program
  .command("evaluate")
  .description("print the held-out metrics of a model file on a CSV as JSON")
  .requiredOption("--model <file>", "model file")
  .requiredOption("--data <file>", "test CSV with the model's features and the response")
  .requiredOption("--target <column>", "response column")
  .option("--truth <file>", "true model file, for parameter MSE and the transportation divergence")
  .option("--labels <column>", "column of true expert labels, for Rand index, ARI and clustering error")
  .action(async (options) => (await import("./evaluate")).runEvaluate(options));

program
  .command("simulate")
  .description("write a CSV (x1..x5, y, label) drawn from the 4-expert reference model")
  .requiredOption("--n <number>", "number of rows")
  .option("--seed <number>", "seed of the draw", "0")
  .requiredOption("--out <file>", "CSV to write")
  .option("--truth-out <file>", "also write the true model file")
  .action(async (options) => (await import("./simulate")).runSimulate(options));

program
  .command("mmash")
  .description("run the MMASH heart-rate experiment (every method, three scenarios) and write table, models and figures")
  .option("--resolution <unit>", "minute (per-minute means) or second (every recorded second)", "minute")
  .option("--machines <number>", "machines M of the random split (default 16; 4 with --quick)")
  .option("--K <number>", "number of experts", "4")
  .option("--methods <list>", "comma-separated methods (default: global,ot,ot-posterior,average,aligned,medoid,greedy,fedem)")
  .option("--features <list>", "covariates as 'name=expression;name=expression' over the MMASH variables (default: activity, posture, time of day)")
  .option("--participants <list>", "comma-separated participants 1..22 or user_N (default all 22; 1..6 with --quick)")
  .option("--held-out <number>", "participants held out in the leave-participants-out scenario (default 4; 2 with --quick)")
  .option("--support-size <number>", "support points S of the aggregations (default 2000; 500 with --quick)")
  .option("--starts <number>", "EM starts per fit", "2")
  .option("--concurrency <number>", "worker threads for the local fits (default: cores; 0 fits on the main thread)")
  .option("--out <folder>", "results folder", "results/mmash")
  .option("--seed <number>", "seed of the splits, the fits and the support points", "0")
  .option("--quick", "small run on 6 participants (M = 4, 2 held out, S = 500), for tests")
  .option("--no-images", "skip the PNG figures (the HTML figures are always written)")
  .action(async (options) => (await import("./mmash")).runMmashCommand(options));

program
  .command("sweep")
  .description("run a synthetic experiment over its grid and replicates, cached per cell so that a rerun resumes")
  .requiredOption("--experiment <name>", "d2, scaling-m, scaling-n, support or noniid")
  .option("--replicates <number>", "replicates per setting (default 50, or 2 with --quick)")
  .option("--quick", "small data and few grid points instead of the published settings")
  .option("--shard <i/n>", "run only shard i of n (1-based), e.g. as one task of a cluster array job")
  .option("--cache <folder>", "folder of the cell cache (default: .cache/<experiment>)")
  .option("--seed <number>", "base seed; replicate r uses seed + r", "0")
  .option("--concurrency <number>", "worker threads for the local fits, 0 for none (default: cores, or 0 with --quick)")
  .requiredOption("--out <file>", "results table to write (CSV, with a JSON copy and a .summary.csv beside it)")
  .action(async (options) => (await import("./sweep")).runSweepCommand(options));

program
  .command("sweep-merge")
  .description("join the results tables of the shards of one sweep")
  .argument("<tables...>", "results tables written by 'otmoe sweep --shard' (CSV; their JSON copies are read when present)")
  .requiredOption("--out <file>", "merged table to write (CSV, with a JSON copy and a .summary.csv beside it)")
  .action(async (tables: string[], options) => (await import("./sweep")).runSweepMerge(tables, options));

program
  .command("report")
  .description("rerun the quickstart and every synthetic sweep, then write all tables and figures (PNG, HTML, Markdown, CSV)")
  .option("--out <folder>", "report folder", "reports")
  .option("--cache-root <folder>", "the sweeps cache their cells in <folder>/<experiment>, as 'otmoe sweep' does by default", ".cache")
  .option("--no-cache", "recompute every cell")
  .option("--full", "published settings instead of the quick ones (hours, unless 'otmoe sweep' already cached the cells)")
  .option("--replicates <number>", "replicates per setting (default 2 quick, 50 with --full)")
  .option("--parts <list>", "comma-separated parts to regenerate: quickstart, d2, scaling-m, scaling-n, support, noniid (default: all)")
  .option("--no-images", "skip the PNG images (the HTML figures are always written)")
  .action(async (options) => (await import("./report")).runReportCommand(options));

program.parseAsync().catch((error: Error) => {
  console.error(`otmoe: ${error.message}`);
  process.exit(1);
});
