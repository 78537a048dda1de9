/**
 * Raw files of MMASH (Multilevel Monitoring of Activity and Sleep in Healthy people; Rossi et al. 2020,
 * PhysioNet, doi:10.13026/cerq-fc86): 22 participants, one folder `user_<id>` each, gzip-compressed CSV files.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { DataFileError, columnIndices, parseNumericField, readGzipCsv } from './csv';

/** Number of participants in MMASH; their folders are user_1 … user_22. */
export const MMASH_PARTICIPANTS = 22;

/** A per-second variable of Actigraph.csv under a name that an expression can use. */
export interface ActigraphVariable {
  /** Identifier in feature expressions. */
  name: string;
  /** Column header in Actigraph.csv. */
  column: string;
  description: string;
}

/** The variables read from Actigraph.csv, in the order of the file's columns. */
export const ACTIGRAPH_VARIABLES = [
  { name: 'axis1', column: 'Axis1', description: 'accelerometer counts on axis 1' },
  { name: 'axis2', column: 'Axis2', description: 'accelerometer counts on axis 2' },
  { name: 'axis3', column: 'Axis3', description: 'accelerometer counts on axis 3' },
  { name: 'steps', column: 'Steps', description: 'steps counted in the second' },
  { name: 'hr', column: 'HR', description: 'heart rate, beats/min (the response)' },
  { name: 'incl_off', column: 'Inclinometer Off', description: '1 when the inclinometer reports no posture, else 0' },
  { name: 'standing', column: 'Inclinometer Standing', description: '1 when standing, else 0' },
  { name: 'sitting', column: 'Inclinometer Sitting', description: '1 when sitting, else 0' },
  { name: 'lying', column: 'Inclinometer Lying', description: '1 when lying, else 0' },
  { name: 'vm', column: 'Vector Magnitude', description: 'vector magnitude of the counts, √(axis1² + axis2² + axis3²)' },
  { name: 'day', column: 'day', description: 'recording day: 1 for the first day in the file, 2 for the next' },
  { name: 'hour', column: 'time', description: 'time of day in hours, seconds since midnight / 3600' },
] as const satisfies readonly ActigraphVariable[];

/** Names of the per-second variables, e.g. 'vm', 'hour'. */
export type ActigraphVariableName = (typeof ACTIGRAPH_VARIABLES)[number]['name'];

/** Columns of one participant's Actigraph.csv, one entry per data row, in file order. */
export interface ActigraphColumns {
  /** Path of the file read. */
  file: string;
  /** Number of data rows. */
  n: number;
  /** Line of each row in the decompressed file (the header is line 1), length n. */
  line: Int32Array;
  /** Seconds since midnight of each row, 0 … 86399, length n. */
  secondOfDay: Int32Array;
  /** Every variable of ACTIGRAPH_VARIABLES, length n each; NaN marks a missing value. */
  values: Record<ActigraphVariableName, Float64Array>;
}

/** Per-person values of user_info.csv; NaN marks a missing value. */
export interface UserInfo {
  /** Body weight, kg. */
  weight: number;
  /** Height, cm. */
  height: number;
  /** Age, years. */
  age: number;
  /** Body-mass index, weight / (height / 100)², kg/m². */
  bmi: number;
}

/** Names of the per-person variables available to feature expressions. */
export const PERSON_VARIABLES: readonly (keyof UserInfo)[] = ['age', 'weight', 'height', 'bmi'];

/**
 * Returns the project's copy of the data set, `<project root>/data/mmash`, where the project root is the
 * nearest folder above this module that contains package.json. This works from the sources and from dist/.
 */
export function defaultMmashDir(): string {
  let folder = __dirname;
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) {
      throw new Error(`No package.json found above ${__dirname}. Pass the MMASH folder explicitly as the dir option.`);
    }
    folder = parent;
  }
  return join(folder, 'data', 'mmash');
}

/**
 * Converts participant identifiers, given as numbers 1 … 22 or folder names 'user_1' … 'user_22', to numbers.
 * Throws on an identifier out of range, a malformed name or a duplicate.
 */
export function parseParticipantIds(participants: ReadonlyArray<number | string>): number[] {
  const ids = participants.map((participant) => {
    const id = typeof participant === 'number' ? participant : Number(/^user_(\d+)$/.exec(participant)?.[1] ?? NaN);
    if (!Number.isInteger(id) || id < 1 || id > MMASH_PARTICIPANTS) {
      throw new Error(`Invalid participant ${JSON.stringify(participant)}. Expected a number 1 … ${MMASH_PARTICIPANTS} or a name user_1 … user_${MMASH_PARTICIPANTS}.`);
    }
    return id;
  });

  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw new Error(`Participant ${id} is listed twice. List each participant once.`);
    seen.add(id);
  }

  return ids;
}

/** Returns the folder name of a participant, e.g. 'user_7'. */
export function participantName(id: number): string {
  return `user_${id}`;
}

