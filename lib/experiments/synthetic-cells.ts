import { runDistributedStudy, type StudyMethod } from "../distributed/study";
import type { ImbalanceProfile } from "../simulate/designs";
import { IMBALANCE_PROFILES } from "../simulate/designs";
import type { Setting } from "../sweep/grid";
import { flattenMethodResult } from "../sweep/rows";
import type { CellFunction } from "../sweep/runner";
import type { SyntheticConfig } from "./synthetic-config";
import { drawD2Replicate, drawD3Replicate, type MachineSplitKind, type SyntheticReplicate } from "./synthetic-data";

/** Methods that need every machine to fit K experts, left out of D3 cells where machines fit K_m = 3. */
const EQUAL_K_METHODS: readonly StudyMethod[] = ["average", "aligned", "medoid"];

/** Experts each machine of design D3 fits. */
const D3_LOCAL_EXPERTS = 3;

export interface CellRunOptions {
  /** Worker threads for the local fits; 0 fits them one after the other on the calling thread. */
  concurrency: number;
}

/**
 * Returns the cell function of the study experiments (d2, scaling-m, scaling-n, noniid): draw a replicate
 * from the setting, run every configured method on it, one row per method. Setting keys read:
 * n, M, supportSize, profile, and for noniid scenario ("iid", "shift" or "d3") with mixing.
 */
export function studyCell(config: SyntheticConfig, run: CellRunOptions): CellFunction {
  return async (setting, _replicate, seed, context) => {
    const scenario = setting.scenario === undefined || setting.scenario === null ? "iid" : stringSetting(setting, "scenario");
    const replicate = drawReplicate(setting, scenario, config, seed);
    const d3 = scenario === "d3";

    const study = await runDistributedStudy(replicate.shards, replicate.test, {
      K: config.K,
      localK: d3 ? replicate.shards.map(() => D3_LOCAL_EXPERTS) : undefined,
      methods: d3 ? config.methods.filter((method) => !EQUAL_K_METHODS.includes(method)) : config.methods,
      em: { starts: config.starts },
      support: { size: integerSetting(setting, "supportSize"), source: "pooled" },
      federatedRounds: config.federatedRounds,
      concurrency: run.concurrency,
      seed,
      testLabels: replicate.testLabels,
      truth: replicate.truth,
      // The true intercepts of D2 and D3 all tie at 0, so the canonical order pairs experts arbitrarily; match them instead.
      alignment: "matched",
      onProgress: context.report,
      signal: context.signal,
    });
    return study.results.map(flattenMethodResult);
  };
}

/** Draws the data of one cell: design D2 (IID or covariate-shift split) or design D3. */
export function drawReplicate(setting: Setting, scenario: string, config: SyntheticConfig, seed: number): SyntheticReplicate {
  const common = {
    n: integerSetting(setting, "n"),
    machines: integerSetting(setting, "M"),
    profile: profileSetting(setting),
    testFraction: config.testFraction,
    seed,
  };

  if (scenario === "d3") return drawD3Replicate(common);
  let split: MachineSplitKind;
  if (scenario === "iid") split = { kind: "iid" };
  else if (scenario === "shift") split = { kind: "shift", mixing: setting.mixing === null || setting.mixing === undefined ? 0 : numberSetting(setting, "mixing") };
  else throw new Error(`Setting scenario is "${scenario}"; use "iid", "shift" or "d3".`);
  return drawD2Replicate({ ...common, split });
}

/** Reads a numeric setting, naming the key when it is missing or not a number. */
export function numberSetting(setting: Setting, key: string): number {
  const value = setting[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`Setting "${key}" is ${JSON.stringify(value)}; the grid must give it a number.`);
  }
  return value;
}

export function integerSetting(setting: Setting, key: string): number {
  const value = numberSetting(setting, key);
  if (!Number.isInteger(value) || value < 1) throw new Error(`Setting "${key}" is ${value}; the grid must give it a whole number >= 1.`);
  return value;
}

function stringSetting(setting: Setting, key: string): string {
  const value = setting[key];
  if (typeof value !== "string") throw new Error(`Setting "${key}" is ${JSON.stringify(value)}; the grid must give it a string.`);
  return value;
}

/** Reads the imbalance profile of a setting; "balanced" when the grid has no profile key. */
export function profileSetting(setting: Setting): ImbalanceProfile {
  const profile = setting.profile ?? "balanced";
  if (typeof profile !== "string" || !Object.hasOwn(IMBALANCE_PROFILES, profile)) {
    throw new Error(`Setting "profile" is ${JSON.stringify(profile)}; use ${Object.keys(IMBALANCE_PROFILES).join(", ")}.`);
  }
  return profile as ImbalanceProfile;
}
