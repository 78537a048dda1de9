/**
 * The MMASH experiment: heart rate (beats/min) regressed on activity and posture covariates of 22 participants'
 * wrist actigraphy with K experts. Every method of the distributed study learns the model in three train/test
 * designs: random split, one machine per participant, and leave participants out.
 */
import { performance } from 'node:perf_hooks';

import { runDistributedStudy, type MethodResult, type StudyResult } from '../distributed/study';
import { subsetRows } from '../model/types';
import type { Figure } from '../plots/figure';
import { loadMmashExperimentData, type MmashExperimentData } from './mmash-data';
import { expertScatterFigure, gateTimelineFigure, methodComparisonFigure, speedUpFigure } from './mmash-figures';
import { resolveMmashOptions, type MmashExperimentOptions, type MmashProgress, type MmashSettings } from './mmash-options';
import { writeMmashOutputs, type MmashOutputs } from './mmash-output';
import { experimentReport, experimentSummaryJson } from './mmash-report';
import {
  leaveParticipantsOutScenario,
  perParticipantScenario,
  randomSplitScenario,
  scenarioData,
  type MmashScenario,
  type MmashScenarioId,
  type ScenarioInput,
} from './mmash-scenarios';
import { resultRows, resultsCsv, resultsMarkdown, type MmashResultRow } from './mmash-table';

export { loadMmashExperimentData, type MmashExperimentData } from './mmash-data';
export { MMASH_QUICK_OPTIONS, defaultMmashOutDir, type MmashExperimentOptions, type MmashProgress, type MmashSettings } from './mmash-options';
export { MMASH_SCENARIOS, type MmashScenario, type MmashScenarioId } from './mmash-scenarios';
export { resultsCsv, resultsMarkdown, type MmashResultRow } from './mmash-table';

/** One scenario's design and the results of every method on it. */
export interface MmashScenarioResult {
  scenario: MmashScenario;
  /** Training rows over all machines. */
  trainRows: number;
  study: StudyResult;
}

/** A figure of the experiment and the file name it is written under (without extension). */
export interface MmashFigure {
  name: string;
  figure: Figure;
}

/** Everything the experiment computed, and the files it wrote. */
export interface MmashExperimentResult {
  settings: MmashSettings;
  data: MmashExperimentData;
  scenarios: MmashScenarioResult[];
  /** One row per scenario × method, in run order. */
  rows: MmashResultRow[];
  /** The results table as Markdown (the table of table.md). */
  markdown: string;
  figures: MmashFigure[];
  /** Files written, relative to settings.outDir; empty when outDir is null. */
  files: string[];
  /** Warnings of the fits, the aggregations and the output step, each prefixed with its scenario and method. */
  warnings: string[];
  /** Wall time of the whole run, seconds. */
  seconds: number;
}

/**
 * Runs the MMASH experiment: loads the table, runs every requested method on each scenario, builds the table
 * and the figures, and writes them to the output folder (see writeMmashOutputs for the files).
 *
 * The outputs are written only after every scenario has finished, and an aborted run throws the abort reason
 * without writing any file.
 */
export async function runMmashExperiment(options: MmashExperimentOptions = {}): Promise<MmashExperimentResult> {
  const started = performance.now();
  const settings = resolveMmashOptions(options);
  const progress = (scenario: MmashScenarioId | null, message: string): void => {
    options.onProgress?.({ elapsedSeconds: (performance.now() - started) / 1000, scenario, message });
  };

  progress(null, options.data ? 'using the table given' : `loading MMASH: ${settings.participants.length} participants, ${settings.resolution} resolution`);
  const data = options.data ?? loadMmashExperimentData({ dir: options.dataDir, resolution: settings.resolution, participants: settings.participants, features: settings.features });
  const { table } = data;
  progress(null, `${table.data.n} rows × ${table.data.d} covariates (${table.data.features.join(', ')})`);
  options.signal?.throwIfAborted();

  const input: ScenarioInput = { data: table.data, group: table.group, groupNames: table.groupNames };
  const scenarioResults: MmashScenarioResult[] = [];
  const rows: MmashResultRow[] = [];
  const warnings: string[] = [];

  for (const id of settings.scenarios) {
    const scenario = buildScenario(id, input, settings);
    const { shards, test } = scenarioData(table.data, scenario);
    const trainRows = shards.reduce((total, shard) => total + shard.n, 0);
    progress(id, `${scenario.description} ${trainRows} training rows, ${test.n} test rows.`);

    const study = await runDistributedStudy(shards, test, {
      K: settings.K,
      methods: settings.methods,
      em: { starts: settings.starts, tolerance: settings.tolerance, maxIterations: settings.maxIterations },
      support: { size: settings.supportSize },
      federatedRounds: settings.federatedRounds,
      concurrency: settings.concurrency,
      seed: settings.seed,
      signal: options.signal,
      onProgress: (message) => progress(id, message),
    });
    options.signal?.throwIfAborted();

    scenarioResults.push({ scenario, trainRows, study });
    rows.push(...resultRows(id, scenario.machineRows.length, study.results));
    for (const result of study.results) warnings.push(...result.warnings.map((warning) => `${id}, ${result.method}: ${warning}`));
  }

  const figures = buildFigures(data, scenarioResults, rows, settings);
  const markdown = resultsMarkdown(rows);
  let files: string[] = [];

  if (settings.outDir !== null) {
    progress(null, `writing the table, ${rows.length} model files and ${figures.length} figures to ${settings.outDir}`);
    const seconds = (performance.now() - started) / 1000;
    const outputs: MmashOutputs = {
      texts: [
        { path: 'table.md', content: experimentReport(settings, table, scenarioResults, markdown, seconds) },
        { path: 'table.csv', content: resultsCsv(rows) },
        { path: 'results.json', content: experimentSummaryJson(settings, table, scenarioResults, rows, warnings) },
      ],
      models: scenarioResults.flatMap(({ scenario, study }) => study.results.map((result) => ({ path: `models/${scenario.id}-${result.method}.json`, model: result.model }))),
      figures,
    };
    const written = await writeMmashOutputs(settings.outDir, outputs, {
      images: settings.images,
      signal: options.signal,
      onProgress: (message) => progress(null, message),
    });
    files = written.files;
    warnings.push(...written.warnings);
    progress(null, `wrote ${files.length} files to ${settings.outDir}`);
  }

  return { settings, data, scenarios: scenarioResults, rows, markdown, figures, files, warnings, seconds: (performance.now() - started) / 1000 };
}