/** Returns the folder of one participant and checks that it exists, naming the path when it does not. */
export function participantFolder(dir: string, id: number): string {
  const folder = resolve(dir, participantName(id));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new Error(`MMASH participant folder not found: ${folder}. Copy the folders user_1 … user_${MMASH_PARTICIPANTS} of the data set into ${resolve(dir)}.`);
  }
  return folder;
}

/**
 * Reads `<folder>/Actigraph.csv.gz` into typed columns.
 *
 * `day` is renumbered 1, 2, … in order of first appearance, because users 8 and 9 label their second day -29
 * in the source files. `hour` is `time` (hh:mm:ss) as seconds since midnight / 3600.
 * Throws DataFileError with file and line for a ragged row, a missing column, a non-numeric value or an
 * invalid time or day.
 */
export function readActigraph(folder: string): ActigraphColumns {
  const file = join(folder, 'Actigraph.csv.gz');
  const numeric = ACTIGRAPH_VARIABLES.filter((variable) => variable.name !== 'day' && variable.name !== 'hour');
  const dayOrdinals = new Map<number, number>();

  let line = new Int32Array(0);
  let secondOfDay = new Int32Array(0);
  let values = {} as Record<ActigraphVariableName, Float64Array>;
  let numericColumns: Float64Array[] = [];
  let numericIndices: number[] = [];
  let dayIndex = -1;
  let timeIndex = -1;
  let n = 0;

  readGzipCsv(file, {
    onHeader(header, lineFeeds) {
      numericIndices = columnIndices(header, numeric.map((variable) => variable.column), file);
      [dayIndex, timeIndex] = columnIndices(header, ['day', 'time'], file);

      const capacity = lineFeeds + 1;
      line = new Int32Array(capacity);
      secondOfDay = new Int32Array(capacity);
      values = {} as Record<ActigraphVariableName, Float64Array>;
      for (const variable of ACTIGRAPH_VARIABLES) values[variable.name] = new Float64Array(capacity);
      numericColumns = numeric.map((variable) => values[variable.name]);
    },

    onRow(fields, lineNumber) {
      for (let j = 0; j < numeric.length; j++) {
        numericColumns[j][n] = parseNumericField(fields[numericIndices[j]], file, lineNumber, numeric[j].column);
      }

      const dayLabel = parseNumericField(fields[dayIndex], file, lineNumber, 'day');
      if (!Number.isInteger(dayLabel)) {
        throw new DataFileError(file, lineNumber, `column "day" has the value ${JSON.stringify(fields[dayIndex])}, expected an integer day label. Correct the value or restore the original file.`);
      }
      if (!dayOrdinals.has(dayLabel)) dayOrdinals.set(dayLabel, dayOrdinals.size + 1);

      const seconds = parseTimeOfDay(fields[timeIndex]);
      if (seconds === undefined) {
        throw new DataFileError(file, lineNumber, `column "time" has the value ${JSON.stringify(fields[timeIndex])}, expected hh:mm:ss. Correct the value or restore the original file.`);
      }

      values.day[n] = dayOrdinals.get(dayLabel)!;
      values.hour[n] = seconds / 3600;
      secondOfDay[n] = seconds;
      line[n] = lineNumber;
      n++;
    },
  });

  const trimmed = {} as Record<ActigraphVariableName, Float64Array>;
  for (const { name } of ACTIGRAPH_VARIABLES) trimmed[name] = values[name].slice(0, n);

  return { file, n, line: line.slice(0, n), secondOfDay: secondOfDay.slice(0, n), values: trimmed };
}

/** Returns seconds since midnight of a time hh:mm:ss, or undefined when the text is not a valid time. */
function parseTimeOfDay(text: string): number | undefined {
  const match = /^\s*(\d{1,2}):(\d{2}):(\d{2})\s*$/.exec(text);
  if (match === null) return undefined;

  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const seconds = Number(match[3]);
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;

  return hours * 3600 + minutes * 60 + seconds;
}

/**
 * Reads `<folder>/user_info.csv.gz`: weight (kg), height (cm) and age (years) of one participant, and the
 * body-mass index computed from them. A value of 0 or less is missing and gives NaN, because the source file
 * of user 18 records age 0.
 */
export function readUserInfo(folder: string): UserInfo {
  const file = join(folder, 'user_info.csv.gz');
  const rows: { fields: string[]; line: number }[] = [];
  let indices: number[] = [];

  readGzipCsv(file, {
    onHeader(header) {
      indices = columnIndices(header, ['Weight', 'Height', 'Age'], file);
    },
    onRow(fields, line) {
      rows.push({ fields, line });
    },
  });

  if (rows.length !== 1) {
    throw new DataFileError(file, 2, `expected exactly one data row, found ${rows.length}. Restore the original file.`);
  }

  const { fields, line } = rows[0];
  const [weight, height, age] = ['Weight', 'Height', 'Age'].map((column, j) => {
    const value = parseNumericField(fields[indices[j]], file, line, column);
    return value > 0 ? value : NaN;
  });

  return { weight, height, age, bmi: weight / (height / 100) ** 2 };
}
