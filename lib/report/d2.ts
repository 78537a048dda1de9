import type { Layout } from "plotly.js-dist";

import { headlineTable } from "../experiments/synthetic-tables";
import { boxPlotsByMethod, type MetricSpec } from "../plots/box";
import type { Figure } from "../plots/figure";
import type { SweepTable } from "../sweep/table";
import type { ReportSection } from "./section";
import { distinctStrings } from "./series";

/** Metrics of the D2 box plots, one panel each. */
export const D2_BOX_METRICS: readonly MetricSpec[] = [
  { key: "meanLogLikelihood", label: "test log-likelihood", unit: "nats/point" },
  { key: "rpe", label: "relative prediction error", unit: "" },
  { key: "adjustedRandIndex", label: "adjusted Rand index", unit: "" },
  { key: "parameterMse", label: "parameter MSE (log scale)", unit: "" },
  { key: "wallSeconds", label: "learning time", unit: "s" },
];

/**
 * Methods left out of the box plots by default: weighted averaging and one round of federated EM are so far off
 * in log-likelihood that they would flatten every other box. The tables keep them.
 */
export const OFF_SCALE_METHODS: readonly string[] = ["average", "fedem@1"];

/** Builds the D2 comparison table: per profile and method, each headline metric as mean ± sd over replicates. */
export function d2ComparisonTable(table: SweepTable) {
  return headlineTable(table);
}

/** Plots the D2 metrics by method as box plots for one imbalance profile, parameter MSE on a log axis. */
export function d2BoxPlots(table: SweepTable, profile: string, excluded: readonly string[] = OFF_SCALE_METHODS): Figure {
  const rows = table.rows.filter((row) => row.profile === profile && !excluded.includes(row.method));
  const replicates = new Set(rows.map((row) => row.replicate)).size;
  const figure = boxPlotsByMethod(rows, {
    metrics: D2_BOX_METRICS,
    columns: 3,
    title: `D2, ${profile} profile: ${replicates} replicates${excluded.length > 0 ? ` (${excluded.join(", ")} off the scale, see the table)` : ""}`,
  });
  const axes = figure.layout as Record<string, unknown>;
  const mseAxis = `yaxis${D2_BOX_METRICS.findIndex((metric) => metric.key === "parameterMse") + 1}`;
  axes[mseAxis] = { ...(axes[mseAxis] as Partial<Layout["yaxis"]>), type: "log" };
  return figure;
}

/** Builds the D2 part of the report: the comparison table and one box-plot figure per profile. */
export function d2Section(table: SweepTable): ReportSection {
  const profiles = distinctStrings(table.rows.map((row) => row.profile));
  const first = table.rows[0];
  return {
    name: "d2",
    title: "D2: every method on the three imbalance profiles",
    text:
      `Design D2 (K = 5 experts, d = 20 covariates), n = ${first?.n} points with 20 % held out for testing, ` +
      `M = ${first?.M} machines, S = ${first?.supportSize} support points. Learning time is what a deployment waits: ` +
      "the global fit, the slowest local fit plus the aggregation, or the federated rounds.",
    tables: [{ name: "comparison", caption: "Test metrics by profile and method, mean ± sd over replicates", rows: d2ComparisonTable(table) }],
    figures: profiles.map((profile) => ({ name: `boxes-${profile}`, figure: d2BoxPlots(table, profile) })),
  };
}
