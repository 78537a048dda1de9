import type { Data } from "plotly.js-dist";

import { baseLayout, traceColor, type Figure, type FigureOptions } from "../plots/figure";

/** One group member of a grouped bar chart: a bar per category with a mean and an error half-length. */
export interface BarSeries {
  /** Legend entry, e.g. a method. */
  name: string;
  /** Mean per category, in the order of `categories`; null leaves the bar out. */
  mean: (number | null)[];
  /** Error bar half-length per category (a standard deviation, as the axis label states). */
  error: (number | null)[];
}

export interface GroupedBarOptions extends FigureOptions {
  /** Plotly axis type of y: "linear" (default) or "log". */
  yType?: "linear" | "log";
}

/**
 * Builds a grouped bar chart: categories on the x axis (e.g. split scenarios), one bar per series in each
 * category with error bars of ± error, one legend entry and colour per series.
 */
export function groupedBarFigure(categories: readonly string[], series: readonly BarSeries[], options: GroupedBarOptions): Figure {
  if (series.length === 0) throw new Error("groupedBarFigure got no series; pass at least one { name, mean, error }.");
  for (const bars of series) {
    if (bars.mean.length !== categories.length || bars.error.length !== categories.length) {
      throw new Error(`Series "${bars.name}" has ${bars.mean.length} means and ${bars.error.length} errors for ${categories.length} categories; give one of each per category.`);
    }
  }

  const data: Data[] = series.map((bars, index) => ({
    type: "bar",
    name: bars.name,
    x: [...categories],
    y: bars.mean,
    error_y: { type: "data", array: bars.error.map((error) => error ?? 0), visible: true },
    marker: { color: traceColor(index) },
  }));

  const layout = baseLayout(options);
  layout.barmode = "group";
  if (options.yType) layout.yaxis = { ...layout.yaxis, type: options.yType };
  return { data, layout };
}
