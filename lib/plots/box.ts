import type { Data, Layout } from "plotly.js-dist";
import { axisTitle, traceColor, type AxisSpec, type Figure } from "./figure";

/** A metric column of the result rows and its axis, e.g. `{ key: "rmse", label: "test RMSE", unit: "beats/min" }`. */
export interface MetricSpec extends AxisSpec {
  /** Name of the column in the result rows. */
  key: string;
}

export interface BoxPlotOptions {
  /** Metrics to plot, one panel each. */
  metrics: readonly MetricSpec[];
  /** Column that contains the method name (default "method"). */
  methodKey?: string;
  /** Order of the methods on each x axis and in the legend; defaults to order of first appearance. */
  methods?: readonly string[];
  /** Panels per row (default: all metrics in one row, at most 3). */
  columns?: number;
  title?: string;
}

/**
 * Builds box plots of each metric by method, one panel per metric with its own y axis and unit.
 * `rows` contains one object per replicate and method, e.g. `{ method: "reduction", replicate: 3, rmse: 1.2 }`.
 * Rows whose metric value is null or undefined are left out of that panel. Boxes show the median and
 * quartiles, with the mean as a dashed line. A method keeps one colour in all panels and one legend entry.
 */
export function boxPlotsByMethod(rows: readonly Record<string, unknown>[], options: BoxPlotOptions): Figure {
  const methodKey = options.methodKey ?? "method";
  const metrics = options.metrics;
  if (metrics.length === 0) {
    throw new Error('boxPlotsByMethod got no metrics; pass metrics: [{ key, label, unit }].');
  }

  const methods = options.methods ?? methodsInOrder(rows, methodKey);
  const columns = options.columns ?? Math.min(metrics.length, 3);
  if (!Number.isInteger(columns) || columns < 1) {
    throw new Error(`columns is ${columns}; give a positive integer number of panels per row.`);
  }
  const gridRows = Math.ceil(metrics.length / columns);

  const data: Data[] = [];
  const layout: Partial<Layout> = {
    grid: { rows: gridRows, columns, pattern: "independent" },
    showlegend: true,
    legend: { title: { text: "method" } },
  };
  if (options.title) layout.title = { text: options.title };
  const axes = layout as Record<string, unknown>;

  for (let panel = 0; panel < metrics.length; panel++) {
    const metric = metrics[panel];
    const suffix = panel === 0 ? "" : String(panel + 1);

    methods.forEach((method, methodIndex) => {
      data.push({
        type: "box",
        name: method,
        y: metricValues(rows, methodKey, method, metric.key),
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        marker: { color: traceColor(methodIndex) },
        legendgroup: method,
        showlegend: panel === 0,
        boxmean: true,
      } as Data);
    });

    axes[`xaxis${suffix}`] = { title: { text: axisTitle({ label: "method", unit: "" }) } };
    axes[`yaxis${suffix}`] = { title: { text: axisTitle(metric) } };
  }

  return { data, layout };
}

/** Returns the distinct values of the method column in order of first appearance. */
function methodsInOrder(rows: readonly Record<string, unknown>[], methodKey: string): string[] {
  const methods = new Set<string>();
  rows.forEach((row, index) => {
    const method = row[methodKey];
    if (typeof method !== "string") {
      throw new Error(`Row ${index} has ${methodKey} = ${JSON.stringify(method)}; every row needs a method name string in column "${methodKey}".`);
    }
    methods.add(method);
  });
  return [...methods];
}

/** Collects the numeric values of column `key` over the rows of one method, skipping null and undefined. */
function metricValues(rows: readonly Record<string, unknown>[], methodKey: string, method: string, key: string): number[] {
  const values: number[] = [];

  rows.forEach((row, index) => {
    if (row[methodKey] !== method) return;

    const value = row[key];
    if (value === null || value === undefined) return;
    if (typeof value !== "number") {
      throw new Error(`Row ${index} has ${key} = ${JSON.stringify(value)}; metric columns must hold numbers (or null for a missing value).`);
    }
    values.push(value);
  });

  return values;
}
