import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import Papa from "papaparse";

import { writeFileAtomic } from "../io/atomic";
import type { SettingValue } from "./grid";

/**
 * One row of a sweep's results table: the cell number (0-based, in grid order), the setting's values, the
 * replicate, the seed, the method, and the method's metric, time and communication columns.
 */
export type SweepRow = { cell: number; replicate: number; seed: number; method: string } & Record<string, SettingValue>;

/** A tidy results table: one row per setting, replicate and method. */
export interface SweepTable {
  /** Experiment name, e.g. "d2". */
  experiment: string;
  /** Column order: cell, the setting keys, replicate, seed, method, then the result columns. */
  columns: string[];
  /** Keys of the setting columns. */
  settingKeys: string[];
  /** Cells of the whole sweep, all shards together (settings × replicates); null when unknown (a table read from CSV). */
  totalCells: number | null;
  rows: SweepRow[];
}

/**
 * Writes a table as CSV at `csvPath` and as JSON next to it (the same name ending in .json instead of .csv).
 * Empty CSV fields are null; the JSON copy keeps the experiment name and setting keys for sweep-merge.
 * Both writes are atomic, and the folder is created if needed. Returns the two paths.
 */
export function writeSweepTable(table: SweepTable, csvPath: string): { csv: string; json: string } {
  const json = jsonPathOf(csvPath);
  mkdirSync(dirname(csvPath), { recursive: true });
  writeFileAtomic(csvPath, sweepTableCsv(table));
  writeFileAtomic(json, JSON.stringify(table, null, 1) + "\n");
  return { csv: csvPath, json };
}

/** Renders a table as CSV text: a header row, then one line per row; numbers in full precision, null as an empty field. */
export function sweepTableCsv(table: Pick<SweepTable, "columns" | "rows">): string {
  const data = table.rows.map((row) => table.columns.map((column) => csvField(row[column])));
  return Papa.unparse({ fields: table.columns, data }, { newline: "\n" }) + "\n";
}

/**
 * Reads a table written by writeSweepTable. A .json path is read as is. A .csv path is read from its JSON
 * twin when that exists, and parsed as CSV otherwise: the experiment name is then "" and the setting keys are
 * the columns between "cell" and "replicate".
 */
export function readSweepTable(path: string): SweepTable {
  const jsonPath = path.endsWith(".json") ? path : jsonPathOf(path);
  let text: string;
  try {
    text = readFileSync(jsonPath, "utf8");
  } catch {
    if (path.endsWith(".json")) throw new Error(`Cannot read the sweep table '${path}'; check the path.`);
    return parseSweepCsv(readText(path), path);
  }

  let table: SweepTable;
  try {
    table = JSON.parse(text) as SweepTable;
  } catch (error) {
    throw new Error(`'${jsonPath}' is not valid JSON (${(error as Error).message}); rewrite it with 'otmoe sweep' or remove it to read the CSV.`);
  }
  if (!Array.isArray(table.columns) || !Array.isArray(table.rows)) {
    throw new Error(`'${jsonPath}' is not a sweep table (no columns or rows); pass a file written by 'otmoe sweep'.`);
  }
  return { ...table, experiment: table.experiment ?? "", settingKeys: table.settingKeys ?? [], totalCells: table.totalCells ?? null };
}

/** Parses CSV text of a sweep table; `source` names the file in errors. */
export function parseSweepCsv(text: string, source: string): SweepTable {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  if (parsed.errors.length > 0) {
    const error = parsed.errors[0];
    throw new Error(`Cannot parse '${source}' as CSV: ${error.message} at row ${error.row}.`);
  }

  const columns = parsed.meta.fields ?? [];
  for (const required of ["cell", "replicate", "seed", "method"]) {
    if (!columns.includes(required)) throw new Error(`'${source}' has no "${required}" column; pass a table written by 'otmoe sweep'.`);
  }
  const settingKeys = columns.slice(columns.indexOf("cell") + 1, columns.indexOf("replicate"));
  const rows = parsed.data.map((record) => {
    const row: Record<string, SettingValue> = {};
    for (const column of columns) row[column] = column === "method" ? record[column] : parseField(record[column]);
    return row as SweepRow;
  });
  return { experiment: "", columns, settingKeys, totalCells: null, rows };
}

/**
 * Joins the tables of several shards of one sweep into the table of the whole sweep: rows sorted by cell,
 * each cell's rows in their original order, columns the union in order of first appearance.
 *
 * @param sources - names of the tables for error messages (file paths), one per table
 * @throws when the tables come from different experiments or sweeps of different sizes, or one cell appears in two tables
 */
export function mergeSweepTables(tables: readonly SweepTable[], sources: readonly string[] = tables.map((_, i) => `table ${i + 1}`)): SweepTable {
  if (tables.length === 0) throw new Error("No tables to merge; give at least one results table.");

  const experiments = new Set(tables.map((table) => table.experiment).filter((name) => name !== ""));
  if (experiments.size > 1) {
    throw new Error(`The tables come from different experiments (${[...experiments].join(", ")}); merge only shards of one sweep.`);
  }

  const sizes = new Set(tables.map((table) => table.totalCells).filter((total) => total !== null));
  if (sizes.size > 1) {
    throw new Error(`The tables come from sweeps of ${[...sizes].join(" and ")} cells; merge only shards of one sweep.`);
  }

  const owner = new Map<number, number>();
  tables.forEach((table, t) => {
    for (const cell of new Set(table.rows.map((row) => row.cell))) {
      const first = owner.get(cell);
      if (first !== undefined) {
        throw new Error(`Cell ${cell} is in both ${sources[first]} and ${sources[t]}; merge the tables of disjoint shards only.`);
      }
      owner.set(cell, t);
    }
  });

  const columns = [...new Set(tables.flatMap((table) => table.columns))];
  const settingKeys = [...new Set(tables.flatMap((table) => table.settingKeys))];
  const rows = tables.flatMap((table) => table.rows.map((row) => completeRow(row, columns)));
  rows.sort((a, b) => a.cell - b.cell);

  return { experiment: [...experiments][0] ?? "", columns, settingKeys, totalCells: [...sizes][0] ?? null, rows };
}

/** Returns the cell numbers in 0..totalCells−1 that have no row, ascending; empty when totalCells is unknown. */
export function missingCells(table: Pick<SweepTable, "rows" | "totalCells">): number[] {
  if (table.totalCells === null) return [];
  const present = new Set(table.rows.map((row) => row.cell));
  return Array.from({ length: table.totalCells }, (_, cell) => cell).filter((cell) => !present.has(cell));
}

/** Returns `path` with .csv replaced by .json (or .json appended). */
export function jsonPathOf(csvPath: string): string {
  return csvPath.endsWith(".csv") ? `${csvPath.slice(0, -4)}.json` : `${csvPath}.json`;
}

function completeRow(row: SweepRow, columns: readonly string[]): SweepRow {
  const complete: Record<string, SettingValue> = {};
  for (const column of columns) complete[column] = row[column] ?? null;
  return complete as SweepRow;
}

function csvField(value: SettingValue | undefined): string {
  if (value === null || value === undefined) return "";
  return String(value);
}

/** Empty → null, "true"/"false" → boolean, a decimal number → number, anything else stays a string. */
function parseField(text: string | undefined): SettingValue {
  if (text === undefined || text === "") return null;
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`Cannot read the sweep table '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Check the path.`);
  }
}
