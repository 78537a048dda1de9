import { headlineTable } from "../experiments/synthetic-tables";
import { errorBarFigure, type ErrorBarSeries } from "../plots/error-bars";
import type { Figure } from "../plots/figure";
import { meanAndSd } from "../sweep/summary";
import type { SweepRow, SweepTable } from "../sweep/table";
import type { ReportSection } from "./section";
import { distinctStrings, meanSeries, tickAtSeriesValues } from "./series";

/** A metric of the support figures with its axis. */
export interface SupportMetric {
  key: string;
  label: string;
  unit: string;
}

export const SUPPORT_METRICS: Record<"logLikelihood" | "ari" | "divergence", SupportMetric> = {
  logLikelihood: { key: "meanLogLikelihood", label: "test log-likelihood", unit: "nats/point" },
  ari: { key: "adjustedRandIndex", label: "adjusted Rand index", unit: "" },
  divergence: { key: "transportDivergence", label: "transportation divergence to the truth", unit: "nats" },
};

const SUPPORT_AXIS = { label: "support points S", unit: "" };

/**
 * Plots a metric of OT aggregation with support-only gating against the support size S, one curve per support
 * source (pooled rows, one machine's rows, Gaussian draws), with the global fit as a flat reference.
 */
export function supportSourceFigure(table: SweepTable, metric: SupportMetric = SUPPORT_METRICS.logLikelihood): Figure {
  const rows = table.rows.filter((row) => row.method === "ot");
  const series = meanSeries(rows, { x: "supportSize", y: metric.key, seriesBy: "supportSource", seriesName: (source) => `${source} support` });
  const figure = errorBarFigure(withGlobalReference(series, table.rows, metric.key), {
    x: SUPPORT_AXIS,
    y: metric,
    xType: "log",
    title: `OT aggregation (support-only gating): ${metric.label} against S by support source (mean ± sd)`,
    legendTitle: "support source",
  });
  return tickAtSeriesValues(figure, series);
}

/**
 * Plots posterior against support-only gating: a metric against S for the two gating variants, for each support
 * source with responses (pooled and machine; Gaussian draws have none).
 */
export function gatingFigure(table: SweepTable, metric: SupportMetric = SUPPORT_METRICS.logLikelihood): Figure {
  const labelled: SweepRow[] = table.rows
    .filter((row) => (row.method === "ot" || row.method === "ot-posterior") && row.supportSource !== "gaussian")
    .map((row) => ({ ...row, variant: `${row.method === "ot" ? "support-only" : "posterior"} gating, ${row.supportSource} support` }));
  const series = meanSeries(labelled, { x: "supportSize", y: metric.key, seriesBy: "variant" });
  const figure = errorBarFigure(withGlobalReference(series, table.rows, metric.key), {
    x: SUPPORT_AXIS,
    y: metric,
    xType: "log",
    title: `Posterior against support-only gating: ${metric.label} against S (mean ± sd)`,
    legendTitle: "gating and support",
  });
  return tickAtSeriesValues(figure, series);
}

/** Builds the support part of the report. */
export function supportSection(table: SweepTable): ReportSection {
  const sizes = distinctStrings(table.rows.map((row) => row.supportSize));
  const first = table.rows[0];
  return {
    name: "support",
    title: "Support points: size S, source, and the gating variant",
    text:
      `Design D2 (balanced profile), n = ${first?.n} points, M = ${first?.M} machines. The local fits of a replicate are ` +
      `shared by every support; S ∈ {${sizes.join(", ")}}. The divergence to the truth is measured on one fixed pooled support.`,
    tables: [
      {
        name: "comparison",
        caption: "Test metrics by support source, support size and method, mean ± sd over replicates",
        rows: headlineTable(table, ["supportSource", "supportSize"]),
      },
    ],
    figures: [
      { name: "source-loglik", figure: supportSourceFigure(table, SUPPORT_METRICS.logLikelihood) },
      { name: "source-divergence", figure: supportSourceFigure(table, SUPPORT_METRICS.divergence) },
      { name: "gating-loglik", figure: gatingFigure(table, SUPPORT_METRICS.logLikelihood) },
      { name: "gating-ari", figure: gatingFigure(table, SUPPORT_METRICS.ari) },
    ],
  };
}

/** Appends the mean of the global fit as a flat series over the x values of the other series. */
function withGlobalReference(series: ErrorBarSeries[], rows: readonly SweepRow[], key: string): ErrorBarSeries[] {
  const values = rows.filter((row) => row.method === "global").map((row) => row[key]).filter((value): value is number => typeof value === "number");
  const { mean } = meanAndSd(values);
  const xs = [...new Set(series.flatMap((curve) => Array.from(curve.x)))].sort((a, b) => a - b);
  if (mean === null || xs.length === 0) return series;
  return [...series, { name: "global fit (mean)", x: xs, mean: xs.map(() => mean), error: xs.map(() => 0) }];
}
