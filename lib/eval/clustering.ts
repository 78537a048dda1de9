import { solveAssignment } from "./assignment";

/**
 * Contingency table of two labelings of the same n points: counts[a][b] is the number of points with
 * label a in the first labeling and label b in the second. Labels are any integers; they are mapped to
 * rows and columns in ascending order.
 */
export interface ContingencyTable {
  /** Distinct labels of the first labeling, ascending, length R. */
  rowLabels: number[];
  /** Distinct labels of the second labeling, ascending, length C. */
  columnLabels: number[];
  /** Counts, R × C. */
  counts: number[][];
  /** Number of points n. */
  n: number;
}

/** Builds the contingency table of two labelings of the same points. */
export function contingencyTable(first: ArrayLike<number>, second: ArrayLike<number>): ContingencyTable {
  const n = first.length;
  if (second.length !== n) {
    throw new Error(`The labelings have different lengths (${n} and ${second.length}); give one label per point in each.`);
  }

  const rowLabels = distinctLabels(first, "first");
  const columnLabels = distinctLabels(second, "second");
  const rowIndex = new Map(rowLabels.map((label, r) => [label, r]));
  const columnIndex = new Map(columnLabels.map((label, c) => [label, c]));

  const counts = rowLabels.map(() => new Array<number>(columnLabels.length).fill(0));
  for (let i = 0; i < n; i++) {
    counts[rowIndex.get(first[i])!][columnIndex.get(second[i])!] += 1;
  }

  return { rowLabels, columnLabels, counts, n };
}

/**
 * Rand index: the fraction of the n(n−1)/2 pairs of points on which two labelings agree (both put the
 * pair together, or both put it apart). In [0, 1]; 1 for identical partitions, whatever the label names.
 * Returns 1 when n < 2, because there is no pair to disagree on.
 */
export function randIndex(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const pairs = pairCounts(contingencyTable(truth, predicted));
  if (pairs.total === 0) return 1;

  // agreements = together in both + apart in both = T + 2 Σ C(n_ab, 2) − Σ C(a_r, 2) − Σ C(b_c, 2)
  const agreements = pairs.total + 2 * pairs.together - pairs.togetherInFirst - pairs.togetherInSecond;
  return agreements / pairs.total;
}

/**
 * Adjusted Rand index (Hubert & Arabie, 1985, "Comparing partitions", J. Classification 2:193–218):
 * the Rand index corrected for chance,
 *
 *   ARI = (Σ C(n_ab, 2) − E) / (½ [Σ C(a_r, 2) + Σ C(b_c, 2)] − E),   E = Σ C(a_r, 2) Σ C(b_c, 2) / C(n, 2),
 *
 * with n_ab the contingency counts and a_r, b_c its row and column sums. 1 for identical partitions,
 * about 0 for independent ones, and possibly negative. When the denominator is 0 (n < 2, both labelings a
 * single cluster, or both all singletons) the partitions are identical and 1 is returned.
 */
export function adjustedRandIndex(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const pairs = pairCounts(contingencyTable(truth, predicted));

  // Multiplied through by T = C(n, 2): ARI = 2 (T Σ C(n_ab,2) − A B) / (T (A + B) − 2 A B)
  const { total, together, togetherInFirst: a, togetherInSecond: b } = pairs;
  const denominator = total * (a + b) - 2 * a * b;
  if (denominator === 0) return 1;

  return (2 * (total * together - a * b)) / denominator;
}

/**
 * Clustering error: the fraction of points whose predicted label differs from the true one under the
 * best one-to-one matching of predicted to true labels (Hungarian algorithm on the contingency table).
 * In [0, 1]; 0 when the predicted labeling is a relabeling of the truth. When the two labelings have
 * different numbers of clusters, the points of the unmatched clusters count as errors.
 */
export function clusteringError(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const table = contingencyTable(truth, predicted);
  if (table.n === 0) return 0;

  return 1 - matchedCount(table) / table.n;
}

/**
 * Best one-to-one matching of predicted labels to true labels: the map from each matched predicted label
 * to its true label. Predicted labels left unmatched (more predicted than true clusters) are absent.
 */
export function matchLabels(truth: ArrayLike<number>, predicted: ArrayLike<number>): Map<number, number> {
  const table = contingencyTable(truth, predicted);
  const assignment = solveAssignment(negatedTransposedCounts(table));
  const matching = new Map<number, number>();

  for (let c = 0; c < assignment.length; c++) {
    if (assignment[c] >= 0) matching.set(table.columnLabels[c], table.rowLabels[assignment[c]]);
  }
  return matching;
}

/** Number of points on the diagonal of the contingency table after the best matching of its columns to rows. */
function matchedCount(table: ContingencyTable): number {
  const assignment = solveAssignment(negatedTransposedCounts(table));
  let matched = 0;

  for (let c = 0; c < assignment.length; c++) {
    if (assignment[c] >= 0) matched += table.counts[assignment[c]][c];
  }
  return matched;
}

/** Cost matrix C × R (predicted clusters to true clusters): −n_ab, so the minimal cost is the maximal agreement. */
function negatedTransposedCounts(table: ContingencyTable): number[][] {
  return table.columnLabels.map((_, c) => table.rowLabels.map((__, r) => -table.counts[r][c]));
}

interface PairCounts {
  /** C(n, 2), all pairs. */
  total: number;
  /** Σ C(n_ab, 2), pairs together in both labelings. */
  together: number;
  /** Σ C(a_r, 2), pairs together in the first labeling. */
  togetherInFirst: number;
  /** Σ C(b_c, 2), pairs together in the second labeling. */
  togetherInSecond: number;
}

function pairCounts(table: ContingencyTable): PairCounts {
  const columnSums = new Array<number>(table.columnLabels.length).fill(0);
  let together = 0;
  let togetherInFirst = 0;

  for (const row of table.counts) {
    let rowSum = 0;
    for (let c = 0; c < row.length; c++) {
      together += choose2(row[c]);
      rowSum += row[c];
      columnSums[c] += row[c];
    }
    togetherInFirst += choose2(rowSum);
  }

  let togetherInSecond = 0;
  for (const sum of columnSums) togetherInSecond += choose2(sum);

  return { total: choose2(table.n), together, togetherInFirst, togetherInSecond };
}

function choose2(m: number): number {
  return (m * (m - 1)) / 2;
}

function distinctLabels(labels: ArrayLike<number>, which: string): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label)) {
      throw new Error(`The ${which} labeling has a non-integer label ${label} at position ${i}; give integer cluster labels.`);
    }
    seen.add(label);
  }
  return Array.from(seen).sort((p, q) => p - q);
}
