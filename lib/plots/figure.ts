import type { Config, Data, Layout } from "plotly.js-dist";

/**
 * A plotly figure as plain JSON-ready data: the `data`, `layout` and optional `config` arguments of
 * `Plotly.newPlot`. The same object is shown in notebooks and written to HTML, PNG or SVG files.
 */
export interface Figure {
  /** Traces, drawn in order. */
  data: Data[];
  layout: Partial<Layout>;
  config?: Partial<Config>;
}

/** An axis quantity and its unit, e.g. `{ label: "heart rate", unit: "beats/min" }`. */
export interface AxisSpec {
  label: string;
  /** Unit of the quantity; "" marks a dimensionless quantity (probability, count, index), shown without a unit. */
  unit: string;
}

/** Options shared by the figure builders. */
export interface FigureOptions {
  x: AxisSpec;
  y: AxisSpec;
  title?: string;
  /** Title shown above the legend entries, e.g. "expert" or "method". */
  legendTitle?: string;
}

/** Formats an axis title as "label (unit)", or "label" for a dimensionless quantity. */
export function axisTitle(axis: AxisSpec): string {
  if (typeof axis?.label !== "string" || axis.label.trim() === "") {
    throw new Error(`Axis label is ${JSON.stringify(axis?.label)}; give every axis a non-empty label such as "time".`);
  }
  if (typeof axis.unit !== "string") {
    throw new Error(`Axis "${axis.label}" has unit ${JSON.stringify(axis.unit)}; give a unit string such as "s", or "" for a dimensionless quantity.`);
  }

  return axis.unit === "" ? axis.label : `${axis.label} (${axis.unit})`;
}

/**
 * Builds the layout shared by the single-panel builders: title, axis titles from `options` and an
 * always-visible legend (plotly hides the legend of a single-trace figure unless `showlegend` is set).
 */
export function baseLayout(options: FigureOptions): Partial<Layout> {
  const layout: Partial<Layout> = {
    xaxis: { title: { text: axisTitle(options.x) } },
    yaxis: { title: { text: axisTitle(options.y) } },
    showlegend: true,
    legend: options.legendTitle ? { title: { text: options.legendTitle } } : {},
  };

  if (options.title) layout.title = { text: options.title };
  return layout;
}

/** Plotly's default trace colours (its `colorway`), so a label or method keeps one colour across panels. */
export const TRACE_COLORS: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Returns the colour of the `index`-th label or method, cycling through TRACE_COLORS. */
export function traceColor(index: number): string {
  return TRACE_COLORS[index % TRACE_COLORS.length];
}

/** Copies numbers into a plain array, because JSON.stringify writes a typed array as an object keyed by index. */
export function toNumberArray(values: ArrayLike<number>): number[] {
  return Array.from(values);
}

/** Throws unless `values` has `expected` entries; `name` is the argument named in the error. */
export function checkLength(name: string, values: ArrayLike<unknown>, expected: number, reference: string): void {
  if (values.length !== expected) {
    throw new Error(`${name} has ${values.length} values but ${reference} has ${expected}; give one value per point.`);
  }
}

/**
 * Serializes a figure to JSON. Typed arrays become plain arrays and NaN or ±Infinity become null,
 * which plotly draws as a gap.
 */
export function figureToJson(figure: Figure): string {
  checkFigure(figure);

  return JSON.stringify(figure, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return Array.from(value as unknown as ArrayLike<number>);
    }
    return value;
  });
}

/** Throws unless `figure` has a `data` array and a `layout` object. */
export function checkFigure(figure: Figure): void {
  if (figure === null || typeof figure !== "object") {
    throw new Error(`Figure is ${figure === null ? "null" : typeof figure}; pass an object { data, layout } from a figure builder.`);
  }
  if (!Array.isArray(figure.data)) {
    throw new Error(`Figure data is ${typeof figure.data}; set figure.data to an array of plotly traces.`);
  }
  if (figure.layout === null || typeof figure.layout !== "object") {
    throw new Error(`Figure layout is ${figure.layout === null ? "null" : typeof figure.layout}; set figure.layout to an object (it may be empty).`);
  }
}

/**
 * Returns the figure with a config that keeps the interactive plot offline: no "share chart" button
 * (plotly.js 4 shows it by default and uploads to plotlyServerURL) and no plotly logo link.
 * The caller's config may show the logo again but cannot re-enable sharing.
 */
export function offlineFigure(figure: Figure): Figure {
  checkFigure(figure);
  const config: Partial<Config> = { displaylogo: false, ...figure.config, showSendToCloud: false, plotlyServerURL: "" };
  return { ...figure, config };
}

/** Returns the figure title, or "" when it has none. */
export function figureTitle(figure: Figure): string {
  const title = figure.layout.title;
  if (typeof title === "string") return title;
  return title?.text ?? "";
}
