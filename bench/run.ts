import { cpus } from "node:os";
import { performance } from "node:perf_hooks";

import { fitMoE } from "../lib/fit/em";
import { fitMoEParallel } from "../lib/fit/parallel";
import { trainTestSplit } from "../lib/distributed/holdout";
import { splitEqual } from "../lib/distributed/split";
import { runDistributedStudy } from "../lib/distributed/study";
import { subsetRows } from "../lib/model/types";
import { generateImbalanceDesign } from "../lib/simulate/imbalance";
import { REFERENCE_MODEL, simulateFromModel } from "../lib/simulate/reference";
import { benchAggregation } from "./aggregate";

/**
 * Benchmarks, printed as Markdown for BENCHMARKS.md. Usage: `npm run bench -- [case ...]` with cases
 * em (global EM, n = 36 000, d = 5, K = 4), aggregate (OT reduction alone, M = 128, K = 5, d = 20, S = 2000),
 * distributed (n = 100 000, d = 20, K = 5, M = 16: distributed pipeline against the global fit).
 * Without arguments: em, aggregate and distributed.
 */
async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const cases = requested.length > 0 ? requested : ["em", "aggregate", "distributed"];
  console.log(`# otmoe benchmarks\n\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);

  for (const name of cases) {
    if (name === "em") await benchEM();
    else if (name === "aggregate") benchAggregate();
    else if (name === "distributed") await benchDistributed();
    else throw new Error(`Unknown benchmark '${name}'; use em, aggregate or distributed.`);
  }
}

/** Global EM fit on simulated data from the reference model: n = 36 000, d = 5, K = 4, 2 starts, 3 repeats. */
async function benchEM(): Promise<void> {
  const { data } = simulateFromModel(REFERENCE_MODEL, 36000, 11);
  const rows: string[] = [];
  const sequential: number[] = [];
  const parallel: number[] = [];

  for (let repeat = 0; repeat < 3; repeat++) {
    let started = performance.now();
    const fit = fitMoE(data, { K: 4, starts: 2, seed: repeat });
    const wall = (performance.now() - started) / 1000;
    sequential.push(wall);

    started = performance.now();
    const threaded = await fitMoEParallel(data, { K: 4, starts: 2, seed: repeat });
    const threadedWall = (performance.now() - started) / 1000;
    parallel.push(threadedWall);
    rows.push(`| ${repeat + 1} | ${wall.toFixed(3)} | ${threadedWall.toFixed(3)} | ${fit.logLikelihood.toFixed(3)} | ${threaded.logLikelihood.toFixed(3)} | ${fit.starts.map((start) => start.iterations).join(" + ")} |`);
  }

  console.log("## Global EM fit (n = 36 000, d = 5, K = 4, 2 starts)\n");
  console.log("| repeat | one thread, s | starts on 2 threads, s | log-likelihood | log-likelihood (threads) | iterations per start |\n| --- | --- | --- | --- | --- | --- |");
  console.log(rows.join("\n"));
  console.log(`\nmedian: one thread ${median(sequential).toFixed(3)} s, starts on threads ${median(parallel).toFixed(3)} s\n`);
}

/** Times the OT aggregation alone at M = 128, K = 5, d = 20, S = 2000. */
function benchAggregate(): void {
  const timings = benchAggregation({ M: 128, K: 5, d: 20, S: 2000, repeats: 3 });
  console.log("## OT aggregation alone (M = 128, K = 5, d = 20, S = 2000)\n");
  console.log(`first call ${timings.firstSeconds.toFixed(3)} s; median of the next 3 calls ${timings.totalSeconds.toFixed(3)} s, ` +
    `on one thread ${timings.oneThreadSeconds.toFixed(3)} s (L = ${timings.L}); stacking ${timings.stackSeconds.toFixed(3)} s, ` +
    `MM from k-means ${timings.mmSeconds.kmeans.toFixed(3)} s (${timings.mmIterations.kmeans} iterations), ` +
    `gate fit ${timings.gateSeconds.toFixed(3)} s; objective ${timings.objective.toExponential(4)}\n`);
}

/** Distributed pipeline against the global fit on D2 (balanced): n = 100 000, d = 20, K = 5, M = 16, 80/20 split. */
async function benchDistributed(): Promise<void> {
  const design = generateImbalanceDesign({ n: 100000, profile: "balanced", seed: 5 });
  const holdout = trainTestSplit(design.data.n, 0.2, 5, "random");
  const train = subsetRows(design.data, holdout.train);
  const test = subsetRows(design.data, holdout.test);
  const testLabels = Int32Array.from(holdout.test, (i) => design.labels[i]);
  const shards = splitEqual(train.n, 16, 5).map((rows) => subsetRows(train, rows));

  const study = await runDistributedStudy(shards, test, {
    K: 5,
    methods: ["global", "ot"],
    seed: 5,
    truth: design.truth,
    testLabels,
    alignment: "matched",
    onProgress: (message) => console.error(message),
  });
  const global = study.results.find((result) => result.method === "global")!;
  const ot = study.results.find((result) => result.method === "ot")!;

  console.log("## Distributed pipeline against global EM (D2 balanced, n = 100 000, d = 20, K = 5, M = 16)\n");
  console.log("| method | wall s | slowest local s | sum local s | aggregation s | test mean log-lik | ARI |\n| --- | --- | --- | --- | --- | --- | --- |");
  for (const result of [global, ot]) {
    const times = result.times;
    console.log(`| ${result.method} | ${times.wall.toFixed(3)} | ${times.slowestLocal?.toFixed(3) ?? "–"} | ${times.sumLocal?.toFixed(3) ?? "–"} | ${times.aggregation?.toFixed(3) ?? "–"} | ${result.metrics.meanLogLikelihood.toFixed(4)} | ${result.metrics.adjustedRandIndex?.toFixed(4)} |`);
  }
  const speedUp = global.times.wall / ot.times.wall;
  const gap = Math.abs(ot.metrics.meanLogLikelihood - global.metrics.meanLogLikelihood) / Math.abs(global.metrics.meanLogLikelihood);
  const ariGap = Math.abs((ot.metrics.adjustedRandIndex ?? 0) - (global.metrics.adjustedRandIndex ?? 0));
  console.log(`\nspeed-up ${speedUp.toFixed(2)}×, relative test log-likelihood gap ${(100 * gap).toFixed(3)} %, ARI gap ${ariGap.toFixed(4)}`);

  // The same local fits on cold worker threads: each thread's first fit also pays for the compiler's warm-up.
  const cold = await runDistributedStudy(shards, test, { K: 5, methods: ["ot"], seed: 5, warmUp: false });
  const coldTimes = cold.results[0].times;
  console.log(
    `cold workers (no warm-up fit): slowest local ${coldTimes.slowestLocal?.toFixed(3)} s, pipeline ${coldTimes.wall.toFixed(3)} s, ` +
      `speed-up ${(global.times.wall / coldTimes.wall).toFixed(2)}×\n`,
  );
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
