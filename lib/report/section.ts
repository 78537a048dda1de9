import type { Figure } from "../plots/figure";
import type { SettingValue } from "../sweep/grid";

/** A figure of the report, written as <section>-<name>.png and .html. */
export interface ReportFigure {
  /** File name part, e.g. "boxes-balanced". */
  name: string;
  figure: Figure;
}

/** A table of the report, written as <section>-<name>.md and .csv. */
export interface ReportTable {
  name: string;
  caption: string;
  rows: Record<string, SettingValue>[];
}

/** One experiment's part of the report: a title, a short text, its tables and figures. */
export interface ReportSection {
  /** File name prefix, e.g. "d2". */
  name: string;
  title: string;
  /** Markdown paragraph under the title: what was run and how to read it. */
  text: string;
  tables: ReportTable[];
  figures: ReportFigure[];
}
