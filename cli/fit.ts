import { fitMoEParallel } from "../lib/fit/parallel";
import { readDatasetCsv } from "../lib/io/dataset-csv";
import { writeModelFile } from "../lib/model/file";
import { parseFeatureList, parsePositiveInteger, parsePositiveNumber, parseSeed } from "./options";

export interface FitCommandOptions {
  data: string;
  target: string;
  features?: string;
  K: string;
  starts?: string;
  seed?: string;
  tol?: string;
  maxIter?: string;
  out: string;
}

/** `otmoe fit`: reads a CSV, fits a K-expert MoE by EM (starts in parallel threads), writes the model file and prints a summary. */
export async function runFit(options: FitCommandOptions): Promise<void> {
  const K = parsePositiveInteger(options.K, "--K");
  const starts = parsePositiveInteger(options.starts ?? "2", "--starts");
  const seed = parseSeed(options.seed ?? "0");
  const data = readDatasetCsv(options.data, options.target, parseFeatureList(options.features));

  const result = await fitMoEParallel(data, {
    K,
    starts,
    seed,
    tolerance: options.tol !== undefined ? parsePositiveNumber(options.tol, "--tol") : undefined,
    maxIterations: options.maxIter !== undefined ? parsePositiveInteger(options.maxIter, "--max-iter") : undefined,
  });
  writeModelFile(options.out, result.model, { n: data.n, fit: { logLikelihood: result.logLikelihood, iterations: result.iterations, seconds: result.seconds } });

  console.log(`fitted K = ${K} experts to ${data.n} rows × ${data.d} covariates (${data.features.join(", ")})`);
  console.log(`log-likelihood ${result.logLikelihood.toFixed(4)} (mean ${(result.logLikelihood / data.n).toFixed(6)} per row), BIC ${result.bic.toFixed(2)}`);
  console.log(`iterations ${result.iterations}, converged ${result.converged}, starts ${result.starts.map((s) => s.logLikelihood.toFixed(3)).join(" / ")}`);
  console.log(`fit time ${result.seconds.toFixed(3)} s; model written to ${options.out}`);
  for (const warning of result.warnings) console.warn(`warning: ${warning}`);
}
