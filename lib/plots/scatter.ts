import type { Data } from "plotly.js-dist";
import { baseLayout, checkLength, traceColor, type Figure, type FigureOptions } from "./figure";

/** Points with one label each, e.g. a covariate, the response and the expert that generated each point. */
export interface LabelledPoints {
  /** Horizontal coordinates, length n. */
  x: ArrayLike<number>;
  /** Vertical coordinates, length n. */
  y: ArrayLike<number>;
  /** Label of each point, length n: an expert index, cluster id or category name. */
  labels: ArrayLike<number | string>;
}

export interface ScatterOptions extends FigureOptions {
  /** Legend name of each label; defaults to the label itself. */
  labelName?: (label: number | string) => string;
  /** Marker diameter in px (default 5). */
  markerSize?: number;
  /** Marker opacity in [0, 1] (default 0.7), lower for many overlapping points. */
  opacity?: number;
}

/**
 * Builds a scatter plot with one trace, colour and legend entry per distinct label. Numeric labels
 * are ordered ascending and string labels in order of first appearance.
 */
export function scatterByLabel(points: LabelledPoints, options: ScatterOptions): Figure {
  const n = points.x.length;
  checkLength("points.y", points.y, n, "points.x");
  checkLength("points.labels", points.labels, n, "points.x");

  const distinct = distinctLabels(points.labels);
  const labelName = options.labelName ?? ((label: number | string) => String(label));

  // Row indices of each label, in the order of `distinct`.
  const rowsOfLabel = new Map<number | string, number[]>(distinct.map((label) => [label, []]));
  for (let i = 0; i < n; i++) rowsOfLabel.get(points.labels[i])!.push(i);

  const data: Data[] = distinct.map((label, index) => {
    const rows = rowsOfLabel.get(label)!;
    return {
      type: "scatter",
      mode: "markers",
      name: labelName(label),
      x: rows.map((i) => points.x[i]),
      y: rows.map((i) => points.y[i]),
      marker: { color: traceColor(index), size: options.markerSize ?? 5, opacity: options.opacity ?? 0.7 },
    };
  });

  return { data, layout: baseLayout(options) };
}

/** Returns the distinct labels: numbers ascending, strings in order of first appearance. */
function distinctLabels(labels: ArrayLike<number | string>): (number | string)[] {
  const seen = new Set<number | string>();
  for (let i = 0; i < labels.length; i++) seen.add(labels[i]);

  const distinct = [...seen];
  if (distinct.every((label) => typeof label === "number")) {
    (distinct as number[]).sort((a, b) => a - b);
  }
  return distinct;
}
