import { performance } from "node:perf_hooks";

import { alignedAverage } from "../aggregate/aligned-average";
import { transportDivergence } from "../aggregate/divergence";
import { greedyMerge } from "../aggregate/greedy-merge";
import { medoid } from "../aggregate/medoid";
import { reduceLocalModels, type ReductionOptions } from "../aggregate/reduce";
import type { AggregationDiagnostics, AggregationResult, LocalModel } from "../aggregate/types";
import { weightedAverage } from "../aggregate/weighted-average";
import { fitFederatedEM } from "../baselines/federated-em";
import { computeTestMetrics, type TestMetrics } from "../eval/metrics";
import type { ExpertAlignment } from "../eval/parameters";
import type { EMOptions } from "../fit/em";
import { fitMoEParallel } from "../fit/parallel";
import { serializeModel } from "../model/file";
import type { Dataset, MoEModel } from "../model/types";
import { fitLocalModels, type LocalFitsResult } from "./local-fits";
import { drawSupport, type SupportOptions } from "./support";

/** Methods a study can compare; "fedem" yields one result per snapshot round ("fedem@T"). */
export const STUDY_METHODS = ["global", "ot", "ot-posterior", "average", "aligned", "medoid", "greedy", "fedem"] as const;
export type StudyMethod = (typeof STUDY_METHODS)[number];

/** Methods that merge the local models after one round of communication. */
const AGGREGATION_METHODS: readonly StudyMethod[] = ["ot", "ot-posterior", "average", "aligned", "medoid", "greedy"];

