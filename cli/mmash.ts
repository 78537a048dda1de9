import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';

import type { FeatureSpec } from '../lib/data/features';
import type { Resolution } from '../lib/data/mmashLoad';
import type { StudyMethod } from '../lib/distributed/study';
import { MMASH_QUICK_OPTIONS, formatProgress, runMmashExperiment, type MmashExperimentOptions } from '../lib/experiments/mmash';
import { parsePositiveInteger } from './options';

export interface MmashCommandOptions {
  resolution: string;
  machines?: string;
  K: string;
  methods?: string;
  features?: string;
  participants?: string;
  heldOut?: string;
  supportSize?: string;
  starts: string;
  concurrency?: string;
  out: string;
  seed: string;
  quick?: boolean;
  images: boolean;
}

/**
 * `otmoe mmash`: the MMASH experiment. Logs progress to stderr, writes the results folder, and prints the
 * results table (Markdown) to stdout. Ctrl-C stops the run without writing any file.
 */
export async function runMmashCommand(options: MmashCommandOptions): Promise<void> {
  const quick: MmashExperimentOptions = options.quick ? MMASH_QUICK_OPTIONS : {};
  const experiment: MmashExperimentOptions = {
    ...quick,
    resolution: parseResolution(options.resolution),
    K: parsePositiveInteger(options.K, '--K'),
    starts: parsePositiveInteger(options.starts, '--starts'),
    seed: parseSeed(options.seed),
    outDir: resolve(options.out),
    images: options.images,
  };
  if (options.machines !== undefined) experiment.machines = parsePositiveInteger(options.machines, '--machines');
  if (options.heldOut !== undefined) experiment.heldOutParticipants = parsePositiveInteger(options.heldOut, '--held-out');
  if (options.supportSize !== undefined) experiment.supportSize = parsePositiveInteger(options.supportSize, '--support-size');
  if (options.concurrency !== undefined) experiment.concurrency = parseConcurrency(options.concurrency);
  if (options.methods !== undefined) experiment.methods = parseList(options.methods, '--methods') as StudyMethod[];
  if (options.participants !== undefined) experiment.participants = parseList(options.participants, '--participants').map((item) => (/^\d+$/.test(item) ? Number(item) : item));
  if (options.features !== undefined) experiment.features = parseFeatureSpecs(options.features);

  // The local fits add one abort listener per machine, more than Node's default warning limit of 10.
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onInterrupt = (): void => {
    console.error('otmoe mmash: interrupted; stopping the running fit, no output file is written');
    controller.abort();
  };
  process.once('SIGINT', onInterrupt);

  try {
    const result = await runMmashExperiment({
      ...experiment,
      signal: controller.signal,
      onProgress: (progress) => console.error(formatProgress(progress)),
    });
    for (const warning of result.warnings) console.error(`warning: ${warning}`);
    console.error(`otmoe mmash: done in ${result.seconds.toFixed(1)} s; results in ${result.settings.outDir}`);
    console.log(result.markdown);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    console.error(`otmoe mmash: stopped; ${experiment.outDir} was left as it was`);
    process.exitCode = 130;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/**
 * Parses `--features 'name=expression;name=expression'`, e.g. 'log1p_vm=log(1 + vm);lying=lying'. The first "="
 * separates a name from its expression, so an expression may itself contain "=" (as in "vm == 0").
 */
export function parseFeatureSpecs(text: string): FeatureSpec[] {
  const specs = text
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const at = part.indexOf('=');
      if (at <= 0 || at === part.length - 1) {
        throw new Error(`--features entry '${part}' is not name=expression; write e.g. 'log1p_vm=log(1 + vm);lying=lying'.`);
      }
      return { name: part.slice(0, at).trim(), expression: part.slice(at + 1).trim() };
    });
  if (specs.length === 0) throw new Error(`--features must list at least one name=expression but got '${text}'.`);
  return specs;
}

function parseResolution(text: string): Resolution {
  if (text !== 'minute' && text !== 'second') throw new Error(`--resolution must be minute or second but got '${text}'.`);
  return text;
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number >= 0 but got '${text}'.`);
  return seed;
}

function parseConcurrency(text: string): number {
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`--concurrency must be a whole number >= 0 (0 fits on the main thread) but got '${text}'.`);
  return threads;
}

function parseList(text: string, option: string): string[] {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  if (items.length === 0) throw new Error(`${option} must list at least one value but got '${text}'.`);
  return items;
}
