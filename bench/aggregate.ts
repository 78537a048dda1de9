import { performance } from "node:perf_hooks";

import { alignedAverageModel } from "../lib/aggregate/aligned-average";
import { fitReducedGates, gateStartFromPlan } from "../lib/aggregate/gates";
import { mergeGreedily } from "../lib/aggregate/greedy-merge";
import { reducedFromModel } from "../lib/aggregate/mixture";
import { runTransportMM, type TransportMMResult } from "../lib/aggregate/mm";
import { prepareAggregation } from "../lib/aggregate/prepare";
import { reduceLocalModels } from "../lib/aggregate/reduce";
import { kmeansStart } from "../lib/aggregate/starts";
import type { LocalModel } from "../lib/aggregate/types";
import { permuteExperts } from "../lib/model/canonical";
import { defaultFeatureNames, zeros2d, type MoEModel } from "../lib/model/types";
import { Random } from "../lib/random";

export interface AggregationBenchOptions {
  /** Number of machines. Default 128. */
  M?: number;
  /** Number of experts, on every machine and in the reduced model. Default 5. */
  K?: number;
  /** Number of covariates. Default 20. */
  d?: number;
  /** Number of support points. Default 2000. */
  S?: number;
  /** Timed repetitions of the whole reduction after the first call; the median is reported. Default 3. */
  repeats?: number;
  seed?: number;
}

/** Wall times in seconds of the OT reduction and of its parts, on one problem. */
export interface AggregationTimings {
  M: number;
  K: number;
  d: number;
  S: number;
  /** Total number of local experts L = M K. */
  L: number;
  /**
   * First call of reduceLocalModels in the process, with default options (starts "kmeans" and "aligned", and
   * the gate fit): the compiler has not optimized the code yet, and the helper thread starts during the call.
   */
  firstSeconds: number;
  /** Median over the repeats after the first call, with default options: the case of a server that aggregates repeatedly. */
  totalSeconds: number;
  /** The same median with `threads: 1`. */
  oneThreadSeconds: number;
  /**
   * Median process CPU time (user + system) of the same calls. It is less sensitive than wall time to other
   * processes on a shared machine, but it includes the garbage collector's helper threads.
   */
  totalCpuSeconds: number;
  /** Validation and stacking of the local models at the support points. */
  stackSeconds: number;
  /** Time to build each starting point; "greedy" is not a default start. */
  startSeconds: { kmeans: number; aligned: number; greedy: number };
  /** MM run from each starting point, and its number of update steps. */
  mmSeconds: { kmeans: number; aligned: number; greedy: number };
  mmIterations: { kmeans: number; aligned: number; greedy: number };
  /** Newton fit of the reduced gates, and its number of Newton steps. */
  gateSeconds: number;
  gateIterations: number;
  /** Final transport objective T of the default reduction. */
  objective: number;
}

/**
 * Times the OT aggregation alone (no local fits) on synthetic local models. A K-expert truth with d covariates
 * is copied to M machines with Gaussian noise on every coefficient (sd 0.05) and variances times 1 ± 5 %.
 * The experts of each copy are shuffled. Support points are S standard normal rows.
 */
