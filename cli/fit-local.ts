import { fitMoE } from "../lib/fit/em";
import { writeNumericCsv } from "../lib/io/csv";
import { readDatasetCsv } from "../lib/io/dataset-csv";
import { sampleMachineRows } from "../lib/distributed/support";
import { writeModelFile } from "../lib/model/file";
import { parseFeatureList, parsePositiveInteger, parseSeed, requireOutputFolder } from "./options";

export interface FitLocalCommandOptions {
  data: string;
  target: string;
  features?: string;
  K: string;
  starts: string;
  seed: string;
  out: string;
  supportOut?: string;
  supportSize: string;
}

/**
 * `otmoe fit-local`: one machine fits its own CSV and writes the model file it sends to the server,
 * and optionally a sample of its rows as its share of the support points.
 */
export function runFitLocal(options: FitLocalCommandOptions): void {
  const K = parsePositiveInteger(options.K, "--K");
  const seed = parseSeed(options.seed);
  const starts = parsePositiveInteger(options.starts, "--starts");
  const supportSize = options.supportOut ? parsePositiveInteger(options.supportSize, "--support-size") : 0;
  requireOutputFolder(options.out, "--out");
  if (options.supportOut) requireOutputFolder(options.supportOut, "--support-out");
  const data = readDatasetCsv(options.data, options.target, parseFeatureList(options.features));

  const result = fitMoE(data, { K, starts, seed });
  writeModelFile(options.out, result.model, { n: data.n, fit: { logLikelihood: result.logLikelihood, iterations: result.iterations, seconds: result.seconds } });
  console.log(`local fit: n = ${data.n}, K = ${K}, log-likelihood ${result.logLikelihood.toFixed(4)}, ${result.iterations} iterations, ${result.seconds.toFixed(3)} s -> ${options.out}`);

  if (options.supportOut) {
    const rows = sampleMachineRows(data.n, supportSize, seed);
    const columns = [...data.features, options.target];
    const values = columns.map((_, j) => Float64Array.from(rows, (i) => (j < data.d ? data.x[i * data.d + j] : data.y[i])));
    writeNumericCsv(options.supportOut, columns, values);
    console.log(`support sample: ${rows.length} rows -> ${options.supportOut}`);
  }
  for (const warning of result.warnings) console.warn(`warning: ${warning}`);
}
