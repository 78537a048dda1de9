import { fitMoE, type EMOptions, type EMResult } from "./em";

/** One start of an EM fit, run on a worker thread by fitMoEParallel. */
export interface StartTask {
  n: number;
  d: number;
  features: string[];
  x: Float64Array;
  y: Float64Array;
  options: Omit<EMOptions, "onIteration" | "signal">;
}

/** Runs the fit with the task's single start seed (piscina calls the default export). */
export default function runStartTask(task: StartTask): EMResult {
  return fitMoE({ n: task.n, d: task.d, features: task.features, x: task.x, y: task.y }, task.options);
}
