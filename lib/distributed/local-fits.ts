import { setMaxListeners } from "node:events";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import Piscina from "piscina";

import type { EMOptions } from "../fit/em";
import { validateFitInput } from "../fit/validate";
import type { Dataset } from "../model/types";
import fitLocalTask, { type LocalFitOutput, type LocalFitTask } from "./worker";

export interface LocalFitOptions extends Omit<EMOptions, "K" | "onIteration" | "signal" | "seed"> {
  /** Experts per machine: one K for all, or K_m per machine. */
  K: number | number[];
  /** Worker threads; 0 fits on the calling thread one machine after the other. Default: available cores. */
  concurrency?: number;
  /** Base seed; machine m uses seed + m. Default 0. */
  seed?: number;
  /**
   * Before the timed fits, run one short fit on every worker thread so that the compiler has optimized the EM
   * code, as it has on a machine that fits regularly. On a cold thread the first 5000-row fit with d = 20 and
   * K = 5 took about 0.35 s longer than the others. Default true; false times the cold start too.
   */
  warmUp?: boolean;
  /** Called when a machine's fit finishes. */
  onMachineDone?: (done: number, total: number, output: LocalFitOutput) => void;
  /** Cancels fits not yet started. */
  signal?: AbortSignal;
}

export interface LocalFitsResult {
  fits: LocalFitOutput[];
  /** Wall time from the first task sent to the last model received, seconds. */
  wallSeconds: number;
}

/**
 * Fits one local model per machine, really in parallel on worker threads (a piscina pool). Each machine's
 * data are checked on the calling thread first, so that a bad shard fails before any work starts and the
 * error names the machine.
 */
export async function fitLocalModels(shards: readonly Dataset[], options: LocalFitOptions): Promise<LocalFitsResult> {
  const Ks = typeof options.K === "number" ? shards.map(() => options.K as number) : options.K;
  if (Ks.length !== shards.length) throw new Error(`Got ${Ks.length} values of K for ${shards.length} machines; give one K per machine.`);
  shards.forEach((shard, m) => {
    try {
      validateFitInput(shard, Ks[m]);
    } catch (error) {
      throw new Error(`Machine ${m + 1} (n = ${shard.n}): ${(error as Error).message}`);
    }
  });

  const { K: _K, concurrency: _c, seed: _s, warmUp = true, onMachineDone, signal, ...emOptions } = options;
  const tasks: LocalFitTask[] = shards.map((shard, m) => ({
    machine: m,
    n: shard.n,
    d: shard.d,
    features: shard.features,
    x: shard.x,
    y: shard.y,
    options: { ...emOptions, K: Ks[m], seed: (options.seed ?? 0) + m },
  }));

  const concurrency = options.concurrency ?? availableParallelism();
  const started = performance.now();
  let done = 0;
  const record = (output: LocalFitOutput): LocalFitOutput => {
    done++;
    onMachineDone?.(done, shards.length, output);
    return output;
  };

  let fits: LocalFitOutput[];
  if (concurrency === 0) {
    fits = [];
    for (const task of tasks) {
      if (signal?.aborted) throw new Error("Local fits were aborted.");
      fits.push(record(fitLocalTask(task)));
    }
  } else {
    // piscina adds one abort listener per task; raise the limit so that many machines raise no warning.
    if (signal) setMaxListeners(shards.length + 10, signal);
    const pool = new Piscina({ filename: resolve(__dirname, "worker.js"), maxThreads: concurrency, minThreads: Math.min(concurrency, shards.length) });
    try {
      if (warmUp) await warmUpWorkers(pool, tasks, concurrency);
      // The shard arrays are copied, not transferred, so the caller's data stay usable.
      fits = await Promise.all(tasks.map((task) => pool.run(task, { signal }).then(record)));
    } finally {
      await pool.destroy();
    }
  }

  return { fits, wallSeconds: (performance.now() - started) / 1000 };
}

/** Rows of the warm-up fit at most: as many as a 100 000-row data set split over 16 machines gives each. */
const WARM_UP_ROWS = 5000;

/**
 * Runs one fit per worker thread, on the first rows of the smallest machine with its K and options but at most
 * 20 EM iterations, so that the timed fits run optimized code. Lighter warm-ups (1000 rows, one start) left
 * the first timed fit about 0.15 s slower than the others. The tasks are sent together, one per thread, and
 * last long enough that the pool gives each thread one. A failure here is ignored: the real fit reports it.
 */
async function warmUpWorkers(pool: Piscina, tasks: readonly LocalFitTask[], threads: number): Promise<void> {
  const smallest = tasks.reduce((best, task) => (task.n < best.n ? task : best), tasks[0]);
  const n = Math.min(smallest.n, WARM_UP_ROWS);
  const task: LocalFitTask = {
    ...smallest,
    n,
    x: smallest.x.slice(0, n * smallest.d),
    y: smallest.y.slice(0, n),
    options: { ...smallest.options, maxIterations: 20 },
  };
  await Promise.all(Array.from({ length: Math.min(threads, tasks.length) }, () => pool.run(task).catch(() => undefined)));
}
