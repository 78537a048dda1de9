import { munkres } from "munkres";

/**
 * Solves the linear assignment problem: pairs rows with columns, each used at most once, so that the
 * total cost of the pairs is minimal (Hungarian algorithm, from the `munkres` package).
 *
 * A rectangular matrix is allowed. With R rows and C columns, min(R, C) pairs are made: every row is
 * assigned when R ≤ C, and R − C rows stay unassigned when R > C.
 *
 * @param cost - cost matrix, R × C, cost[r][c] the cost of assigning row r to column c; entries may be
 *   +Infinity (a forbidden pair) but not NaN
 * @returns length R, the column assigned to each row, or −1 for an unassigned row
 */
export function solveAssignment(cost: number[][]): number[] {
  const rows = cost.length;
  if (rows === 0) return [];

  const cols = cost[0].length;
  for (let r = 0; r < rows; r++) {
    if (cost[r].length !== cols) {
      throw new Error(`Cost matrix row ${r} has ${cost[r].length} columns but row 0 has ${cols}; give every row the same length.`);
    }
    for (let c = 0; c < cols; c++) {
      if (Number.isNaN(cost[r][c])) {
        throw new Error(`Cost matrix entry [${r}][${c}] is NaN; give a number (+Infinity forbids the pair).`);
      }
    }
  }

  const assignment = new Array<number>(rows).fill(-1);
  if (cols === 0) return assignment;

  for (const [row, col] of munkres(cost)) assignment[row] = col;
  return assignment;
}

/** Total cost Σ_r cost[r][assignment[r]] over the assigned rows (those with assignment[r] ≥ 0). */
export function assignmentCost(cost: number[][], assignment: readonly number[]): number {
  let total = 0;
  for (let r = 0; r < assignment.length; r++) {
    if (assignment[r] >= 0) total += cost[r][assignment[r]];
  }
  return total;
}