export interface StudyOptions {
  /** Experts of the global model. */
  K: number;
  /** Experts per machine K_m; K on every machine when omitted. */
  localK?: number[];
  methods: StudyMethod[];
  /** EM settings shared by the global and the local fits. */
  em?: Pick<EMOptions, "starts" | "tolerance" | "maxIterations" | "gateStep" | "init">;
  /** OT reduction settings (starts, tolerance, maxIterations). */
  reduction?: Omit<ReductionOptions, "gating" | "seed">;
  /** Support points drawn from the machines, or given by the caller. */
  support?: SupportOptions | { given: Dataset };
  /** Snapshot rounds of federated EM. Default [1, 5, 20, 100]. */
  federatedRounds?: number[];
  /** Worker threads for the local fits. Default: available cores. */
  concurrency?: number;
  /** Warm up each worker thread with a short fit before the timed local fits (see fitLocalModels). Default true. */
  warmUp?: boolean;
  /**
   * Threads for the starts of the global fit. Default 1, so that the global fit and every local fit each run
   * on one thread, as one machine would, and their times compare like for like.
   */
  globalThreads?: number;
  seed?: number;
  /** True labels of the test rows, for the clustering metrics. */
  testLabels?: ArrayLike<number>;
  /** True model, for parameter MSE and the transportation divergence. */
  truth?: MoEModel;
  /** Expert pairing for parameter MSE. Default "canonical". */
  alignment?: ExpertAlignment;
  /**
   * The pooled training data for the global fit, in their original row order; the shards are concatenated
   * when omitted. Passing it makes the global fit independent of how the rows were split.
   */
  pooled?: Dataset;
  /** Progress messages for long runs. */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** Times of one method, in seconds. */
export interface MethodTimes {
  /** Time a deployment waits: the global fit, the slowest local fit plus the aggregation, or the federated rounds. */
  wall: number;
  /** Slowest machine's local fit, for one-round methods; null otherwise. */
  slowestLocal: number | null;
  /** Sum of the local fits (the compute spent), for one-round methods; null otherwise. */
  sumLocal: number | null;
  /** The server's merge step, for one-round methods; null otherwise. */
  aggregation: number | null;
}

/** The same result shape for every method, so that tables and plots can loop over methods. */
export interface MethodResult {
  method: string;
  model: MoEModel;
  metrics: TestMetrics;
  times: MethodTimes;
  /** Bytes sent between machines and server, and communication rounds. */
  communication: { bytes: number; rounds: number };
  diagnostics: AggregationDiagnostics | null;
  warnings: string[];
}

export interface StudyResult {
  results: MethodResult[];
  /** The local fits, present when a one-round method ran. */
  localFits: LocalFitsResult | null;
  /** Support points the aggregations used. */
  support: Dataset | null;
}

/**
 * Runs every requested method on the same machine shards and evaluates each on the same test set.
 * Local fits run in parallel on worker threads, one thread per machine; the global fit runs its starts on
 * `globalThreads` threads (one by default).
 */
export async function runDistributedStudy(shards: readonly Dataset[], test: Dataset, options: StudyOptions): Promise<StudyResult> {
  const progress = options.onProgress ?? (() => undefined);
  const seed = options.seed ?? 0;
  const results: MethodResult[] = [];
  const metricsOf = (model: MoEModel, supportX: Dataset | null): TestMetrics => {
    const metrics = computeTestMetrics(model, test, { labels: options.testLabels, truth: options.truth, alignment: options.alignment });
    if (options.truth && supportX) metrics.transportDivergence = transportDivergence(model, options.truth, supportX);
    return metrics;
  };
  for (const method of options.methods) {
    if (!STUDY_METHODS.includes(method)) throw new Error(`Unknown method '${method}'; choose from ${STUDY_METHODS.join(", ")}.`);
  }

  if (options.methods.includes("ot-posterior") && options.support && !("given" in options.support) && options.support.source === "gaussian") {
    throw new Error("Method 'ot-posterior' needs responses at the support points, which Gaussian support points lack; use support source 'pooled' or 'machine'.");
  }

  // Support points: needed by every aggregation and by the divergence metric.
  let support: Dataset;
  let supportBytes = 0;
  if (options.support && "given" in options.support) {
    support = options.support.given;
  } else {
    const drawn = drawSupport(shards, { seed, ...options.support });
    support = drawn.data;
    supportBytes = drawn.bytes;
  }

  if (options.methods.includes("global")) {
    progress("global EM fit on the pooled data");
    const pooled = options.pooled ?? poolShards(shards);
    const fit = await fitMoEParallel(pooled, { ...options.em, K: options.K, seed, signal: options.signal, concurrency: options.globalThreads ?? 1 });
    results.push({
      method: "global",
      model: fit.model,
      metrics: metricsOf(fit.model, support),
      times: { wall: fit.seconds, slowestLocal: null, sumLocal: null, aggregation: null },
      communication: { bytes: 8 * pooled.n * (pooled.d + 1), rounds: 1 },
      diagnostics: null,
      warnings: fit.warnings,
    });
  }

  let localFits: LocalFitsResult | null = null;
  const aggregations = options.methods.filter((method) => AGGREGATION_METHODS.includes(method));
  if (aggregations.length > 0) {
    progress(`local EM fits on ${shards.length} machines`);
    localFits = await fitLocalModels(shards, {
      ...options.em,
      K: options.localK ?? options.K,
      seed,
      concurrency: options.concurrency,
      warmUp: options.warmUp,
      signal: options.signal,
      onMachineDone: (done, total) => progress(`local fits: ${done}/${total} machines done`),
    });
    const locals: LocalModel[] = localFits.fits.map((fit) => ({ model: fit.model, n: fit.n }));
    const slowest = Math.max(...localFits.fits.map((fit) => fit.seconds));
    const sum = localFits.fits.reduce((total, fit) => total + fit.seconds, 0);
    const modelBytes = localFits.fits.reduce((total, fit) => total + Buffer.byteLength(serializeModel(fit.model, { n: fit.n })), 0);
    const localWarnings = localFits.fits.flatMap((fit) => fit.warnings);

    for (const method of aggregations) {
      progress(`aggregation: ${method}`);
      const started = performance.now();
      const aggregated = aggregate(method, locals, support, options.K, { ...options.reduction, seed });
      const seconds = (performance.now() - started) / 1000;
      results.push({
        method,
        model: aggregated.model,
        metrics: metricsOf(aggregated.model, support),
        times: { wall: slowest + seconds, slowestLocal: slowest, sumLocal: sum, aggregation: seconds },
        communication: { bytes: modelBytes + supportBytes, rounds: 1 },
        diagnostics: aggregated.diagnostics,
        warnings: [...localWarnings, ...aggregated.diagnostics.warnings, ...aggregated.diagnostics.errors],
      });
    }
  }

  if (options.methods.includes("fedem")) {
    const rounds = options.federatedRounds ?? [1, 5, 20, 100];
    progress(`federated EM, ${Math.max(...rounds)} rounds`);
    const federated = fitFederatedEM(shards, { K: options.K, rounds: Math.max(...rounds), snapshots: rounds, seed, signal: options.signal });
    for (const snapshot of federated.snapshots) {
      results.push({
        method: `fedem@${snapshot.round}`,
        model: snapshot.model,
        metrics: metricsOf(snapshot.model, support),
        times: { wall: snapshot.seconds, slowestLocal: null, sumLocal: null, aggregation: null },
        // One setup round (pooled scaling, initial model) before the EM rounds.
        communication: { bytes: snapshot.bytes, rounds: snapshot.roundsRun + 1 },
        diagnostics: null,
        warnings: federated.warnings,
      });
    }
  }

  return { results, localFits, support };
}

/** Runs one aggregation method on the local models. */
export function aggregate(method: StudyMethod, locals: LocalModel[], support: Dataset, K: number, reduction: ReductionOptions = {}): AggregationResult {
  switch (method) {
    case "ot":
      return reduceLocalModels(locals, support, K, { ...reduction, gating: "support" });
    case "ot-posterior":
      return reduceLocalModels(locals, support, K, { ...reduction, gating: "posterior" });
    case "average":
      return weightedAverage(locals, support, K);
    case "aligned":
      return alignedAverage(locals, support, K);
    case "medoid":
      return medoid(locals, support, K);
    case "greedy":
      return greedyMerge(locals, support, K);
    default:
      throw new Error(`'${method}' is not an aggregation method; use ot, ot-posterior, average, aligned, medoid or greedy.`);
  }
}

/** Concatenates machine shards into one data set (the pooled data of the global fit). */
export function poolShards(shards: readonly Dataset[]): Dataset {
  const d = shards[0].d;
  const n = shards.reduce((total, shard) => total + shard.n, 0);
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  let offset = 0;
  for (const shard of shards) {
    x.set(shard.x, offset * d);
    y.set(shard.y, offset);
    offset += shard.n;
  }
  return { n, d, features: shards[0].features.slice(), x, y };
}
