/**
 * The MMASH regression table: heart rate (beats/min) against covariates computed from the wrist actigraphy,
 * with the participant kept as a grouping column.
 */
import { resolve } from 'node:path';

import type { Dataset } from '../model/types';
import { DEFAULT_FEATURES, compileFeatures, evaluateFeatures, type FeatureSpec } from './features';
import {
  ACTIGRAPH_VARIABLES,
  MMASH_PARTICIPANTS,
  PERSON_VARIABLES,
  defaultMmashDir,
  parseParticipantIds,
  participantFolder,
  participantName,
  readActigraph,
  readUserInfo,
  type ActigraphColumns,
} from './mmash';
import { minuteMeans, selectSeconds, type Resolution, type VariableRows } from './mmashRows';

export type { Resolution } from './mmashRows';

/** Options of loadMmash. */
export interface MmashOptions {
  /** Folder containing user_1 … user_22; default `<project root>/data/mmash`. */
  dir?: string;
  /** 'second' (one row per recorded second, about 1.46 million rows) or 'minute' (per-minute means); default 'second'. */
  resolution?: Resolution;
  /** Participants as numbers 1 … 22 or names 'user_1' …, in the order wanted; default all 22 in order. */
  participants?: ReadonlyArray<number | string>;
  /** Covariates as {name, expression} over the variables of MMASH_VARIABLES; default DEFAULT_FEATURES. */
  features?: readonly FeatureSpec[];
  /**
   * Seconds with heart rate above this value (beats/min) are dropped. The default, Infinity, keeps every second.
   * NOTE: the source files contain 90 seconds above 220 beats/min (maximum 251) spread over 10 participants.
   */
  maxHeartRate?: number;
}

/** Rows of one participant dropped for one reason; `count` is in rows of `unit`. */
export interface DroppedRows {
  participant: string;
  reason: string;
  count: number;
  /** Unit of count: heart-rate checks run on seconds, the finite-covariate check on rows of the table. */
  unit: Resolution;
}

/** The regression table returned by loadMmash. */
export interface MmashTable {
  /** Covariates x (n × d, d = features.length, named by the feature names) and heart rate y (beats/min), length n. */
  data: Dataset;
  /** Feature definitions, in the column order of data.x. */
  features: FeatureSpec[];
  resolution: Resolution;
  /** Participant of each row as an index into groupNames, length n. Rows of one participant are contiguous and in file order. */
  group: Int32Array;
  /** Folder names of the loaded participants, e.g. ['user_1', 'user_2'], length G. */
  groupNames: string[];
  /** Participant numbers 1 … 22 aligned with groupNames, length G. */
  participantIds: number[];
  /** Rows kept per participant, aligned with groupNames, length G. */
  rowsPerParticipant: number[];
  /** Data rows (seconds) read from each participant's Actigraph.csv, aligned with groupNames, length G. */
  secondsRead: number[];
  /** Seconds averaged into each row, length n; all 1 at the per-second resolution. */
  secondsPerRow: Int32Array;
  /** Non-zero drop counts per participant and reason. */
  dropped: DroppedRows[];
}

/** Names of the variables that feature expressions can use: the Actigraph variables except `hr`, and the person variables. */
export const MMASH_VARIABLES: readonly string[] = [
  ...ACTIGRAPH_VARIABLES.map((variable) => variable.name).filter((name) => name !== 'hr'),
  ...PERSON_VARIABLES,
];

/**
 * Loads MMASH as a regression table of heart rate on expression-defined covariates.
 *
 * For each participant, in order:
 * 1. read Actigraph.csv.gz and drop the seconds whose heart rate is missing, ≤ 0 or above maxHeartRate;
 * 2. at the 'minute' resolution, average the remaining seconds per (day, minute);
 * 3. evaluate the features, reading user_info.csv.gz only when a feature uses age, weight, height or bmi;
 * 4. drop the rows with a non-finite covariate.
 * Every drop is counted in `dropped`.
 *
 * Throws before reading any file when an option is invalid or an expression refers to an unknown variable, and
 * throws a DataFileError naming the file and line for a corrupt or truncated file.
 */
export function loadMmash(options: MmashOptions = {}): MmashTable {
  const dir = resolve(options.dir ?? defaultMmashDir());
  const resolution = options.resolution ?? 'second';
  const maxHeartRate = options.maxHeartRate ?? Infinity;
  const ids = parseParticipantIds(options.participants ?? Array.from({ length: MMASH_PARTICIPANTS }, (_, k) => k + 1));

  if (resolution !== 'second' && resolution !== 'minute') {
    throw new Error(`Invalid resolution ${JSON.stringify(resolution)}. Expected 'second' or 'minute'.`);
  }
  if (!(maxHeartRate > 0)) {
    throw new Error(`Invalid maxHeartRate ${maxHeartRate}. Expected a positive number of beats/min or Infinity.`);
  }
  if (ids.length === 0) throw new Error('The participants list is empty. Give at least one participant.');

  const compiled = compileFeatures(options.features ?? DEFAULT_FEATURES, MMASH_VARIABLES, {
    hr: 'heart rate is the response of the table',
  });
  const needsPerson = compiled.variables.some((name) => (PERSON_VARIABLES as readonly string[]).includes(name));
  const folders = ids.map((id) => participantFolder(dir, id));

  const blocks: { x: Float64Array; y: Float64Array; secondsPerRow: Int32Array }[] = [];
  const dropped: DroppedRows[] = [];
  const secondsRead: number[] = [];

  for (let g = 0; g < ids.length; g++) {
    const participant = participantName(ids[g]);
    const columns = readActigraph(folders[g]);
    secondsRead.push(columns.n);

    const keep = heartRateMask(columns, maxHeartRate, participant, dropped);
    const rows = resolution === 'minute' ? minuteMeans(columns, keep) : selectSeconds(columns, keep);

    const constants: Record<string, number> = needsPerson ? { ...readUserInfo(folders[g]) } : {};
    const x = evaluateFeatures(compiled, rows.n, rows.values, constants, (row) => `${columns.file} line ${rows.line[row]}`);

    blocks.push(keepFiniteRows(x, rows, compiled.specs, participant, resolution, dropped));
  }

  return assembleTable(blocks, compiled.specs, resolution, ids, secondsRead, dropped);
}

