import type { Data } from "plotly.js-dist";
import { baseLayout, checkLength, toNumberArray, traceColor, type Figure, type FigureOptions } from "./figure";

/** One curve of means with symmetric error bars, e.g. a metric against the number of machines over replicates. */
export interface ErrorBarSeries {
  /** Legend entry. */
  name: string;
  /** Horizontal coordinates, length m. */
  x: ArrayLike<number>;
  /** Mean at each x, length m. */
  mean: ArrayLike<number>;
  /**
   * Half-length of the bar at each x, length m, in the unit of the y axis: a standard deviation,
   * standard error or interval half-width, as the caller states in the title or axis label.
   */
  error: ArrayLike<number>;
}

export interface ErrorBarOptions extends FigureOptions {
  /** Plotly axis type of x: "linear" (default) or "log", e.g. for the number of machines 4, 16, 64, 128. */
  xType?: "linear" | "log";
}

/** Builds a plot of mean curves (lines and markers) with error bars of ± `error`, one legend entry per series. */
export function errorBarFigure(series: readonly ErrorBarSeries[], options: ErrorBarOptions): Figure {
  if (series.length === 0) {
    throw new Error("errorBarFigure got no series; pass at least one { name, x, mean, error }.");
  }

  const data: Data[] = series.map((curve, index) => {
    checkLength(`series "${curve.name}" mean`, curve.mean, curve.x.length, "its x");
    checkLength(`series "${curve.name}" error`, curve.error, curve.x.length, "its x");
    for (let i = 0; i < curve.error.length; i++) {
      if (curve.error[i] < 0) {
        throw new Error(`Series "${curve.name}" has error ${curve.error[i]} at index ${i}; error bars are half-lengths and must be >= 0.`);
      }
    }

    return {
      type: "scatter",
      mode: "lines+markers",
      name: curve.name,
      x: toNumberArray(curve.x),
      y: toNumberArray(curve.mean),
      error_y: { type: "data", array: toNumberArray(curve.error), visible: true },
      line: { color: traceColor(index) },
      marker: { color: traceColor(index) },
    };
  });

  const layout = baseLayout(options);
  if (options.xType) layout.xaxis = { ...layout.xaxis, type: options.xType };
  return { data, layout };
}
