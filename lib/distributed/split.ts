import type { Dataset } from "../model/types";
import { Random } from "../random";
import { distinctGroups } from "./groups";
import { dirichletSizes, equalSizes, requireMachineCount, sizesFromProportions } from "./sizes";

/**
 * A split of n points over M machines: parts[m] contains the row indices of machine m, ascending. The parts
 * are disjoint, non-empty and cover 0..n−1.
 */
export type MachineSplit = Int32Array[];

/** Splits n points at random into M parts whose sizes differ by at most 1 (the IID split). */
export function splitEqual(n: number, M: number, seed: number | string): MachineSplit {
  return partitionInOrder(new Random(seed).permutation(n), equalSizes(n, M));
}

/**
 * Splits n points at random into parts of sizes proportional to `proportions` (length M, positive, need not
 * sum to 1); see sizesFromProportions for the rounding.
 */
export function splitByProportions(n: number, proportions: readonly number[], seed: number | string): MachineSplit {
  const sizes = sizesFromProportions(n, proportions);
  return partitionInOrder(new Random(seed).permutation(n), sizes);
}

/**
 * Splits n points at random into M parts of random sizes: every machine gets `minimumSize` points and the
 * rest are shared by symmetric Dirichlet(concentration) proportions. Smaller concentrations give more
 * unequal sizes.
 */
export function splitRandomSizes(n: number, M: number, seed: number | string, concentration = 1, minimumSize = 1): MachineSplit {
  const rng = new Random(seed);
  const sizes = dirichletSizes(n, M, concentration, rng, minimumSize);
  return partitionInOrder(rng.permutation(n), sizes);
}

/**
 * Splits by a grouping column, one machine per group (the natural non-IID split, e.g. one machine per
 * participant). Machines are in ascending order of group id.
 *
 * @param groups - group id of each row, length n, integers
 */
export function splitByGroup(groups: ArrayLike<number>): MachineSplit {
  const n = groups.length;
  const ids = distinctGroups(groups);
  requireMachineCount(n, ids.length);

  const machineOf = new Map(ids.map((id, m) => [id, m]));
  const sizes = new Array<number>(ids.length).fill(0);
  for (let i = 0; i < n; i++) sizes[machineOf.get(groups[i])!] += 1;

  const parts = sizes.map((size) => new Int32Array(size));
  const filled = new Array<number>(ids.length).fill(0);
  for (let i = 0; i < n; i++) {
    const m = machineOf.get(groups[i])!;
    parts[m][filled[m]++] = i;
  }
  return parts;
}

/** Options of splitCovariateShift. */
export interface CovariateShiftOptions {
  /** Seed of the direction and of the mixing. */
  seed: number | string;
  /**
   * Fraction of points, in [0, 1], that leave their sorted position for a random one: 0 gives machines
   * with disjoint slabs of the projection, 1 gives the IID random split. Default 0.
   */
  mixing?: number;
  /** Projection direction: a uniformly random unit vector ("random", the default) or the first covariate ("first"). */
  direction?: "random" | "first";
}

/**
 * Non-IID split by covariate shift. The points are sorted by their projection xᵀu on a direction u, a
 * random fraction `mixing` of the sorted positions is chosen and the points there are shuffled among those
 * positions, and machine m then takes the m-th contiguous block. Sizes differ by at most 1.
 */
export function splitCovariateShift(data: Dataset, M: number, options: CovariateShiftOptions): MachineSplit {
  const { n, d } = data;
  const mixing = options.mixing ?? 0;
  const direction = options.direction ?? "random";
  requireMachineCount(n, M);
  if (!(mixing >= 0 && mixing <= 1)) {
    throw new Error(`Mixing fraction must be in [0, 1] but got ${mixing}.`);
  }
  if (direction !== "random" && direction !== "first") {
    throw new Error(`Unknown projection direction "${direction as string}"; use "random" or "first".`);
  }
  if (d < 1) {
    throw new Error("Covariate-shift split needs at least one covariate but the data have d = 0.");
  }

  const rng = new Random(options.seed);
  const u = direction === "first" ? unitVector(d, 0) : randomUnitVector(d, rng);

  // Projection t_i = x_iᵀ u; the order sorts t ascending, ties by row index.
  const projection = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let j = 0; j < d; j++) t += data.x[i * d + j] * u[j];
    projection[i] = t;
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => projection[a] - projection[b] || a - b);

  // Mixing: pick round(mixing n) positions at random and shuffle their points among them.
  const mixedCount = Math.round(mixing * n);
  const positions = rng.permutation(n).subarray(0, mixedCount);
  const shuffle = rng.permutation(mixedCount);
  const mixedPoints = Int32Array.from(positions, (position) => order[position]);
  for (let r = 0; r < mixedCount; r++) order[positions[r]] = mixedPoints[shuffle[r]];

  return partitionInOrder(order, equalSizes(n, M));
}

/**
 * Checks that `parts` is a split of 0..n−1: every index in range, no index twice, every index present,
 * and no empty part. Throws an error that names the first violation.
 */
export function checkPartition(parts: readonly ArrayLike<number>[], n: number): void {
  const owner = new Int32Array(n).fill(-1);

  parts.forEach((part, m) => {
    if (part.length === 0) throw new Error(`Machine ${m} has no rows; every machine needs at least one.`);
    for (let r = 0; r < part.length; r++) {
      const i = part[r];
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new Error(`Machine ${m} contains row index ${i}, outside the valid range 0..${n - 1}.`);
      }
      if (owner[i] !== -1) throw new Error(`Row ${i} is in machines ${owner[i]} and ${m}; parts must be disjoint.`);
      owner[i] = m;
    }
  });

  const missing = owner.indexOf(-1);
  if (missing !== -1) throw new Error(`Row ${missing} is in no machine; parts must cover all ${n} rows.`);
}

/** Cuts `order` into consecutive blocks of the given sizes, each block sorted ascending. */
function partitionInOrder(order: Int32Array, sizes: readonly number[]): MachineSplit {
  const parts: MachineSplit = [];
  let start = 0;
  for (const size of sizes) {
    parts.push(order.slice(start, start + size).sort());
    start += size;
  }
  return parts;
}

function unitVector(d: number, axis: number): Float64Array {
  const u = new Float64Array(d);
  u[axis] = 1;
  return u;
}

/** Uniform direction on the unit sphere: a standard normal vector divided by its norm. */
function randomUnitVector(d: number, rng: Random): Float64Array {
  const u = new Float64Array(d);
  let norm = 0;
  while (norm === 0) {
    norm = 0;
    for (let j = 0; j < d; j++) {
      u[j] = rng.normal();
      norm += u[j] * u[j];
    }
  }
  norm = Math.sqrt(norm);
  for (let j = 0; j < d; j++) u[j] /= norm;
  return u;
}

export { distinctGroups } from "./groups";
export { leaveGroupsOut, sampleGroups, trainTestSplit, type TrainTestSplit } from "./holdout";
export { dirichletSizes, equalSizes, sizesFromProportions } from "./sizes";