/** Marks the seconds with a usable heart rate (finite, > 0, ≤ maxHeartRate) and counts the others in `dropped`. */
function heartRateMask(columns: ActigraphColumns, maxHeartRate: number, participant: string, dropped: DroppedRows[]): Uint8Array {
  const hr = columns.values.hr;
  const keep = new Uint8Array(columns.n);
  let missing = 0;
  let nonPositive = 0;
  let aboveMax = 0;

  for (let i = 0; i < columns.n; i++) {
    if (!Number.isFinite(hr[i])) missing++;
    else if (hr[i] <= 0) nonPositive++;
    else if (hr[i] > maxHeartRate) aboveMax++;
    else keep[i] = 1;
  }

  const counts: [string, number][] = [
    ['heart rate missing', missing],
    ['heart rate <= 0', nonPositive],
    [`heart rate > maxHeartRate (${maxHeartRate})`, aboveMax],
  ];
  for (const [reason, count] of counts) {
    if (count > 0) dropped.push({ participant, reason, count, unit: 'second' });
  }

  return keep;
}

/**
 * Returns the rows whose covariates are all finite, with their heart rate. A dropped row is counted under the
 * first feature that is not finite on it.
 */
function keepFiniteRows(
  x: Float64Array,
  rows: VariableRows,
  specs: FeatureSpec[],
  participant: string,
  resolution: Resolution,
  dropped: DroppedRows[],
): { x: Float64Array; y: Float64Array; secondsPerRow: Int32Array } {
  const d = specs.length;
  const hr = rows.values.hr;
  const dropsPerFeature = new Int32Array(d);
  const finiteRows: number[] = [];

  for (let i = 0; i < rows.n; i++) {
    let bad = -1;
    for (let j = 0; j < d && bad === -1; j++) if (!Number.isFinite(x[i * d + j])) bad = j;

    if (bad === -1) finiteRows.push(i);
    else dropsPerFeature[bad]++;
  }

  for (let j = 0; j < d; j++) {
    if (dropsPerFeature[j] > 0) {
      const reason = `feature ${specs[j].name} = ${specs[j].expression} not finite`;
      dropped.push({ participant, reason, count: dropsPerFeature[j], unit: resolution });
    }
  }

  if (finiteRows.length === rows.n) return { x, y: hr, secondsPerRow: rows.seconds };

  const keptX = new Float64Array(finiteRows.length * d);
  const keptY = new Float64Array(finiteRows.length);
  const keptSeconds = new Int32Array(finiteRows.length);
  for (let r = 0; r < finiteRows.length; r++) {
    const i = finiteRows[r];
    keptX.set(x.subarray(i * d, i * d + d), r * d);
    keptY[r] = hr[i];
    keptSeconds[r] = rows.seconds[i];
  }

  return { x: keptX, y: keptY, secondsPerRow: keptSeconds };
}

/** Concatenates the participants' blocks into one table with the group column. */
function assembleTable(
  blocks: { x: Float64Array; y: Float64Array; secondsPerRow: Int32Array }[],
  specs: FeatureSpec[],
  resolution: Resolution,
  ids: number[],
  secondsRead: number[],
  dropped: DroppedRows[],
): MmashTable {
  const d = specs.length;
  const rowsPerParticipant = blocks.map((block) => block.y.length);
  const n = rowsPerParticipant.reduce((sum, rows) => sum + rows, 0);

  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const group = new Int32Array(n);
  const secondsPerRow = new Int32Array(n);

  let offset = 0;
  for (let g = 0; g < blocks.length; g++) {
    const rows = rowsPerParticipant[g];
    x.set(blocks[g].x, offset * d);
    y.set(blocks[g].y, offset);
    secondsPerRow.set(blocks[g].secondsPerRow, offset);
    group.fill(g, offset, offset + rows);
    offset += rows;
  }

  const features = specs.map((spec) => spec.name);

  return {
    data: { n, d, features, x, y },
    features: specs.map((spec) => ({ ...spec })),
    resolution,
    group,
    groupNames: ids.map(participantName),
    participantIds: ids.slice(),
    rowsPerParticipant,
    secondsRead,
    secondsPerRow,
    dropped,
  };
}
