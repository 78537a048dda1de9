/**
 * The synthetic experiments, each run as a sweep: design D2 with every method (d2), and scaling in the number
 * of machines (scaling-m) and of points (scaling-n). The support experiment varies the support size and source
 * and compares posterior with support-only gating, and noniid splits by covariate shift and runs design D3.
 * syntheticPlan gives the grids of the quick and the published settings.
 */
import { availableParallelism } from "node:os";

import { runSweep, type SweepOptions, type SweepResult } from "../sweep/runner";
import type { SweepProgress } from "../sweep/progress";
import type { Shard } from "../sweep/shard";
import { studyCell } from "./synthetic-cells";
import { SYNTHETIC_EXPERIMENTS, syntheticPlan, type SyntheticExperimentName } from "./synthetic-config";
import { supportCell } from "./synthetic-support";

export { SYNTHETIC_EXPERIMENTS, syntheticPlan, type SyntheticConfig, type SyntheticExperimentName, type SyntheticPlan } from "./synthetic-config";
export { drawD2Replicate, drawD3Replicate, type MachineSplitKind, type SyntheticReplicate } from "./synthetic-data";
export { drawReplicate, studyCell, type CellRunOptions } from "./synthetic-cells";
export { supportCell } from "./synthetic-support";

export interface SyntheticSweepOptions {
  /** Quick settings (small n, few grid points) instead of the published ones. Default false. */
  quick?: boolean;
  /** Replicates per setting; default 2 quick, 50 published. */
  replicates?: number;
  /**
   * Worker threads for the local fits. Default: 0 for quick settings (the shards are so small that starting
   * workers costs more than it saves), the available cores otherwise.
   */
  concurrency?: number;
  /** Base seed: replicate r uses seed + r. Default 0. */
  seed?: number;
  /** Cell cache folder, for resuming; no caching when omitted. */
  cacheDir?: string;
  shard?: Shard;
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
}

/** Builds the sweep options of a synthetic experiment: its grid, cell function and cache fingerprint. */
export function syntheticSweepOptions(experiment: SyntheticExperimentName, options: SyntheticSweepOptions = {}): SweepOptions {
  if (!SYNTHETIC_EXPERIMENTS.includes(experiment)) {
    throw new Error(`Unknown synthetic experiment '${experiment as string}'; choose from ${SYNTHETIC_EXPERIMENTS.join(", ")}.`);
  }
  const quick = options.quick ?? false;
  const plan = syntheticPlan(experiment, quick);
  const concurrency = options.concurrency ?? (quick ? 0 : availableParallelism());
  if (!Number.isInteger(concurrency) || concurrency < 0) {
    throw new Error(`concurrency must be a whole number >= 0 (0 fits on the calling thread) but got ${concurrency}.`);
  }
  const run = { concurrency };

  return {
    experiment,
    grid: plan.grid,
    replicates: options.replicates ?? plan.replicates,
    cell: experiment === "support" ? supportCell(plan.config, run) : studyCell(plan.config, run),
    seed: options.seed,
    fingerprint: plan.config,
    cacheDir: options.cacheDir,
    shard: options.shard,
    signal: options.signal,
    onProgress: options.onProgress,
  };
}

/** Runs a synthetic experiment as a sweep and returns its table; see syntheticSweepOptions. */
export function runSyntheticSweep(experiment: SyntheticExperimentName, options: SyntheticSweepOptions = {}): Promise<SweepResult> {
  return runSweep(syntheticSweepOptions(experiment, options));
}