/** Formats a progress message as one log line, e.g. "[  12.3 s] random: local fits: 3/16 machines done". */
export function formatProgress(progress: MmashProgress): string {
  const time = `[${progress.elapsedSeconds.toFixed(1).padStart(6)} s]`;
  return progress.scenario === null ? `${time} ${progress.message}` : `${time} ${progress.scenario}: ${progress.message}`;
}

function buildScenario(id: MmashScenarioId, input: ScenarioInput, settings: MmashSettings): MmashScenario {
  switch (id) {
    case 'random':
      return randomSplitScenario(input, settings.machines, settings.testFraction, settings.seed);
    case 'per-participant':
      return perParticipantScenario(input, settings.testFraction, settings.seed);
    case 'leave-participants-out':
      return leaveParticipantsOutScenario(input, settings.heldOutParticipants, settings.seed);
  }
}

/** Methods whose model the expert figures show, in order of preference: the OT model first. */
const FIGURE_MODEL_PREFERENCE = ['ot', 'ot-posterior', 'global'];
const FIGURE_MODEL_NAMES: Readonly<Record<string, string>> = { ot: 'OT', 'ot-posterior': 'OT (posterior gates)', global: 'global' };

/**
 * Builds the figures: the experts and the gates of one model (the OT model of the first scenario run, the
 * random split by default), the method comparison, and the speed-up when the global fit ran.
 */
function buildFigures(data: MmashExperimentData, scenarios: readonly MmashScenarioResult[], rows: readonly MmashResultRow[], settings: MmashSettings): MmashFigure[] {
  const { table } = data;
  const figures: MmashFigure[] = [];
  const legends = scenarios.map(({ scenario }) => ({ id: scenario.id, title: scenario.title }));

  const figureScenario = scenarios[0];
  const model = pickFigureModel(figureScenario.study.results);
  const modelName = `${FIGURE_MODEL_NAMES[model.method] ?? model.method} model, ${figureScenario.scenario.title}`;

  const featureIndex = Math.max(0, table.data.features.indexOf('log1p_vm'));
  figures.push({
    name: 'experts-vs-activity',
    figure: expertScatterFigure(model.model, subsetRows(table.data, figureScenario.scenario.testRows), {
      feature: featureIndex,
      expression: table.features[featureIndex].expression,
      title: `Heart rate of the test rows and the experts of the ${modelName} (other covariates at their means)`,
      maxPoints: 4000,
      seed: settings.seed,
    }),
  });

  const g = table.groupNames.indexOf(settings.gateParticipant);
  const participantRows = Int32Array.from({ length: table.rowsPerParticipant[g] }, (_, r) => table.group.indexOf(g) + r);
  figures.push({
    name: 'gates-over-day',
    figure: gateTimelineFigure(model.model, subsetRows(table.data, participantRows), Array.from(participantRows, (i) => data.hourOfDay[i]), Array.from(participantRows, (i) => data.day[i]), {
      title: `Gate probabilities of the ${modelName}, over the recording of ${settings.gateParticipant}`,
      binMinutes: 10,
    }),
  });

  figures.push({ name: 'method-comparison', figure: methodComparisonFigure(rows, legends, `MMASH, K = ${settings.K}: test metrics and learning time per method`) });
  if (rows.some((row) => row.method !== 'global' && row.speedUp !== null)) {
    figures.push({ name: 'speed-up', figure: speedUpFigure(rows, legends, `Speed-up over the global EM fit (MMASH, ${settings.resolution} resolution)`) });
  }
  return figures;
}

function pickFigureModel(results: readonly MethodResult[]): MethodResult {
  for (const method of FIGURE_MODEL_PREFERENCE) {
    const result = results.find((candidate) => candidate.method === method);
    if (result) return result;
  }
  return results[0];
}
