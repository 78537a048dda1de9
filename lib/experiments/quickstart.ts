import { trainTestSplit } from "../distributed/holdout";
import { splitEqual } from "../distributed/split";
import { runDistributedStudy, type StudyMethod, type StudyResult } from "../distributed/study";
import { subsetRows, type Dataset, type MoEModel } from "../model/types";
import { Random } from "../random";
import { simulateFromModel } from "../simulate/reference";

/**
 * A three-expert model on one standard normal covariate. The gates hand over from expert 1 to 2 at x = −0.5 and
 * from 2 to 3 at x = 0.5 (η_1 − η_2 = −6(x + 0.5), η_2 − η_3 = −6(x − 0.5)), so each expert rules about a third
 * of the points, and the experts' lines −3 + 2x, 1 − 3x and 4 + x cross inside the data.
 */
export const QUICKSTART_MODEL: MoEModel = {
  K: 3,
  d: 1,
  features: ["x"],
  gates: [
    [0, 3, 0],
    [-12, -6, 0],
  ],
  experts: [
    [-3, 1, 4],
    [2, -3, 1],
  ],
  variances: [0.5, 0.3, 0.6],
};

export interface QuickstartOptions {
  /** Points in all, 20 % of them held out for testing. */
  n: number;
  /** Machines M of the distributed fit. */
  machines: number;
  /** Methods to compare. Default global, ot (the OT aggregation) and average (weighted averaging). */
  methods?: StudyMethod[];
  /** EM starts per fit. Default 2. */
  starts?: number;
  /** Worker threads for the local fits; 0 fits on the calling thread. Default 0. */
  concurrency?: number;
  seed?: number;
}

/** A one-covariate example: the data, the truth, and every method's fitted model and test metrics. */
export interface QuickstartResult {
  train: Dataset;
  test: Dataset;
  /** True expert of each training and test point. */
  trainLabels: Int32Array;
  testLabels: Int32Array;
  truth: MoEModel;
  /** Machine shards of the training points. */
  shards: Dataset[];
  study: StudyResult;
}

/**
 * Draws n points from QUICKSTART_MODEL (one covariate, so that gates and experts can be drawn against x),
 * holds out 20 % for testing, splits the rest over M machines at random, and fits every method with K = 3.
 */
export async function runQuickstart(options: QuickstartOptions): Promise<QuickstartResult> {
  const truth = QUICKSTART_MODEL;
  const seeds = new Random(options.seed ?? 0);
  const design = simulateFromModel(truth, options.n, seeds.childSeed());
  const holdout = trainTestSplit(options.n, 0.2, seeds.childSeed(), "random");
  const train = subsetRows(design.data, holdout.train);
  const test = subsetRows(design.data, holdout.test);
  const trainLabels = Int32Array.from(holdout.train, (i) => design.labels[i]);
  const testLabels = Int32Array.from(holdout.test, (i) => design.labels[i]);
  const shards = splitEqual(train.n, options.machines, seeds.childSeed()).map((rows) => subsetRows(train, rows));

  const study = await runDistributedStudy(shards, test, {
    K: truth.K,
    methods: options.methods ?? ["global", "ot", "average"],
    em: { starts: options.starts ?? 2 },
    support: { size: Math.min(1000, train.n), source: "pooled" },
    concurrency: options.concurrency ?? 0,
    seed: seeds.childSeed(),
    testLabels,
    truth,
  });
  return { train, test, trainLabels, testLabels, truth, shards, study };
}
