/**
 * Options of the MMASH experiment: defaults, the quick preset, and validation before any file is read.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_FEATURES, type FeatureSpec } from '../data/features';
import { MMASH_PARTICIPANTS, defaultMmashDir, parseParticipantIds, participantName } from '../data/mmash';
import type { Resolution } from '../data/mmashLoad';
import { STUDY_METHODS, type StudyMethod } from '../distributed/study';
import type { MmashExperimentData } from './mmash-data';
import { MMASH_SCENARIOS, type MmashScenarioId } from './mmash-scenarios';

/** A progress message of a running experiment. */
export interface MmashProgress {
  /** Seconds since the experiment started. */
  elapsedSeconds: number;
  /** Scenario the message belongs to; null for loading and writing. */
  scenario: MmashScenarioId | null;
  message: string;
}

/** Options of runMmashExperiment; every field has a default. */
export interface MmashExperimentOptions {
  /** 'minute' (per-minute means, about 30 000 rows; the default) or 'second' (about 1.46 million rows). */
  resolution?: Resolution;
  /** Covariates as {name, expression} over the MMASH variables; default DEFAULT_FEATURES. */
  features?: readonly FeatureSpec[];
  /** Participants as numbers 1 … 22 or names 'user_1' …; default all 22. */
  participants?: ReadonlyArray<number | string>;
  /** Folder containing user_1 … user_22; default the project's data/mmash. */
  dataDir?: string;
  /** Table loaded by loadMmashExperimentData; when given, resolution, features, participants and dataDir are not used. */
  data?: MmashExperimentData;
  /** Experts K of every model. Default 4. */
  K?: number;
  /** Machines M of the random split. Default 16. */
  machines?: number;
  /** Methods to compare. Default all: global, ot, ot-posterior, average, aligned, medoid, greedy, fedem. */
  methods?: readonly StudyMethod[];
  /** Scenarios to run. Default all: random, per-participant, leave-participants-out. */
  scenarios?: readonly MmashScenarioId[];
  /** Fraction of rows held out in the random and per-participant scenarios. Default 0.1. */
  testFraction?: number;
  /** Participants held out in the leave-participants-out scenario. Default 4. */
  heldOutParticipants?: number;
  /** Seed of the splits, the EM starts and the support points. Default 0. */
  seed?: number;
  /** Support points S of the aggregations. Default 2000. */
  supportSize?: number;
  /** EM starts per fit. Default 2. */
  starts?: number;
  /** EM stops when the relative change of the log-likelihood is at most this. Default 1e-6. */
  tolerance?: number;
  /** Maximum EM iterations per start. Default 1000. */
  maxIterations?: number;
  /** Snapshot rounds of federated EM. Default [1, 5, 20, 100]. */
  federatedRounds?: readonly number[];
  /** Worker threads for the local fits. Default: available cores. */
  concurrency?: number;
  /** Output folder; null writes nothing. Default `<project root>/results/mmash`. */
  outDir?: string | null;
  /** Render the figures as PNG in headless Chromium besides the HTML pages. Default true. */
  images?: boolean;
  /** Participant of the gate-probability figure, as a number or 'user_<id>'. Default the first participant loaded. */
  gateParticipant?: number | string;
  onProgress?: (progress: MmashProgress) => void;
  /** Abort signal, checked between steps and inside the EM fits. No output file is written after it fires. */
  signal?: AbortSignal;
}

/** The options with every default filled in, as recorded in results.json. */
export interface MmashSettings {
  resolution: Resolution;
  features: FeatureSpec[];
  participants: string[];
  K: number;
  machines: number;
  methods: StudyMethod[];
  scenarios: MmashScenarioId[];
  testFraction: number;
  heldOutParticipants: number;
  seed: number;
  supportSize: number;
  starts: number;
  tolerance: number;
  maxIterations: number;
  federatedRounds: number[];
  concurrency: number;
  outDir: string | null;
  images: boolean;
  gateParticipant: string;
}

/**
 * Smaller settings for tests and quick looks: 6 participants, M = 4 machines on the random split, 2 participants
 * held out and 500 support points.
 */
export const MMASH_QUICK_OPTIONS = {
  participants: [1, 2, 3, 4, 5, 6],
  machines: 4,
  heldOutParticipants: 2,
  supportSize: 500,
} as const satisfies MmashExperimentOptions;

/** Returns `<project root>/results/mmash`, the default output folder. */
export function defaultMmashOutDir(): string {
  return join(defaultMmashDir(), '..', '..', 'results', 'mmash');
}

