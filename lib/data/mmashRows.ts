/**
 * Rows of one participant's actigraphy at the resolution of the regression table: the kept seconds as they
 * are, or their per-minute means.
 */
import { ACTIGRAPH_VARIABLES, type ActigraphColumns, type ActigraphVariableName } from './mmash';

/** Time resolution of the regression table. */
export type Resolution = 'second' | 'minute';

/** Variables of one participant's rows at one resolution. */
export interface VariableRows {
  /** Number of rows. */
  n: number;
  /** Line in Actigraph.csv of each row's first second, length n, for error messages. */
  line: Int32Array;
  /** Number of seconds averaged into each row, length n (all 1 at the per-second resolution). */
  seconds: Int32Array;
  /** Every Actigraph variable, length n each. */
  values: Record<ActigraphVariableName, Float64Array>;
}

/** Returns the seconds with keep[i] = 1, in file order. `keep` has length columns.n. */
export function selectSeconds(columns: ActigraphColumns, keep: Uint8Array): VariableRows {
  const rows: number[] = [];
  for (let i = 0; i < columns.n; i++) if (keep[i] === 1) rows.push(i);

  const n = rows.length;
  const line = new Int32Array(n);
  const values = {} as Record<ActigraphVariableName, Float64Array>;
  for (const { name } of ACTIGRAPH_VARIABLES) values[name] = new Float64Array(n);

  for (let r = 0; r < n; r++) line[r] = columns.line[rows[r]];
  for (const { name } of ACTIGRAPH_VARIABLES) {
    const source = columns.values[name];
    const target = values[name];
    for (let r = 0; r < n; r++) target[r] = source[rows[r]];
  }

  return { n, line, seconds: new Int32Array(n).fill(1), values };
}

/**
 * Averages the kept seconds (keep[i] = 1) over each minute of each recording day.
 *
 * A row is one (day, hh:mm) pair that has at least one kept second, in order of first appearance, and each
 * variable is the mean over that minute's kept seconds: v̄ = Σ_{s ∈ minute} v_s / (number of kept seconds).
 * `hour` is therefore the mean time of the seconds present, and a NaN in any kept second makes that
 * variable's mean NaN.
 */
export function minuteMeans(columns: ActigraphColumns, keep: Uint8Array): VariableRows {
  const rowOfMinute = new Map<number, number>();
  const rowOfSecond = new Int32Array(columns.n).fill(-1);
  const firstLine: number[] = [];

  // Key = day · 1440 + minute of the day; rows are numbered as keys first appear.
  for (let i = 0; i < columns.n; i++) {
    if (keep[i] !== 1) continue;

    const key = columns.values.day[i] * 1440 + Math.floor(columns.secondOfDay[i] / 60);
    let row = rowOfMinute.get(key);
    if (row === undefined) {
      row = rowOfMinute.size;
      rowOfMinute.set(key, row);
      firstLine.push(columns.line[i]);
    }
    rowOfSecond[i] = row;
  }

  const n = rowOfMinute.size;
  const seconds = new Int32Array(n);
  for (let i = 0; i < columns.n; i++) if (rowOfSecond[i] >= 0) seconds[rowOfSecond[i]]++;

  const values = {} as Record<ActigraphVariableName, Float64Array>;
  for (const { name } of ACTIGRAPH_VARIABLES) {
    const source = columns.values[name];
    const sums = new Float64Array(n);
    for (let i = 0; i < columns.n; i++) if (rowOfSecond[i] >= 0) sums[rowOfSecond[i]] += source[i];
    for (let r = 0; r < n; r++) sums[r] /= seconds[r];
    values[name] = sums;
  }

  return { n, line: Int32Array.from(firstLine), seconds, values };
}