export function benchAggregation(options: AggregationBenchOptions = {}): AggregationTimings {
  const M = options.M ?? 128;
  const K = options.K ?? 5;
  const d = options.d ?? 20;
  const S = options.S ?? 2000;
  const repeats = options.repeats ?? 3;
  const random = new Random(options.seed ?? 1);

  const truth = benchTruth(K, d, random);
  const localModels = Array.from({ length: M }, () => ({ model: perturbedCopy(truth, random), n: 1000 + random.integer(0, 1000) }));
  const support = new Float64Array(S * d);
  for (let t = 0; t < support.length; t++) support[t] = random.normal();

  // Whole reduction with default options: the first call, then the repeats.
  const firstSeconds = reduceLocalModels(localModels, support, K).diagnostics.seconds;
  const totals: number[] = [];
  const cpuTotals: number[] = [];
  let objective = NaN;
  for (let r = 0; r < repeats; r++) {
    const cpuStart = process.cpuUsage();
    const result = reduceLocalModels(localModels, support, K);
    const cpu = process.cpuUsage(cpuStart);
    totals.push(result.diagnostics.seconds);
    cpuTotals.push((cpu.user + cpu.system) / 1e6);
    objective = result.diagnostics.objective;
  }

  const oneThread = Array.from({ length: repeats }, () => reduceLocalModels(localModels, support, K, { threads: 1 }).diagnostics.seconds);

  // Parts, once each.
  let started = performance.now();
  const prepared = prepareAggregation(localModels, support, K);
  const stackSeconds = elapsed(started);
  const { mixture } = prepared;

  started = performance.now();
  const kmeans = kmeansStart(mixture, K, 1);
  const kmeansSeconds = elapsed(started);
  started = performance.now();
  const aligned = reducedFromModel(alignedAverageModel(mixture, localModels, prepared.support));
  const alignedSeconds = elapsed(started);
  started = performance.now();
  const greedy = mergeGreedily(mixture, K).reduced;
  const greedySeconds = elapsed(started);
  if (typeof kmeans === "string") throw new Error(kmeans);

  const runs = { kmeans, aligned, greedy };
  const mmSeconds = { kmeans: 0, aligned: 0, greedy: 0 };
  const mmIterations = { kmeans: 0, aligned: 0, greedy: 0 };
  let lastRun: TransportMMResult | null = null;
  for (const name of ["kmeans", "aligned", "greedy"] as const) {
    started = performance.now();
    const run = runTransportMM(mixture, runs[name]);
    mmSeconds[name] = elapsed(started);
    mmIterations[name] = run.iterations;
    lastRun = run;
  }

  started = performance.now();
  const { plan, reduced } = lastRun as TransportMMResult;
  const gateFit = fitReducedGates(prepared.support, plan.mass, reduced, { initial: gateStartFromPlan(mixture, plan) });
  const gateSeconds = elapsed(started);

  return {
    M, K, d, S, L: M * K,
    firstSeconds,
    totalSeconds: median(totals),
    oneThreadSeconds: median(oneThread),
    totalCpuSeconds: median(cpuTotals),
    stackSeconds,
    startSeconds: { kmeans: kmeansSeconds, aligned: alignedSeconds, greedy: greedySeconds },
    mmSeconds,
    mmIterations,
    gateSeconds,
    gateIterations: gateFit.iterations,
    objective,
  };
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function elapsed(started: number): number {
  return (performance.now() - started) / 1000;
}

/** Draws a truth like the imbalance design: intercepts 0, integer slopes in [−10, 10], variances 3, gates N(0, 1). */
function benchTruth(K: number, d: number, random: Random): MoEModel {
  const gates = zeros2d(d + 1, K);
  const experts = zeros2d(d + 1, K);
  for (let j = 0; j <= d; j++) {
    for (let k = 0; k < K; k++) {
      if (k < K - 1) gates[j][k] = random.normal();
      if (j > 0) experts[j][k] = random.integer(-10, 10);
    }
  }
  return { K, d, features: defaultFeatureNames(d), gates, experts, variances: new Array<number>(K).fill(3) };
}

/** Copies the truth with noise on every coefficient and variance, its experts in a random order. */
function perturbedCopy(truth: MoEModel, random: Random): MoEModel {
  const { K, d } = truth;
  const gates = truth.gates.map((row) => row.map((value, k) => (k < K - 1 ? value + 0.05 * random.normal() : 0)));
  const experts = truth.experts.map((row) => row.map((value) => value + 0.05 * random.normal()));
  const variances = truth.variances.map((value) => value * (1 + 0.05 * (2 * random.uniform() - 1)));
  const copy: MoEModel = { K, d, features: truth.features.slice(), gates, experts, variances };
  return permuteExperts(copy, Array.from(random.permutation(K)));
}

if (require.main === module) {
  console.log(JSON.stringify(benchAggregation(), null, 2));
}
