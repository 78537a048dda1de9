import type { SettingValue } from "../sweep/grid";
import { meanSdTable, summarizeSweep, type MeanSdColumn } from "../sweep/summary";
import type { SweepTable } from "../sweep/table";

/** The headline metrics of a method comparison, with their units. */
export const HEADLINE_COLUMNS: readonly MeanSdColumn[] = [
  { metric: "meanLogLikelihood", label: "test log-lik. (nats/point)" },
  { metric: "rpe", label: "RPE" },
  { metric: "adjustedRandIndex", label: "ARI", digits: 3 },
  { metric: "parameterMse", label: "parameter MSE", digits: 3 },
  { metric: "wallSeconds", label: "learning time (s)", digits: 3 },
  { metric: "bytes", label: "bytes sent", digits: 3 },
  { metric: "rounds", label: "rounds", digits: 2 },
];

/**
 * Builds the comparison table of a sweep: one row per varying setting and method, each headline metric as
 * "mean ± sd" over the replicates, and the number of replicates. `extraBy` adds grouping columns that the
 * cells fill (e.g. supportSource and supportSize).
 */
export function headlineTable(table: SweepTable, extraBy: readonly string[] = [], columns: readonly MeanSdColumn[] = HEADLINE_COLUMNS): Record<string, SettingValue>[] {
  const by = [...varyingSettingKeys(table), ...extraBy, "method"];
  const summary = summarizeSweep(table, { by, metrics: columns.map((column) => column.metric) });
  const rows = meanSdTable(summary, by, columns);
  return rows.map((row, index) => ({ ...row, replicates: summary[index].count }));
}

/** Setting keys that take more than one value in the table, in table order. */
export function varyingSettingKeys(table: Pick<SweepTable, "rows" | "settingKeys">): string[] {
  return table.settingKeys.filter((key) => new Set(table.rows.map((row) => JSON.stringify(row[key] ?? null))).size > 1);
}
