import type { ErrorBarSeries } from "../plots/error-bars";
import type { SettingValue } from "../sweep/grid";
import { meanAndSd } from "../sweep/summary";
import type { SweepRow } from "../sweep/table";

export interface SeriesOptions {
  /** Numeric column on the x axis, e.g. "M". */
  x: string;
  /** Metric column on the y axis, e.g. "wallSeconds". */
  y: string;
  /** Column that names the series; default "method". */
  seriesBy?: string;
  /** Series to draw, in legend order; default every value of `seriesBy` in order of first appearance. */
  series?: readonly string[];
  /** Legend name of a series; default its value. */
  seriesName?: (value: string) => string;
}

/**
 * Groups rows into one curve per series (by default per method): at each x the mean of y over the rows and
 * its standard deviation (0 with one value) as the error bar. Rows with a null x or y are left out, and
 * series without any point are dropped.
 */
export function meanSeries(rows: readonly SweepRow[], options: SeriesOptions): ErrorBarSeries[] {
  const seriesBy = options.seriesBy ?? "method";
  const names = options.series ?? distinctStrings(rows.map((row) => row[seriesBy]));

  return names
    .map((name) => {
      const byX = new Map<number, number[]>();
      for (const row of rows) {
        const x = row[options.x];
        const y = row[options.y];
        if (String(row[seriesBy]) !== name || typeof x !== "number" || typeof y !== "number") continue;
        const values = byX.get(x);
        if (values) values.push(y);
        else byX.set(x, [y]);
      }

      const xs = [...byX.keys()].sort((a, b) => a - b);
      const stats = xs.map((x) => meanAndSd(byX.get(x)!));
      return {
        name: options.seriesName ? options.seriesName(name) : name,
        x: xs,
        mean: stats.map((stat) => stat.mean as number),
        error: stats.map((stat) => stat.sd ?? 0),
      };
    })
    .filter((series) => series.x.length > 0);
}

/** Distinct non-null values as strings, in order of first appearance. */
export function distinctStrings(values: readonly (SettingValue | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const value of values) if (value !== null && value !== undefined) seen.add(String(value));
  return [...seen];
}

/** Puts the x-axis ticks at the x values of the series, so a log axis over a short range shows the grid values. */
export function tickAtSeriesValues<T extends { layout: { xaxis?: object } }>(figure: T, series: readonly ErrorBarSeries[]): T {
  const values = [...new Set(series.flatMap((curve) => Array.from(curve.x)))].sort((a, b) => a - b);
  figure.layout.xaxis = { ...figure.layout.xaxis, tickvals: values };
  return figure;
}
