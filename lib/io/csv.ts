import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import Papa from "papaparse";

import { describeFileError, writeFileAtomic } from "./atomic";

/** A CSV file of numbers: column names and columns as typed arrays. */
export interface NumericTable {
  columns: string[];
  /** One Float64Array per column, each of length rows. */
  values: Float64Array[];
  rows: number;
}

/**
 * Reads a CSV file with a header row. The columns in `numericColumns` (all columns when omitted) must hold
 * finite numbers on every row; the error names the file, line, column and value otherwise.
 */
export function readNumericCsv(path: string, numericColumns?: string[]): NumericTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`Cannot read CSV file '${path}': ${describeFileError(error)}. Check the path.`);
  }
  return parseNumericCsv(text, path, numericColumns);
}

/** Parses CSV text (see readNumericCsv); `source` names the file in errors. */
export function parseNumericCsv(text: string, source: string, numericColumns?: string[]): NumericTable {
  const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: true });
  const records = parsed.data;
  if (records.length === 0) throw new Error(`CSV file '${source}' is empty; it needs a header row and at least one data row.`);

  const header = records[0].map((name) => name.trim());
  const requestedColumns = numericColumns ?? header;
  const indices = requestedColumns.map((name) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`Column '${name}' is missing from '${source}'; the columns are: ${header.join(", ")}.`);
    return index;
  });

  const rows = records.length - 1;
  if (rows === 0) throw new Error(`CSV file '${source}' has a header but no data rows.`);
  const values = requestedColumns.map(() => new Float64Array(rows));

  for (let r = 0; r < rows; r++) {
    const record = records[r + 1];
    if (record.length !== header.length) {
      throw new Error(`Line ${r + 2} of '${source}' has ${record.length} fields but the header has ${header.length}; fix or remove that line.`);
    }
    for (let c = 0; c < indices.length; c++) {
      const raw = record[indices[c]].trim();
      const value = raw === "" ? NaN : Number(raw);
      if (!Number.isFinite(value)) {
        const displayedValue = raw === "" ? "empty" : `'${raw}'`;
        throw new Error(`Column '${requestedColumns[c]}' has a non-numeric or non-finite value (${displayedValue}) at line ${r + 2} of '${source}'; every value must be a finite number, so remove or impute that row.`);
      }
      values[c][r] = value;
    }
  }

  return { columns: requestedColumns, values, rows };
}

/** Writes columns of numbers as CSV with a header row, atomically. */
export function writeNumericCsv(path: string, columns: string[], values: ArrayLike<number>[]): void {
  const rows = values.length > 0 ? values[0].length : 0;
  const lines = [columns.join(",")];
  for (let r = 0; r < rows; r++) lines.push(values.map((column) => String(column[r])).join(","));
  writeFileAtomic(path, lines.join("\n") + "\n");
}

/** Reads the column names of a CSV file from its first line. */
export function readCsvHeader(path: string): string[] {
  // Only the first 64 KiB are read: the header is needed before choosing which columns to parse.
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new Error(`Cannot read CSV file '${path}': ${describeFileError(error)}. Check the path.`);
  }
  const buffer = Buffer.alloc(65536);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  closeSync(fd);
  const firstLine = buffer.subarray(0, length).toString("utf8").split(/\r?\n/)[0];
  return firstLine.split(",").map((name) => name.trim().replace(/^"|"$/g, ""));
}
