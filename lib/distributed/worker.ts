import { fitMoE, type EMOptions } from "../fit/em";
import type { MoEModel } from "../model/types";

/** The task a worker thread receives: one machine's data and the EM options. Typed arrays are transferred. */
export interface LocalFitTask {
  machine: number;
  n: number;
  d: number;
  features: string[];
  x: Float64Array;
  y: Float64Array;
  options: Omit<EMOptions, "onIteration" | "signal">;
}

/** Reply of a worker: the machine's model and its fit summary. */
export interface LocalFitOutput {
  machine: number;
  model: MoEModel;
  n: number;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Wall time of the EM fit inside the worker, seconds. */
  seconds: number;
  warnings: string[];
}

/** Fits one machine's local model; the entry point of the worker threads (piscina calls the default export). */
export default function fitLocalTask(task: LocalFitTask): LocalFitOutput {
  const data = { n: task.n, d: task.d, features: task.features, x: task.x, y: task.y };
  let result;
  try {
    result = fitMoE(data, task.options);
  } catch (error) {
    throw new Error(`Machine ${task.machine + 1}: ${(error as Error).message}`);
  }

  return {
    machine: task.machine,
    model: result.model,
    n: task.n,
    logLikelihood: result.logLikelihood,
    iterations: result.iterations,
    converged: result.converged,
    seconds: result.seconds,
    warnings: result.warnings.map((warning) => `Machine ${task.machine + 1}: ${warning}`),
  };
}
