import { gateProbabilities, argmaxRows, predictMean } from "../lib/model/density";
import { modelFromFile, readModelFile } from "../lib/model/file";
import { readCovariatesCsv } from "../lib/io/dataset-csv";
import { writeNumericCsv } from "../lib/io/csv";

export interface PredictCommandOptions {
  model: string;
  data: string;
  out: string;
}

/**
 * `otmoe predict`: writes, per row of the CSV, the predicted mean, the gate probabilities of every expert and
 * the hard label (gate MAP, experts numbered from 1 in the model file's order).
 */
export function runPredict(options: PredictCommandOptions): void {
  const model = modelFromFile(readModelFile(options.model));
  const covariates = readCovariatesCsv(options.data, model.features);
  const { x, n } = covariates;
  const K = model.K;

  const mean = predictMean(model, x, n);
  const pi = gateProbabilities(model, x, n);
  const labels = argmaxRows(pi, n, K);

  const columns = ["mean"];
  const values: ArrayLike<number>[] = [mean];
  for (let k = 0; k < K; k++) {
    columns.push(`gate_${k + 1}`);
    values.push(Float64Array.from({ length: n }, (_, i) => pi[i * K + k]));
  }
  columns.push("label");
  values.push(Int32Array.from(labels, (label) => label + 1));

  writeNumericCsv(options.out, columns, values);
  console.log(`wrote predictions for ${n} rows to ${options.out}`);
}
