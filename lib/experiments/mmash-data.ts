/**
 * The MMASH regression table of the experiment, with the clock time of every row kept beside the covariates
 * for the gate-probability figure.
 */
import type { FeatureSpec } from '../data/features';
import { loadMmash, type MmashTable, type Resolution } from '../data/mmashLoad';
import type { Dataset } from '../model/types';

/** Options of loadMmashExperimentData. */
export interface MmashDataOptions {
  /** Folder containing user_1 … user_22; default the project's data/mmash. */
  dir?: string;
  resolution: Resolution;
  /** Participants as numbers 1 … 22 or names 'user_1' …; default all 22. */
  participants?: ReadonlyArray<number | string>;
  features: readonly FeatureSpec[];
}

/** The regression table and the clock time of each of its rows. */
export interface MmashExperimentData {
  /** Heart rate (beats/min) on the requested covariates, with the participant of each row. */
  table: MmashTable;
  /** Time of day of each row in hours, 0 ≤ t < 24, length n (a minute row takes the mean time of its seconds). */
  hourOfDay: Float64Array;
  /** Recording day of each row, 1 for the first day of that participant's file, 2 for the next; length n. */
  day: Int32Array;
}

/** Names of the two clock columns appended to the features while loading, then removed from the table. */
const CLOCK_COLUMNS = ['__clock_hour', '__clock_day'] as const;

/**
 * Loads MMASH with loadMmash and keeps the time of day and recording day of every row. The clock columns are
 * evaluated as two extra features placed after the requested ones, so they never change which rows are kept:
 * they are always finite, and a dropped row is counted under the first non-finite feature.
 */
export function loadMmashExperimentData(options: MmashDataOptions): MmashExperimentData {
  for (const name of CLOCK_COLUMNS) {
    if (options.features.some((feature) => feature.name === name)) {
      throw new Error(`Feature name "${name}" is reserved for the clock time of each row. Rename that feature.`);
    }
  }

  const features = [...options.features, { name: CLOCK_COLUMNS[0], expression: 'hour' }, { name: CLOCK_COLUMNS[1], expression: 'day' }];
  const loaded = loadMmash({ dir: options.dir, resolution: options.resolution, participants: options.participants, features });

  const { n, d: loadedD, x } = loaded.data;
  const d = loadedD - CLOCK_COLUMNS.length;
  const covariates = new Float64Array(n * d);
  const hourOfDay = new Float64Array(n);
  const day = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    covariates.set(x.subarray(i * loadedD, i * loadedD + d), i * d);
    hourOfDay[i] = x[i * loadedD + d];
    day[i] = x[i * loadedD + d + 1];
  }

  const data: Dataset = { n, d, features: loaded.data.features.slice(0, d), x: covariates, y: loaded.data.y };
  const table: MmashTable = { ...loaded, data, features: loaded.features.slice(0, d) };
  return { table, hourOfDay, day };
}
