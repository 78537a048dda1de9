import { trainTestSplit } from "../distributed/holdout";
import { splitCovariateShift, splitEqual } from "../distributed/split";
import { subsetRows, type Dataset, type MoEModel } from "../model/types";
import { Random } from "../random";
import { generateD2, generateD3, type ImbalanceProfile } from "../simulate/designs";

/** One replicate's data: the machines' shards, a test set with its true labels, and the true model. */
export interface SyntheticReplicate {
  /** Training data of each machine, length M. */
  shards: Dataset[];
  test: Dataset;
  /** True expert of each test point, length test.n. */
  testLabels: Int32Array;
  /** The model the data were drawn from. */
  truth: MoEModel;
}

/** Split of the training points of design D2 over the machines. */
export type MachineSplitKind =
  | { kind: "iid" }
  /** Covariate shift: machines take slabs of a random projection; `mixing` in [0, 1] shuffles that fraction of points. */
  | { kind: "shift"; mixing: number };

export interface D2ReplicateOptions {
  /** Points in all, training and test together. */
  n: number;
  /** Machines M. */
  machines: number;
  profile: ImbalanceProfile;
  /** Fraction of the n points held out for testing, e.g. 0.2. */
  testFraction: number;
  split: MachineSplitKind;
  seed: number;
}

/**
 * Draws a replicate of design D2: n points, a random test fraction held out, and the rest split over the
 * machines at random (IID) or by covariate shift. Data, hold-out and split use independent child seeds of `seed`.
 */
export function drawD2Replicate(options: D2ReplicateOptions): SyntheticReplicate {
  const seeds = new Random(options.seed);
  const dataSeed = seeds.childSeed();
  const holdoutSeed = seeds.childSeed();
  const splitSeed = seeds.childSeed();

  const design = generateD2({ n: options.n, seed: dataSeed, profile: options.profile });
  const holdout = trainTestSplit(options.n, options.testFraction, holdoutSeed, "random");
  const train = subsetRows(design.data, holdout.train);
  const test = subsetRows(design.data, holdout.test);
  const testLabels = Int32Array.from(holdout.test, (i) => design.labels[i]);

  const parts =
    options.split.kind === "iid"
      ? splitEqual(train.n, options.machines, splitSeed)
      : splitCovariateShift(train, options.machines, { seed: splitSeed, mixing: options.split.mixing });
  return { shards: parts.map((rows) => subsetRows(train, rows)), test, testLabels, truth: design.truth };
}

export interface D3ReplicateOptions {
  /** Points in all: the machines hold n − round(testFraction · n), the test set the rest. */
  n: number;
  machines: number;
  profile: ImbalanceProfile;
  testFraction: number;
  seed: number;
}

/**
 * Draws a replicate of design D3: each machine's data come from 3 of the 5 experts, and the test set is drawn
 * from the full D2 model with the same true parameters (all 5 experts, class proportions of the profile).
 */
export function drawD3Replicate(options: D3ReplicateOptions): SyntheticReplicate {
  const seeds = new Random(options.seed);
  const parameterSeed = seeds.childSeed();
  const trainSeed = seeds.childSeed();
  const testSeed = seeds.childSeed();

  const testSize = Math.round(options.testFraction * options.n);
  if (testSize < 1 || testSize >= options.n) {
    throw new Error(`Test fraction ${options.testFraction} of n = ${options.n} leaves ${testSize} test points; choose a fraction in (0, 1).`);
  }
  const design = generateD3({ n: options.n - testSize, machines: options.machines, seed: trainSeed, parameterSeed, profile: options.profile });
  const test = generateD2({ n: testSize, seed: testSeed, parameterSeed, profile: options.profile });

  return { shards: design.machines.map((machine) => machine.data), test: test.data, testLabels: test.labels, truth: design.truth };
}
