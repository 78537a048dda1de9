import { headlineTable } from "../experiments/synthetic-tables";
import { errorBarFigure } from "../plots/error-bars";
import type { Figure } from "../plots/figure";
import { ratioToReference } from "../sweep/summary";
import type { SweepTable } from "../sweep/table";
import type { ReportSection } from "./section";
import { meanSeries, tickAtSeriesValues } from "./series";

/** Methods drawn in the scaling figures. */
export const SCALING_METHODS: readonly string[] = ["global", "ot", "aligned", "medoid", "greedy", "fedem@20"];

/** The scaled quantity: the number of machines M or the number of points n. */
export type ScalingKey = "M" | "n";

const AXIS: Record<ScalingKey, { label: string; unit: string }> = {
  M: { label: "machines M", unit: "" },
  n: { label: "points n", unit: "" },
};

/** Plots the learning time (mean ± sd over replicates) against M or n, both axes logarithmic. */
export function scalingTimeFigure(table: SweepTable, key: ScalingKey, methods: readonly string[] = SCALING_METHODS): Figure {
  const series = meanSeries(table.rows, { x: key, y: "wallSeconds", series: methods });
  const figure = errorBarFigure(series, {
    x: AXIS[key],
    y: { label: "learning time", unit: "s" },
    xType: "log",
    title: `Learning time against ${AXIS[key].label} (mean ± sd)`,
    legendTitle: "method",
  });
  figure.layout.yaxis = { ...figure.layout.yaxis, type: "log" };
  return tickAtSeriesValues(figure, series);
}

/**
 * Plots the speed-up over the global fit against M or n: in each cell, global learning time / method learning time,
 * then mean ± sd over replicates.
 */
export function scalingSpeedupFigure(table: SweepTable, key: ScalingKey, methods: readonly string[] = SCALING_METHODS): Figure {
  const rows = ratioToReference(table.rows, "global", "wallSeconds", "speedup");
  const series = meanSeries(rows, { x: key, y: "speedup", series: methods.filter((method) => method !== "global") });
  const figure = errorBarFigure(series, {
    x: AXIS[key],
    y: { label: "speed-up over the global fit (global time / method time)", unit: "" },
    xType: "log",
    title: `Speed-up over the global fit against ${AXIS[key].label} (mean ± sd)`,
    legendTitle: "method",
  });
  return tickAtSeriesValues(figure, series);
}

/** Plots the test log-likelihood per point (mean ± sd) against M or n. */
export function scalingAccuracyFigure(table: SweepTable, key: ScalingKey, methods: readonly string[] = SCALING_METHODS): Figure {
  const series = meanSeries(table.rows, { x: key, y: "meanLogLikelihood", series: methods });
  const figure = errorBarFigure(series, {
    x: AXIS[key],
    y: { label: "test log-likelihood", unit: "nats/point" },
    xType: "log",
    title: `Test log-likelihood against ${AXIS[key].label} (mean ± sd)`,
    legendTitle: "method",
  });
  return tickAtSeriesValues(figure, series);
}

/** Builds the scaling part of the report for one of the two sweeps (scaling-m or scaling-n). */
export function scalingSection(table: SweepTable, key: ScalingKey): ReportSection {
  const fixed = key === "M" ? `n = ${table.rows[0]?.n} points` : `M = ${table.rows[0]?.M} machines`;
  return {
    name: key === "M" ? "scaling-m" : "scaling-n",
    title: `Scaling in the number of ${key === "M" ? "machines M" : "points n"}`,
    text:
      `Design D2 (balanced profile), ${fixed}. Learning time of a distributed method is the slowest local fit plus ` +
      "the aggregation; the speed-up divides the global fit's time in the same replicate by it.",
    tables: [{ name: "comparison", caption: `Test metrics by ${key} and method, mean ± sd over replicates`, rows: headlineTable(table) }],
    figures: [
      { name: "time", figure: scalingTimeFigure(table, key) },
      { name: "speedup", figure: scalingSpeedupFigure(table, key) },
      { name: "loglik", figure: scalingAccuracyFigure(table, key) },
    ],
  };
}
