import { writeNumericCsv } from "../lib/io/csv";
import { writeModelFile } from "../lib/model/file";
import { REFERENCE_MODEL, simulateFromModel } from "../lib/simulate/reference";
import { parsePositiveInteger, parseSeed } from "./options";

export interface SimulateCommandOptions {
  n: string;
  seed: string;
  out: string;
  truthOut?: string;
}

/** `otmoe simulate`: writes n rows (x1..x5, y, label) drawn from the 4-expert reference model. */
export function runSimulate(options: SimulateCommandOptions): void {
  const n = parsePositiveInteger(options.n, "--n");
  const { data, labels } = simulateFromModel(REFERENCE_MODEL, n, parseSeed(options.seed));
  const columns = data.features.map((_, j) => Float64Array.from({ length: n }, (_, i) => data.x[i * data.d + j]));

  writeNumericCsv(options.out, [...data.features, "y", "label"], [...columns, data.y, Int32Array.from(labels, (k) => k + 1)]);
  if (options.truthOut) writeModelFile(options.truthOut, REFERENCE_MODEL);
  console.log(`wrote ${n} rows drawn from the 4-expert reference model to ${options.out}`);
}
