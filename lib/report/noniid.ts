import { headlineTable } from "../experiments/synthetic-tables";
import type { Figure } from "../plots/figure";
import { meanAndSd } from "../sweep/summary";
import type { SweepRow, SweepTable } from "../sweep/table";
import { groupedBarFigure } from "./bars";
import type { ReportSection } from "./section";
import { distinctStrings } from "./series";

/** Methods drawn in the non-IID figures (D3 cells have no average, aligned or medoid rows). */
export const NONIID_METHODS: readonly string[] = ["global", "ot", "ot-posterior", "aligned", "medoid", "greedy", "fedem@20"];

/** A metric of the non-IID figures with its axis. */
export interface NoniidMetric {
  key: string;
  label: string;
  unit: string;
  yType?: "linear" | "log";
}

export const NONIID_METRICS: readonly NoniidMetric[] = [
  { key: "meanLogLikelihood", label: "test log-likelihood", unit: "nats/point" },
  { key: "adjustedRandIndex", label: "adjusted Rand index", unit: "" },
  { key: "parameterMse", label: "parameter MSE", unit: "", yType: "log" },
];

/** Names a scenario row: "IID", "covariate shift, mixing 0.5" or "D3: K_m = 3 of 5 experts". */
export function scenarioLabel(row: SweepRow): string {
  if (row.scenario === "d3") return "D3: K_m = 3 of 5 experts";
  if (row.scenario === "shift") return `covariate shift, mixing ${row.mixing}`;
  return "IID";
}

/** Plots grouped bars of a metric (mean ± sd over replicates): scenarios on the x axis, one bar per method. */
export function noniidFigure(table: SweepTable, metric: NoniidMetric, methods: readonly string[] = NONIID_METHODS): Figure {
  const scenarios = distinctStrings(table.rows.map(scenarioLabel));
  const present = methods.filter((method) => table.rows.some((row) => row.method === method));

  const series = present.map((method) => {
    const stats = scenarios.map((scenario) => {
      const values = table.rows
        .filter((row) => row.method === method && scenarioLabel(row) === scenario)
        .map((row) => row[metric.key])
        .filter((value): value is number => typeof value === "number");
      return meanAndSd(values);
    });
    return { name: method, mean: stats.map((stat) => stat.mean), error: stats.map((stat) => stat.sd) };
  });

  return groupedBarFigure(scenarios, series, {
    x: { label: "split of the training data", unit: "" },
    y: { label: metric.yType === "log" ? `${metric.label} (log scale)` : metric.label, unit: metric.unit },
    yType: metric.yType,
    title: `Non-IID machines: ${metric.label} by split (mean ± sd)`,
    legendTitle: "method",
  });
}

/** Builds the non-IID part of the report. */
export function noniidSection(table: SweepTable): ReportSection {
  const first = table.rows[0];
  const rows = table.rows.map((row) => ({ ...row, split: scenarioLabel(row) }));
  const withSplit: SweepTable = { ...table, rows, settingKeys: ["split"], columns: [...table.columns, "split"] };
  return {
    name: "noniid",
    title: "Non-IID machines: covariate shift and D3",
    text:
      `Design D2 (balanced profile), n = ${first?.n} points, M = ${first?.M} machines, split at random (IID) or by ` +
      "covariate shift (machines take slabs of a random projection of x; mixing is the fraction of points shuffled " +
      "back at random). In D3 each machine sees 3 of the 5 experts, fits K_m = 3, and the server reduces to K = 5.",
    tables: [{ name: "comparison", caption: "Test metrics by split and method, mean ± sd over replicates", rows: headlineTable(withSplit) }],
    figures: NONIID_METRICS.map((metric) => ({ name: metric.key, figure: noniidFigure(table, metric) })),
  };
}
