/** Error in a data file, carrying the path and, when known, the 1-based line number of the decompressed text. */
export class DataFileError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  /** The message without the file and line prefix. */
  readonly detail: string;

  constructor(file: string, line: number | undefined, detail: string) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'DataFileError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** The fix suggested by every DataFileError about damaged content. */
export const RESTORE_HINT = 'Replace the file with an intact copy of the original.';
