/**
 * The results table of the MMASH experiment: one row per scenario × method, as Markdown and CSV.
 */
import Papa from 'papaparse';

import type { MethodResult } from '../distributed/study';
import { markdownTable } from '../plots/table';
import type { MmashScenarioId } from './mmash-scenarios';

/** One row of the results table. */
export interface MmashResultRow {
  scenario: MmashScenarioId;
  method: string;
  /** Machines M of the scenario. */
  machines: number;
  testRows: number;
  /** Test log-likelihood per held-out row, nats. */
  testMeanLogLikelihood: number;
  /** Root mean squared error of the predicted heart rate, beats/min. */
  rmse: number;
  /** Relative prediction error Σ (y − ŷ)² / Σ y², unitless. */
  rpe: number;
  /** Mean absolute error of the predicted heart rate, beats/min. */
  mae: number;
  /** Learning time a deployment waits, seconds: the global fit, slowest local fit + aggregation, or the federated rounds. */
  wallSeconds: number;
  /** Slowest machine's local fit, seconds; null for methods without local fits. */
  slowestLocalSeconds: number | null;
  /** Server's merge step, seconds; null for methods without one. */
  aggregationSeconds: number | null;
  /** Global fit's wall time / this method's wall time; null when the scenario has no global fit. */
  speedUp: number | null;
  /** Bytes sent between machines and server. */
  bytes: number;
  /** Communication rounds. */
  rounds: number;
}

/** A column of the table: the row field, its Markdown header (with the unit) and its CSV header. */
interface TableColumn {
  key: keyof MmashResultRow;
  markdown: string;
  csv: string;
}

const COLUMNS: readonly TableColumn[] = [
  { key: 'scenario', markdown: 'scenario', csv: 'scenario' },
  { key: 'method', markdown: 'method', csv: 'method' },
  { key: 'machines', markdown: 'M', csv: 'machines' },
  { key: 'testRows', markdown: 'test rows', csv: 'test_rows' },
  { key: 'testMeanLogLikelihood', markdown: 'test log-lik. per row (nats)', csv: 'test_mean_log_likelihood_nats' },
  { key: 'rmse', markdown: 'RMSE (beats/min)', csv: 'rmse_beats_per_min' },
  { key: 'rpe', markdown: 'RPE', csv: 'rpe' },
  { key: 'mae', markdown: 'MAE (beats/min)', csv: 'mae_beats_per_min' },
  { key: 'wallSeconds', markdown: 'learning time (s)', csv: 'wall_seconds' },
  { key: 'slowestLocalSeconds', markdown: 'slowest local fit (s)', csv: 'slowest_local_seconds' },
  { key: 'aggregationSeconds', markdown: 'aggregation (s)', csv: 'aggregation_seconds' },
  { key: 'speedUp', markdown: 'speed-up vs global', csv: 'speed_up_vs_global' },
  { key: 'bytes', markdown: 'bytes', csv: 'bytes' },
  { key: 'rounds', markdown: 'rounds', csv: 'rounds' },
];

/** Flattens one scenario's method results into table rows, in the order of `results`. */
export function resultRows(scenario: MmashScenarioId, machines: number, results: readonly MethodResult[]): MmashResultRow[] {
  const globalSeconds = results.find((result) => result.method === 'global')?.times.wall ?? null;

  return results.map((result) => ({
    scenario,
    method: result.method,
    machines,
    testRows: result.metrics.n,
    testMeanLogLikelihood: result.metrics.meanLogLikelihood,
    rmse: result.metrics.rmse,
    rpe: result.metrics.rpe,
    mae: result.metrics.mae,
    wallSeconds: result.times.wall,
    slowestLocalSeconds: result.times.slowestLocal,
    aggregationSeconds: result.times.aggregation,
    speedUp: globalSeconds === null ? null : globalSeconds / result.times.wall,
    bytes: result.communication.bytes,
    rounds: result.communication.rounds,
  }));
}

/** Renders the rows as a Markdown table with units in the headers; numbers keep 4 significant digits. */
export function resultsMarkdown(rows: readonly MmashResultRow[]): string {
  const displayRows = rows.map((row) => Object.fromEntries(COLUMNS.map((column) => [column.markdown, row[column.key]])));
  return markdownTable(displayRows, { columns: COLUMNS.map((column) => column.markdown) });
}

/** Renders the rows as CSV with snake_case headers and full-precision numbers; a missing value is an empty field. */
export function resultsCsv(rows: readonly MmashResultRow[]): string {
  const fields = COLUMNS.map((column) => column.csv);
  const data = rows.map((row) => COLUMNS.map((column) => row[column.key] ?? ''));
  return Papa.unparse({ fields, data }, { newline: '\n' }) + '\n';
}
