import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Parses a whole number ≥ 1 given on the command line, naming the option in the error. */
export function parsePositiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${option} must be a whole number >= 1 but got '${text}'.`);
  return value;
}

/** Parses a comma-separated list of column names; undefined when the option is absent. */
export function parseFeatureList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  if (names.length === 0) throw new Error(`--features must list at least one column name but got '${text}'.`);
  return names;
}

/** Checks that the folder of an output file exists, before any work, so that a run never stops half-written. */
export function requireOutputFolder(path: string, option: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) throw new Error(`The folder of ${option} '${path}' does not exist (${folder}); create it first.`);
}

/** Parses a positive finite number such as a tolerance, naming the option in the error. */
export function parsePositiveNumber(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${option} must be a finite number > 0 but got '${text}'.`);
  return value;
}

/** Parses an integer seed, naming the option in the error. */
export function parseSeed(text: string, option = "--seed"): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${option} must be an integer but got '${text}'.`);
  return value;
}
