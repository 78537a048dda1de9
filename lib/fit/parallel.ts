import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import Piscina from "piscina";

import type { Dataset } from "../model/types";
import { fitMoE, startSeeds, type EMOptions, type EMResult } from "./em";
import runStartTask, { type StartTask } from "./start-worker";
import { computeScaling } from "./standardize";
import { validateFitInput } from "./validate";

/**
 * Fits by EM like fitMoE, with the starts run at the same time on worker threads. The result equals
 * fitMoE's with the same options (the same seeds per start, the best log-likelihood kept); only the wall
 * time differs. With one start, one thread, or caller-given starting models, it runs fitMoE directly.
 *
 * @param concurrency - worker threads; default: available cores
 */
export async function fitMoEParallel(data: Dataset, options: EMOptions & { concurrency?: number }): Promise<EMResult> {
  const { concurrency = availableParallelism(), onIteration: _onIteration, signal, ...rest } = options;
  const starts = options.starts ?? 2;
  if (starts < 2 || concurrency < 2 || (options.initialModels?.length ?? 0) > 0) return fitMoE(data, options);
  validateFitInput(data, options.K);
  computeScaling(data);

  const started = performance.now();
  const seeds = options.startSeeds ?? startSeeds(options.seed ?? 0, starts);
  const taskFor = (index: number): StartTask => ({
    n: data.n,
    d: data.d,
    features: data.features,
    x: data.x,
    y: data.y,
    options: { ...rest, startSeeds: [seeds[index]], startIndex: index },
  });

  // Starts 2.. go to worker threads; start 1 runs here meanwhile, which saves starting one more thread.
  const pool = new Piscina({ filename: resolve(__dirname, "start-worker.js"), maxThreads: Math.max(1, Math.min(concurrency - 1, seeds.length - 1)) });
  let runs: EMResult[];
  try {
    const others = seeds.slice(1).map((_, offset) => pool.run(taskFor(offset + 1), { signal }) as Promise<EMResult>);
    // If the start here throws, destroying the pool rejects the others; that rejection is expected, not unhandled.
    for (const other of others) other.catch(() => undefined);
    const first = runStartTask(taskFor(0));
    runs = [first, ...(await Promise.all(others))];
  } finally {
    await pool.destroy();
  }

  // Keep the best start, as fitMoE does; ties go to the earlier start.
  let best = runs[0];
  for (const run of runs) if (run.logLikelihood > best.logLikelihood) best = run;
  return {
    ...best,
    starts: runs.map((run) => run.starts[0]),
    seconds: (performance.now() - started) / 1000,
  };
}
