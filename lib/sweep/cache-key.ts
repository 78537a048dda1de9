import { createHash } from "node:crypto";

import type { Setting } from "./grid";

/** Identity of one cell of a sweep: its experiment, setting, replicate, seed and fixed configuration. */
export interface CellIdentity {
  /** Experiment name, e.g. "d2". */
  experiment: string;
  setting: Setting;
  /** Replicate number, 1-based. */
  replicate: number;
  seed: number;
  /** Fixed configuration of the experiment that changes its results (methods, EM starts, ...); JSON data. */
  fingerprint?: unknown;
}

/**
 * Returns the cache key of a cell: the first 20 hex digits (80 bits) of the SHA-256 of its identity written
 * as canonical JSON. Object keys are sorted, so the key does not depend on the order in which a setting or
 * fingerprint lists its keys.
 */
export function cellKey(identity: CellIdentity): string {
  const text = canonicalJson({
    experiment: identity.experiment,
    setting: identity.setting,
    replicate: identity.replicate,
    seed: identity.seed,
    fingerprint: identity.fingerprint ?? null,
  });
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}

/**
 * Writes a JSON value with object keys sorted at every level. Array order is kept, and object fields that
 * are undefined are left out as JSON.stringify does. Other values JSON cannot hold (NaN, ±Infinity,
 * functions, undefined array entries) are rejected, because JSON.stringify would silently turn them into null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`Cannot hash the number ${value} into a cache key; use finite numbers or strings.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  throw new Error(`Cannot hash a value of type ${typeof value} into a cache key; use JSON data.`);
}
