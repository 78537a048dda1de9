import { escapeHtml } from "./html";

export interface TableOptions {
  /** Columns in display order; defaults to the keys of all rows in order of first appearance. */
  columns?: readonly string[];
  /** Significant digits of non-integer numbers (default 4); digits left of the point are always kept. */
  digits?: number;
  /** Caption above the table (HTML) or line before it (Markdown). */
  caption?: string;
}

/** Renders rows of objects as an HTML table, numbers right-aligned, e.g. for a notebook output. */
export function htmlTable(rows: readonly Record<string, unknown>[], options: TableOptions = {}): string {
  const columns = tableColumns(rows, options);
  const digits = checkDigits(options.digits);
  const numeric = columns.map((column) => isNumericColumn(rows, column));
  const align = (index: number) => (numeric[index] ? ' style="text-align: right;"' : "");

  const lines = ["<table>"];
  if (options.caption) lines.push(`<caption style="text-align: left; white-space: nowrap;">${escapeHtml(options.caption)}</caption>`);
  lines.push(`<thead><tr>${columns.map((column, c) => `<th${align(c)}>${escapeHtml(column)}</th>`).join("")}</tr></thead>`);
  lines.push("<tbody>");
  for (const row of rows) {
    const cells = columns.map((column, c) => `<td${align(c)}>${escapeHtml(formatCell(row[column], digits))}</td>`);
    lines.push(`<tr>${cells.join("")}</tr>`);
  }
  lines.push("</tbody>", "</table>");

  return lines.join("\n");
}

/** Renders rows of objects as a GitHub-flavoured Markdown table, numeric columns right-aligned, e.g. for a report. */
export function markdownTable(rows: readonly Record<string, unknown>[], options: TableOptions = {}): string {
  const columns = tableColumns(rows, options);
  const digits = checkDigits(options.digits);
  const rule = columns.map((column) => (isNumericColumn(rows, column) ? "---:" : "---"));

  const lines: string[] = [];
  if (options.caption) lines.push(escapeMarkdown(options.caption), "");
  lines.push(`| ${columns.map(escapeMarkdown).join(" | ")} |`);
  lines.push(`| ${rule.join(" | ")} |`);
  for (const row of rows) {
    lines.push(`| ${columns.map((column) => escapeMarkdown(formatCell(row[column], digits))).join(" | ")} |`);
  }

  return lines.join("\n");
}

/**
 * Formats one table cell: integers in full, other numbers with `digits` significant digits but
 * every digit left of the point (12345.678 → "12346", 1.23456 → "1.235", 0.000123456 → "0.0001235"),
 * null and undefined as "", objects as JSON.
 */
export function formatCell(value: unknown, digits = 4): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value, digits);
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);

  const magnitude = Math.abs(value);
  if (magnitude >= 1) {
    const integerDigits = Math.floor(Math.log10(magnitude)) + 1;
    return value.toFixed(Math.max(0, digits - integerDigits));
  }
  return String(Number(value.toPrecision(digits)));
}

function tableColumns(rows: readonly Record<string, unknown>[], options: TableOptions): string[] {
  if (options.columns) return [...options.columns];

  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

function checkDigits(digits: number | undefined): number {
  const value = digits ?? 4;
  if (!Number.isInteger(value) || value < 1 || value > 17) {
    throw new Error(`digits is ${digits}; give an integer number of significant digits from 1 to 17.`);
  }
  return value;
}

/** Returns true when every non-missing value of the column is a number. */
function isNumericColumn(rows: readonly Record<string, unknown>[], column: string): boolean {
  const values = rows.map((row) => row[column]).filter((value) => value !== null && value !== undefined);
  return values.length > 0 && values.every((value) => typeof value === "number");
}

/** Escapes the Markdown table delimiter and keeps each row on one line. */
function escapeMarkdown(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}
