import { Random } from "../random";
import { distinctGroups } from "./groups";

/** Row indices of a train/test split, each ascending; together they cover 0..n−1 once. */
export interface TrainTestSplit {
  train: Int32Array;
  test: Int32Array;
}

/**
 * Holds out round(testFraction · n) points for testing: the last ones ("last") or a random set ("random",
 * the default). The seed is used only by "random".
 *
 * @throws when testFraction is outside (0, 1) or the rounding leaves the train or test part empty
 */
export function trainTestSplit(n: number, testFraction: number, seed: number | string, mode: "random" | "last" = "random"): TrainTestSplit {
  if (!Number.isInteger(n) || n < 2) {
    throw new Error(`A train/test split needs an integer n ≥ 2 points but got n = ${n}.`);
  }
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`Test fraction must be in (0, 1) but got ${testFraction}.`);
  }
  if (mode !== "random" && mode !== "last") {
    throw new Error(`Unknown train/test split mode "${mode as string}"; use "random" or "last".`);
  }

  const testSize = Math.round(testFraction * n);
  if (testSize < 1 || testSize > n - 1) {
    throw new Error(`Test fraction ${testFraction} of n = ${n} gives ${testSize} test points; choose a fraction that leaves both parts non-empty.`);
  }

  if (mode === "last") {
    const train = Int32Array.from({ length: n - testSize }, (_, i) => i);
    const test = Int32Array.from({ length: testSize }, (_, r) => n - testSize + r);
    return { train, test };
  }

  const order = new Random(seed).permutation(n);
  return { train: order.slice(testSize).sort(), test: order.slice(0, testSize).sort() };
}

/**
 * Holds out whole groups: the rows whose group id is in `testGroups` form the test part, the others the
 * train part.
 *
 * @param groups - group id of each row, length n, integers
 * @param testGroups - ids of the held-out groups; each must occur in `groups`, and at least one group must remain
 */
export function leaveGroupsOut(groups: ArrayLike<number>, testGroups: ArrayLike<number>): TrainTestSplit {
  const ids = distinctGroups(groups);
  const present = new Set(ids);
  const heldOut = new Set<number>();
  for (let r = 0; r < testGroups.length; r++) {
    if (!present.has(testGroups[r])) {
      throw new Error(`Held-out group ${testGroups[r]} does not occur in the grouping column; choose among ${ids.join(", ")}.`);
    }
    heldOut.add(testGroups[r]);
  }
  if (heldOut.size === 0) throw new Error("No held-out group given; give at least one group id.");
  if (heldOut.size === ids.length) {
    throw new Error(`All ${ids.length} groups are held out, which leaves no training data; keep at least one group.`);
  }

  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < groups.length; i++) (heldOut.has(groups[i]) ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/** Draws `count` distinct group ids of `groups` at random, for leaveGroupsOut; returned ascending. */
export function sampleGroups(groups: ArrayLike<number>, count: number, seed: number | string): number[] {
  const ids = distinctGroups(groups);
  if (!Number.isInteger(count) || count < 1 || count >= ids.length) {
    throw new Error(`Number of held-out groups must be an integer in [1, ${ids.length - 1}] but got ${count}.`);
  }

  const order = new Random(seed).permutation(ids.length);
  return Array.from(order.subarray(0, count), (r) => ids[r]).sort((a, b) => a - b);
}
