/**
 * The three train/test designs of the MMASH experiment: the rows of each machine and the rows held out for
 * testing.
 */
import { leaveGroupsOut, sampleGroups, trainTestSplit } from '../distributed/holdout';
import { splitByGroup, splitEqual } from '../distributed/split';
import { subsetRows, type Dataset } from '../model/types';
import { Random } from '../random';

/** Identifiers of the scenarios, used in tables and file names. */
export const MMASH_SCENARIOS = ['random', 'per-participant', 'leave-participants-out'] as const;
export type MmashScenarioId = (typeof MMASH_SCENARIOS)[number];

/** One train/test design: the machines' rows and the held-out rows, as row indices into the full table. */
export interface MmashScenario {
  id: MmashScenarioId;
  /** One line for tables and figure legends, e.g. "random split, M = 16". */
  title: string;
  /** Sentence that names the machines' rows and the test rows. */
  description: string;
  /** Row indices of each machine, length M, each ascending. */
  machineRows: Int32Array[];
  /** Row indices of the test set, ascending. */
  testRows: Int32Array;
  /** Participants whose rows form the whole test set; empty unless rows are held out by participant. */
  heldOutParticipants: string[];
}

/** The covariates and participants the scenarios are built from. */
export interface ScenarioInput {
  data: Dataset;
  /** Participant of each row as an index into groupNames, length n. */
  group: Int32Array;
  /** Participant names, e.g. 'user_1', length G. */
  groupNames: string[];
}

/**
 * Builds the random split: a random `testFraction` of all rows is held out, and the other rows are shared at random
 * among `machines` machines of equal size (sizes differ by at most one row).
 */
export function randomSplitScenario(input: ScenarioInput, machines: number, testFraction: number, seed: number): MmashScenario {
  const holdout = trainTestSplit(input.data.n, testFraction, `${seed}:random:test`);
  const parts = splitEqual(holdout.train.length, machines, `${seed}:random:machines`);

  return {
    id: 'random',
    title: `random split, M = ${machines}`,
    description: `Random split: ${percent(testFraction)} of all rows at random are test rows, and the other rows are shared at random among M = ${machines} machines of equal size.`,
    machineRows: parts.map((part) => Int32Array.from(part, (r) => holdout.train[r])),
    testRows: holdout.test,
    heldOutParticipants: [],
  };
}

/**
 * Builds the one-machine-per-participant split (the natural non-IID split): a random `testFraction` of each participant's rows
 * is held out, so every participant is present in both the training and the test set.
 */
export function perParticipantScenario(input: ScenarioInput, testFraction: number, seed: number): MmashScenario {
  const random = new Random(`${seed}:per-participant:test`);
  const rowsOf = rowsPerGroup(input.group, input.groupNames.length);
  const train: number[] = [];
  const test: number[] = [];

  rowsOf.forEach((rows, g) => {
    if (rows.length < 2) {
      throw new Error(`Participant ${input.groupNames[g]} has ${rows.length} row(s); holding out test rows per participant needs at least 2.`);
    }
    const split = trainTestSplit(rows.length, testFraction, random.childSeed());
    for (const r of split.train) train.push(rows[r]);
    for (const r of split.test) test.push(rows[r]);
  });

  const trainRows = Int32Array.from(train).sort();
  const parts = splitByGroup(Int32Array.from(trainRows, (i) => input.group[i]));
  const M = parts.length;

  return {
    id: 'per-participant',
    title: `one machine per participant, M = ${M}`,
    description: `One machine per participant (M = ${M}): ${percent(testFraction)} of each participant's rows at random are test rows, and each machine has the other rows of its participant.`,
    machineRows: parts.map((part) => Int32Array.from(part, (r) => trainRows[r])),
    testRows: Int32Array.from(test).sort(),
    heldOutParticipants: [],
  };
}

/**
 * Builds the leave-participants-out split: `heldOut` participants drawn at random form the test set, and each of the other
 * participants is one machine, so the test participants are never seen in training.
 */
export function leaveParticipantsOutScenario(input: ScenarioInput, heldOut: number, seed: number): MmashScenario {
  const testGroups = sampleGroups(input.group, heldOut, `${seed}:leave-participants-out`);
  const holdout = leaveGroupsOut(input.group, testGroups);
  const parts = splitByGroup(Int32Array.from(holdout.train, (i) => input.group[i]));
  const M = parts.length;
  const names = testGroups.map((g) => input.groupNames[g]);

  return {
    id: 'leave-participants-out',
    title: `leave ${heldOut} participants out, M = ${M}`,
    description: `Leave participants out: all rows of ${heldOut} participants drawn at random (${names.join(', ')}) are test rows, and each of the other ${M} participants is one machine.`,
    machineRows: parts.map((part) => Int32Array.from(part, (r) => holdout.train[r])),
    testRows: holdout.test,
    heldOutParticipants: names,
  };
}

/** Returns the machines' data sets and the test set of a scenario. */
export function scenarioData(data: Dataset, scenario: MmashScenario): { shards: Dataset[]; test: Dataset } {
  return {
    shards: scenario.machineRows.map((rows) => subsetRows(data, rows)),
    test: subsetRows(data, scenario.testRows),
  };
}

/** Row indices of each group 0 … G−1, in row order. */
function rowsPerGroup(group: Int32Array, G: number): number[][] {
  const rows: number[][] = Array.from({ length: G }, () => []);
  for (let i = 0; i < group.length; i++) rows[group[i]].push(i);
  return rows;
}

function percent(fraction: number): string {
  return `${Number((100 * fraction).toPrecision(3))} %`;
}