/** Fills in the defaults and checks every option; the error names the option, the value and the allowed range. */
export function resolveMmashOptions(options: MmashExperimentOptions): MmashSettings {
  const participantIds = options.data
    ? options.data.table.participantIds
    : parseParticipantIds(options.participants ?? Array.from({ length: MMASH_PARTICIPANTS }, (_, g) => g + 1));
  const participants = participantIds.map(participantName);
  const resolution = options.data?.table.resolution ?? options.resolution ?? 'minute';
  const features = options.data?.table.features ?? (options.features ?? DEFAULT_FEATURES).map((feature) => ({ ...feature }));

  const settings: MmashSettings = {
    resolution,
    features,
    participants,
    K: options.K ?? 4,
    machines: options.machines ?? 16,
    methods: [...(options.methods ?? STUDY_METHODS)],
    scenarios: [...(options.scenarios ?? MMASH_SCENARIOS)],
    testFraction: options.testFraction ?? 0.1,
    heldOutParticipants: options.heldOutParticipants ?? 4,
    seed: options.seed ?? 0,
    supportSize: options.supportSize ?? 2000,
    starts: options.starts ?? 2,
    tolerance: options.tolerance ?? 1e-6,
    maxIterations: options.maxIterations ?? 1000,
    federatedRounds: [...(options.federatedRounds ?? [1, 5, 20, 100])],
    concurrency: options.concurrency ?? availableParallelism(),
    outDir: options.outDir === undefined ? defaultMmashOutDir() : options.outDir,
    images: options.images ?? true,
    gateParticipant: participantName(parseParticipantIds([options.gateParticipant ?? participantIds[0]])[0]),
  };

  if (resolution !== 'minute' && resolution !== 'second') {
    throw new Error(`Invalid resolution ${JSON.stringify(resolution)}. Expected 'minute' or 'second'.`);
  }
  requireInteger('K', settings.K, 1);
  requireInteger('machines', settings.machines, 1);
  requireInteger('supportSize', settings.supportSize, 1);
  requireInteger('starts', settings.starts, 1);
  requireInteger('maxIterations', settings.maxIterations, 1);
  if (!(settings.tolerance > 0 && settings.tolerance < 1)) {
    throw new Error(`Invalid tolerance ${settings.tolerance}. Expected a relative change in (0, 1), e.g. 1e-6.`);
  }
  requireInteger('concurrency', settings.concurrency, 0);
  requireInteger('seed', settings.seed, 0);
  if (!(settings.testFraction > 0 && settings.testFraction < 1)) {
    throw new Error(`Invalid testFraction ${settings.testFraction}. Expected a fraction in (0, 1), e.g. 0.1.`);
  }

  checkList('methods', settings.methods, STUDY_METHODS);
  checkList('scenarios', settings.scenarios, MMASH_SCENARIOS);
  if (settings.federatedRounds.length === 0) throw new Error('federatedRounds is empty. Give at least one round, e.g. [1, 5, 20, 100].');
  for (const round of settings.federatedRounds) requireInteger('federatedRounds entry', round, 1);

  const G = participants.length;
  if (settings.scenarios.includes('leave-participants-out')) {
    if (!Number.isInteger(settings.heldOutParticipants) || settings.heldOutParticipants < 1 || settings.heldOutParticipants > G - 2) {
      throw new Error(`Invalid heldOutParticipants ${settings.heldOutParticipants}. With ${G} participants, hold out a whole number from 1 to ${G - 2} so that at least 2 remain as machines.`);
    }
  }
  if (settings.scenarios.includes('per-participant') && G < 2) {
    throw new Error(`The per-participant scenario needs at least 2 participants but ${G} is given. Add participants or leave out that scenario.`);
  }
  if (!participants.includes(settings.gateParticipant)) {
    throw new Error(`gateParticipant ${settings.gateParticipant} is not among the loaded participants (${participants.join(', ')}). Choose one of them.`);
  }

  return settings;
}

function requireInteger(name: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`Invalid ${name} ${value}. Expected a whole number >= ${minimum}.`);
  }
}

function checkList<T extends string>(name: string, values: readonly T[], allowed: readonly T[]): void {
  if (values.length === 0) throw new Error(`${name} is empty. Choose at least one of ${allowed.join(', ')}.`);
  const seen = new Set<T>();
  for (const value of values) {
    if (!allowed.includes(value)) throw new Error(`Unknown ${name} entry '${value}'. Choose from ${allowed.join(', ')}.`);
    if (seen.has(value)) throw new Error(`${name} lists '${value}' twice. List each once.`);
    seen.add(value);
  }
}
