import { performance } from "node:perf_hooks";

import { cellKey, type CellIdentity } from "./cache-key";
import { CellCache, CELL_FILE_VERSION } from "./cell-cache";
import { describeSetting, expandGrid, gridKeys, type Grid, type Setting } from "./grid";
import type { SweepProgress } from "./progress";
import { toCellRows, type CellOutput, type CellRow } from "./rows";
import { checkShard, inShard, type Shard } from "./shard";
import type { SweepRow, SweepTable } from "./table";

/** Context of a cell function, besides its setting, replicate and seed. */
export interface CellContext {
  /** Aborted when the sweep is interrupted; pass it on to long computations. */
  signal?: AbortSignal;
  /** Reports progress inside the cell, e.g. "local fits 3/16", to the sweep's progress display. */
  report: (message: string) => void;
}

/**
 * Computes one cell of a sweep: the results of every method for one setting and replicate. It must depend
 * only on its arguments, so that a cached cell stands for a recomputed one.
 */
export type CellFunction = (setting: Setting, replicate: number, seed: number, context: CellContext) => CellOutput | Promise<CellOutput>;

export interface SweepOptions {
  /** Experiment name; part of every cache key and of the table. */
  experiment: string;
  /** Settings to run: a grid (cartesian product) or a list of grids; see expandGrid. */
  grid: Grid | readonly Grid[];
  /** Replicates per setting, numbered 1..replicates. */
  replicates: number;
  cell: CellFunction;
  /** Base seed: replicate r runs with seed + r in every setting, so settings are compared on the same draws. Default 0. */
  seed?: number;
  /** Fixed configuration hashed into every cache key, so that changing it recomputes the cells (JSON data). */
  fingerprint?: unknown;
  /** Folder of the cell cache; no caching when omitted. */
  cacheDir?: string;
  /** Runs only this slice of the cells; see inShard. */
  shard?: Shard;
  /** Stops the sweep before the next cell and aborts the running one. */
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
  /** Called for problems that do not stop the sweep (an unreadable cache file). Default: write to stderr. */
  onWarning?: (message: string) => void;
}

export interface SweepResult {
  table: SweepTable;
  /** Cells of this shard, computed and read from the cache. */
  cells: number;
  computed: number;
  cached: number;
  /** Wall time of the sweep, seconds. */
  seconds: number;
}

