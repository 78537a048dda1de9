import { gunzipSync } from 'node:zlib';

import { DataFileError, RESTORE_HINT } from './dataFileError';
import { CHECKSUM_MISMATCH, countLineFeeds, describeGzipFailure, inflateWithoutChecksum, readCompressedFile } from './gzip';

export { DataFileError } from './dataFileError';

/** The part of the papaparse 5 API used here; the package ships no TypeScript declarations. */
interface PapaStepResult {
  data: string[];
  errors: { message: string }[];
  meta: { cursor: number };
}

interface PapaParse {
  parse(text: string, config: { delimiter: string; header: false; skipEmptyLines: false; step(result: PapaStepResult): void }): void;
}

const Papa: PapaParse = require('papaparse');

/** Callbacks of parseCsv: the header once, then each data row with its 1-based line number. */
export interface CsvHandlers {
  /** Receives the header fields and the number of line feeds in the text, an upper bound on the data rows. */
  onHeader(header: string[], lineFeeds: number): void;
  onRow(fields: string[], line: number): void;
}

/**
 * Reads a gzip-compressed CSV file and passes its rows to `handlers` (see parseCsv).
 *
 * Throws DataFileError naming the file, and the line where it can be located, when the file is missing, its gzip
 * data is truncated or corrupt, or a row is malformed. When only the gzip checksum fails, the damaged text is
 * parsed anyway to report its first malformed line. The call throws in that case even if every line parses.
 */
export function readGzipCsv(file: string, handlers: CsvHandlers): void {
  const compressed = readCompressedFile(file);

  let text: string;
  try {
    text = gunzipSync(compressed).toString('utf8');
  } catch (error) {
    if ((error as Error).message !== CHECKSUM_MISMATCH) throw describeGzipFailure(file, compressed, error as NodeJS.ErrnoException);
    throw locateChecksumDamage(file, compressed, handlers);
  }

  parseCsv(text, file, handlers);
}

/** Parses the damaged text of a file whose gzip checksum failed and returns an error at its first malformed line, if any. */
function locateChecksumDamage(file: string, compressed: Buffer, handlers: CsvHandlers): DataFileError {
  const reason = `the gzip checksum fails (zlib: ${CHECKSUM_MISMATCH})`;
  const damaged = inflateWithoutChecksum(compressed);
  if (damaged === undefined) return new DataFileError(file, undefined, `${reason}. ${RESTORE_HINT}`);

  try {
    parseCsv(damaged, file, handlers);
  } catch (error) {
    if (!(error instanceof DataFileError) || error.line === undefined) throw error;
    return new DataFileError(file, error.line, `${reason}, and this is the first malformed line of the damaged text: ${error.detail}`);
  }

  return new DataFileError(file, undefined, `${reason}, although every line parses, so the damaged line cannot be located. ${RESTORE_HINT}`);
}

/**
 * Parses comma-separated text with papaparse, calling `onHeader` for the first non-blank line and `onRow` for
 * each data row.
 *
 * Blank lines are skipped. Every data row must have as many fields as the header, otherwise a DataFileError
 * names the file and the line. Line numbers count lines of `text`, so they match `gzip -dc FILE | sed -n 'Np'`
 * even when a quoted field contains a line break.
 */
export function parseCsv(text: string, file: string, handlers: CsvHandlers): void {
  let header: string[] | undefined;
  let rowStart = 0;
  let line = 1;
  let scanned = 0;

  Papa.parse(text, {
    delimiter: ',',
    header: false,
    skipEmptyLines: false,
    step(result) {
      const start = rowStart;
      rowStart = result.meta.cursor;

      // Line number of `start` = 1 + line feeds before it.
      for (let at = text.indexOf('\n', scanned); at !== -1 && at < start; at = text.indexOf('\n', at + 1)) {
        line++;
        scanned = at + 1;
      }

      const fields = result.data;
      if (fields.length === 1 && fields[0].trim() === '') return;

      if (result.errors.length > 0) {
        throw new DataFileError(file, line, `malformed CSV row (${result.errors[0].message}). ${RESTORE_HINT}`);
      }

      if (header === undefined) {
        header = fields;
        handlers.onHeader(header, countLineFeeds(text));
        return;
      }

      if (fields.length !== header.length) {
        throw new DataFileError(
          file,
          line,
          `expected ${header.length} comma-separated fields as in the header but found ${fields.length}. The row is truncated or malformed. ${RESTORE_HINT}`,
        );
      }

      handlers.onRow(fields, line);
    },
  });

  if (header === undefined) {
    throw new DataFileError(file, 1, `the file is empty. Expected a header line. ${RESTORE_HINT}`);
  }
}

/** Returns the index of each of `names` in a CSV header, or throws a DataFileError naming the missing column. */
export function columnIndices(header: readonly string[], names: readonly string[], file: string): number[] {
  return names.map((name) => {
    const index = header.indexOf(name);
    if (index === -1) {
      const found = header.map((column) => JSON.stringify(column)).join(', ');
      throw new DataFileError(file, 1, `missing column "${name}" in the header (found ${found}). ${RESTORE_HINT}`);
    }
    return index;
  });
}

/**
 * Parses one numeric CSV field. An empty field, `NA` or `NaN` is a missing value and gives NaN. Any other text
 * that is not a number throws a DataFileError naming the file, line, column and value.
 */
export function parseNumericField(field: string, file: string, line: number, column: string): number {
  const text = field.trim();
  if (text === '' || text === 'NA' || text === 'NaN' || text === 'nan') return NaN;

  const value = Number(text);
  if (Number.isNaN(value)) {
    throw new DataFileError(file, line, `column "${column}" has the non-numeric value ${JSON.stringify(field)}. Correct the value or restore the original file.`);
  }
  return value;
}
