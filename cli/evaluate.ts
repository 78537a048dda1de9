import { transportDivergence } from "../lib/aggregate/divergence";
import { computeTestMetrics } from "../lib/eval/metrics";
import { readNumericCsv } from "../lib/io/csv";
import { readDatasetCsv } from "../lib/io/dataset-csv";
import { modelFromFile, readModelFile } from "../lib/model/file";

export interface EvaluateCommandOptions {
  model: string;
  data: string;
  target: string;
  truth?: string;
  labels?: string;
}

/** `otmoe evaluate`: prints the held-out metrics of a model file on a CSV, as JSON. */
export function runEvaluate(options: EvaluateCommandOptions): void {
  const model = modelFromFile(readModelFile(options.model));
  const data = readDatasetCsv(options.data, options.target, model.features);
  const truth = options.truth ? modelFromFile(readModelFile(options.truth)) : undefined;
  const labels = options.labels ? readNumericCsv(options.data, [options.labels]).values[0] : undefined;

  const metrics = computeTestMetrics(model, data, { truth, labels });
  if (truth) metrics.transportDivergence = transportDivergence(model, truth, data);
  console.log(JSON.stringify(metrics, null, 2));
}
