// Public API of otmoe. The MMASH loader (lib/data/mmashLoad) and the plots (lib/plots) load heavier
// packages (mathjs, papaparse, plotly.js), so they are imported from their own modules, not from here.
export * from "./model/types";
export * from "./model/density";
export { canonicalize, canonicalOrder, permuteExperts } from "./model/canonical";
export { sampleResponses, sampleStandardNormal, type MoESample } from "./model/sample";
export * from "./model/file";
export { Random } from "./random";

export { fitMoE, startSeeds, type EMOptions, type EMResult, type StartSummary } from "./fit/em";
export { fitMoEParallel } from "./fit/parallel";
export { fitMultinomialLogistic, LogisticSolver, type LogisticOptions, type LogisticProblem, type LogisticResult } from "./fit/logistic";
export type { InitMethod } from "./fit/init";

export * from "./aggregate/index";
export { fitFederatedEM, type FederatedEMOptions, type FederatedEMResult, type FederatedSnapshot } from "./baselines/federated-em";

export * from "./distributed/split";
export { fitLocalModels, type LocalFitOptions, type LocalFitsResult } from "./distributed/local-fits";
export { drawSupport, sampleMachineRows, type SupportOptions, type SupportSample, type SupportSource } from "./distributed/support";
export { aggregate, poolShards, runDistributedStudy, STUDY_METHODS, type MethodResult, type MethodTimes, type StudyMethod, type StudyOptions, type StudyResult } from "./distributed/study";
export { summarizeResults, type SummaryRow as MethodSummaryRow } from "./distributed/summary";

export * from "./eval/metrics";
export * from "./simulate/designs";
export { REFERENCE_MODEL, simulateFromModel } from "./simulate/reference";
export { readDatasetCsv, readCovariatesCsv } from "./io/dataset-csv";
export { readNumericCsv, writeNumericCsv, readCsvHeader, type NumericTable } from "./io/csv";