/**
 * Runs a sweep: every setting of the grid × every replicate is one cell, and each cell's function returns
 * one row per method. Cells run one after the other, in grid order (settings outer, replicates inner).
 * With a cache folder each finished cell is written to its own file at once, and cells already there are
 * read instead of computed, so an interrupted sweep resumes where it stopped.
 *
 * @returns the tidy table of this shard's cells; see SweepTable for the columns
 * @throws when the signal aborts (finished cells stay cached), or a cell function throws (the error names the cell)
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  checkSweepOptions(options);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const baseSeed = options.seed ?? 0;
  const settings = expandGrid(options.grid);
  const settingKeys = gridKeys(options.grid);
  const cache = options.cacheDir !== undefined ? new CellCache(options.cacheDir) : null;
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`sweep ${options.experiment}: ${message}\n`));

  // Cells in grid order, numbered over the whole sweep so that shards keep their place in the merged table.
  const cells = settings.flatMap((setting, s) =>
    Array.from({ length: options.replicates }, (_, r) => ({ number: s * options.replicates + r, setting, replicate: r + 1 })),
  ).filter((cell) => inShard(cell.number, options.shard));

  let done = 0;
  let cached = 0;
  let computeSeconds = 0;
  const progress = (event: SweepProgress["event"], extra: Partial<SweepProgress> = {}): void => {
    const computed = done - cached;
    const remainingSeconds = computed > 0 ? (computeSeconds / computed) * (cells.length - done) : null;
    options.onProgress?.({ event, done, total: cells.length, cached, elapsedSeconds: elapsed(), remainingSeconds, ...extra });
  };

  // Columns the table fills itself; a cell's rows must not contain them.
  const reserved = new Set(["cell", ...settingKeys, "replicate", "seed"]);

  progress("start");
  const rows: SweepRow[] = [];
  for (const cell of cells) {
    // A cell may compute synchronously from start to end, so let pending events (a SIGINT handler that
    // aborts the signal, timers) run between cells.
    await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) throw interrupted(options, done, cells.length);

    const seed = baseSeed + cell.replicate;
    const identity: CellIdentity = { experiment: options.experiment, setting: cell.setting, replicate: cell.replicate, seed, fingerprint: options.fingerprint };
    const key = cellKey(identity);
    const where = { setting: cell.setting, replicate: cell.replicate };

    const hit = cache?.read(key, identity, warn) ?? null;
    let cellRows: CellRow[];
    if (hit) {
      cellRows = hit.rows;
      cached++;
      done++;
      progress("cached", where);
    } else {
      progress("cell-start", where);
      const cellStarted = performance.now();
      try {
        cellRows = await computeCell(options, cell.setting, cell.replicate, seed, (message) => progress("message", { ...where, message }));
      } catch (error) {
        if (options.signal?.aborted) throw interrupted(options, done, cells.length);
        throw error;
      }
      const seconds = (performance.now() - cellStarted) / 1000;
      cache?.write({ ...identity, version: CELL_FILE_VERSION, key, rows: cellRows, seconds, finishedAt: new Date().toISOString() });
      computeSeconds += seconds;
      done++;
      progress("cell-done", where);
    }

    for (const row of cellRows) {
      const clash = Object.keys(row).find((column) => reserved.has(column));
      if (clash !== undefined) {
        throw new Error(`The rows of cell ${describeSetting(cell.setting)} replicate ${cell.replicate} have a column "${clash}", which the sweep table reserves; rename it.`);
      }
      rows.push({ cell: cell.number, ...cell.setting, replicate: cell.replicate, seed, ...row } as SweepRow);
    }
  }
  progress("end");

  return {
    table: { experiment: options.experiment, columns: tableColumns(settingKeys, rows), settingKeys, totalCells: settings.length * options.replicates, rows },
    cells: cells.length,
    computed: cells.length - cached,
    cached,
    seconds: elapsed(),
  };
}

async function computeCell(options: SweepOptions, setting: Setting, replicate: number, seed: number, report: (message: string) => void): Promise<CellRow[]> {
  const where = `${describeSetting(setting)} replicate ${replicate}`;
  let output: CellOutput;
  try {
    output = await options.cell(setting, replicate, seed, { signal: options.signal, report });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const wrapped = new Error(`Sweep ${options.experiment}, cell ${where} (seed ${seed}) failed: ${(error as Error).message}`);
    (wrapped as Error & { cause?: unknown }).cause = error;
    throw wrapped;
  }
  return toCellRows(output, where);
}

/** Column order: cell, setting keys, replicate, seed, then the rows' own columns in order of first appearance. */
function tableColumns(settingKeys: readonly string[], rows: readonly SweepRow[]): string[] {
  const columns = new Set<string>(["cell", ...settingKeys, "replicate", "seed", "method"]);
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

function interrupted(options: SweepOptions, done: number, total: number): Error {
  const resume = options.cacheDir !== undefined ? `; finished cells are cached in ${options.cacheDir}, so running it again resumes` : "";
  const error = new Error(`Sweep ${options.experiment} was interrupted after ${done} of ${total} cells${resume}.`);
  error.name = "AbortError";
  return error;
}

function checkSweepOptions(options: SweepOptions): void {
  if (typeof options.experiment !== "string" || options.experiment.trim() === "") {
    throw new Error(`Sweep experiment name is ${JSON.stringify(options.experiment)}; give a non-empty name such as "d2".`);
  }
  if (!Number.isInteger(options.replicates) || options.replicates < 1) {
    throw new Error(`Replicates must be a whole number >= 1 but got ${options.replicates}.`);
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new Error(`Sweep seed must be an integer but got ${options.seed}.`);
  }
  if (typeof options.cell !== "function") throw new Error("The sweep needs a cell function (setting, replicate, seed) => rows.");
  if (options.shard) checkShard(options.shard);
}
