import type { Data } from "plotly.js-dist";
import { baseLayout, checkLength, toNumberArray, traceColor, type Figure, type FigureOptions } from "./figure";

/** One curve of a line plot. */
export interface LineSeries {
  /** Legend entry. */
  name: string;
  /** Horizontal coordinates, length m, in drawing order. */
  x: ArrayLike<number>;
  /** Vertical coordinates, length m. */
  y: ArrayLike<number>;
  /** Plotly dash style: "solid" (default), "dash", "dot", "dashdot". */
  dash?: "solid" | "dash" | "dot" | "dashdot";
}

/** Builds a line plot with one trace and legend entry per series, e.g. gate probabilities over a grid. */
export function lineFigure(series: readonly LineSeries[], options: FigureOptions): Figure {
  if (series.length === 0) {
    throw new Error("lineFigure got no series; pass at least one { name, x, y }.");
  }

  const data: Data[] = series.map((curve, index) => {
    checkLength(`series "${curve.name}" y`, curve.y, curve.x.length, "its x");
    return {
      type: "scatter",
      mode: "lines",
      name: curve.name,
      x: toNumberArray(curve.x),
      y: toNumberArray(curve.y),
      line: { color: traceColor(index), dash: curve.dash ?? "solid" },
    };
  });

  return { data, layout: baseLayout(options) };
}
