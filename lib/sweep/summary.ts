import type { SettingValue } from "./grid";
import type { SweepRow, SweepTable } from "./table";

/** Columns of a table that identify a row, never summarized as metrics. */
const ID_COLUMNS = new Set(["cell", "replicate", "seed"]);

export interface SummaryOptions {
  /** Columns that define the groups; default the table's setting keys and "method". */
  by?: readonly string[];
  /** Columns to summarize; default every numeric column outside `by` and the id columns (cell, replicate, seed). */
  metrics?: readonly string[];
}

/**
 * One group of a summary: the `by` values, `count` (rows in the group), and for each metric `<metric>Mean`
 * and `<metric>Sd` over the group's non-null values. The standard deviation uses the n − 1 divisor and is
 * null with fewer than two values; the mean is null with none.
 */
export type SummaryRow = Record<string, SettingValue> & { count: number };

/**
 * Summarizes a sweep table by means and standard deviations per group (by default per setting × method),
 * groups in order of first appearance.
 */
export function summarizeSweep(table: Pick<SweepTable, "rows" | "settingKeys">, options: SummaryOptions = {}): SummaryRow[] {
  const by = options.by ?? [...table.settingKeys, "method"];
  const metrics = options.metrics ?? numericColumns(table.rows, new Set([...by, ...ID_COLUMNS]));

  const groups = new Map<string, SweepRow[]>();
  for (const row of table.rows) {
    const key = JSON.stringify(by.map((column) => row[column] ?? null));
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }

  return [...groups.values()].map((rows) => {
    const summary: Record<string, SettingValue> = {};
    for (const column of by) summary[column] = rows[0][column] ?? null;
    summary.count = rows.length;
    for (const metric of metrics) {
      const values = rows.map((row) => row[metric]).filter((value): value is number => typeof value === "number");
      const { mean, sd } = meanAndSd(values);
      summary[`${metric}Mean`] = mean;
      summary[`${metric}Sd`] = sd;
    }
    return summary as SummaryRow;
  });
}

/** Mean and sample standard deviation (n − 1 divisor) of finite values; null where undefined. */
export function meanAndSd(values: readonly number[]): { mean: number | null; sd: number | null } {
  const n = values.length;
  if (n === 0) return { mean: null, sd: null };

  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  if (n < 2) return { mean, sd: null };

  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(squares / (n - 1)) };
}

/** A column of a mean ± sd display table. */
export interface MeanSdColumn {
  /** Metric column of the summarized table, e.g. "rpe". */
  metric: string;
  /** Column header, e.g. "RPE". */
  label: string;
  /** Significant digits of the mean; the sd gets two. Default 4. */
  digits?: number;
}

/**
 * Builds display rows "mean ± sd" from a summary: the `keep` columns as they are, then one text column per
 * metric. A mean without sd (one replicate) is shown alone, a missing mean as "".
 */
export function meanSdTable(summary: readonly SummaryRow[], keep: readonly string[], columns: readonly MeanSdColumn[]): Record<string, SettingValue>[] {
  return summary.map((row) => {
    const display: Record<string, SettingValue> = {};
    for (const column of keep) display[column] = row[column] ?? null;
    for (const column of columns) {
      const mean = row[`${column.metric}Mean`];
      const sd = row[`${column.metric}Sd`];
      display[column.label] = formatMeanSd(typeof mean === "number" ? mean : null, typeof sd === "number" ? sd : null, column.digits ?? 4);
    }
    return display;
  });
}

/**
 * Formats "mean ± sd" with `digits` significant digits of the mean and two of the sd, e.g. "-2.642 ± 0.013".
 * Whole numbers are shown in full, e.g. "16 ± 0".
 */
export function formatMeanSd(mean: number | null, sd: number | null, digits = 4): string {
  if (mean === null) return "";
  const shownMean = formatSignificant(mean, digits);
  return sd === null ? shownMean : `${shownMean} ± ${formatSignificant(sd, 2)}`;
}

/**
 * Adds to each row the ratio of a reference method's value to the row's value in the same cell, e.g. the
 * speed-up global wall time / method wall time. Rows whose cell has no reference row, or whose values are
 * missing or zero, get null.
 *
 * @returns new rows with the column `name` added
 */
export function ratioToReference(rows: readonly SweepRow[], reference: string, column: string, name: string): SweepRow[] {
  return compareToReference(rows, reference, column, name, (value, base) => (value !== 0 ? base / value : null));
}

/**
 * Adds to each row the difference between its value and a reference method's value in the same cell, e.g.
 * method − global test log-likelihood. Rows whose cell has no reference row, or whose values are missing, get null.
 *
 * @returns new rows with the column `name` added
 */
export function differenceToReference(rows: readonly SweepRow[], reference: string, column: string, name: string): SweepRow[] {
  return compareToReference(rows, reference, column, name, (value, base) => value - base);
}

/** Adds the column `name`, combining each row's numeric value with the reference method's value in its cell. */
function compareToReference(
  rows: readonly SweepRow[],
  reference: string,
  column: string,
  name: string,
  combine: (value: number, base: number) => number | null,
): SweepRow[] {
  const referenceValue = new Map<number, number>();
  for (const row of rows) {
    const value = row[column];
    if (row.method === reference && typeof value === "number") referenceValue.set(row.cell, value);
  }

  return rows.map((row) => {
    const base = referenceValue.get(row.cell);
    const value = row[column];
    return { ...row, [name]: base !== undefined && typeof value === "number" ? combine(value, base) : null };
  });
}

function numericColumns(rows: readonly SweepRow[], exclude: ReadonlySet<string>): string[] {
  const columns = new Set<string>();
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) if (typeof value === "number" && !exclude.has(column)) columns.add(column);
  }
  return [...columns];
}

function formatSignificant(value: number, digits: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  if (magnitude >= digits - 1) return value.toFixed(0);
  if (magnitude >= -4) return value.toFixed(Math.max(0, digits - 1 - magnitude));
  return value.toExponential(digits - 1);
}
