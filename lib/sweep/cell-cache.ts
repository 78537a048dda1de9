import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { writeFileAtomic } from "../io/atomic";
import { canonicalJson, type CellIdentity } from "./cache-key";
import type { CellRow } from "./rows";

/** Format version of cached cell files; files of another version are recomputed. */
export const CELL_FILE_VERSION = 1;

/** The content of one cached cell file, `<key>.json`. */
export interface CellRecord extends CellIdentity {
  version: number;
  key: string;
  /** Rows the cell function returned, one per method. */
  rows: CellRow[];
  /** Wall time of the cell, seconds. */
  seconds: number;
  /** ISO 8601 time the cell finished. */
  finishedAt: string;
}

/** Finished cells of a sweep, one small JSON file per cell in one folder. */
export class CellCache {
  /** Creates the folder if it does not exist. */
  constructor(readonly folder: string) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw new Error(`Cannot create the sweep cache folder '${folder}': ${(error as Error).message}. Choose a writable --cache folder.`);
    }
  }

  /** Path of the file of a cell. */
  pathOf(key: string): string {
    return join(this.folder, `${key}.json`);
  }

  /**
   * Returns the cached record of a cell, or null when there is none. A file that cannot be parsed, has another
   * format version or belongs to another identity (a hash collision or a hand-edited file) counts as missing,
   * and `onInvalid` receives the reason, so the cell is recomputed and the file replaced.
   */
  read(key: string, identity: CellIdentity, onInvalid?: (message: string) => void): CellRecord | null {
    const path = this.pathOf(key);
    if (!existsSync(path)) return null;

    let record: CellRecord;
    try {
      record = JSON.parse(readFileSync(path, "utf8")) as CellRecord;
    } catch (error) {
      onInvalid?.(`cached cell ${path} is not valid JSON (${(error as Error).message}); recomputing it`);
      return null;
    }

    if (record?.version !== CELL_FILE_VERSION || !Array.isArray(record.rows)) {
      onInvalid?.(`cached cell ${path} has format version ${String(record?.version)}, not ${CELL_FILE_VERSION}; recomputing it`);
      return null;
    }
    if (canonicalJson(identityOf(record)) !== canonicalJson(identityOf(identity))) {
      onInvalid?.(`cached cell ${path} belongs to another setting or replicate; recomputing it`);
      return null;
    }
    return record;
  }

  /** Writes the record of a finished cell atomically, so an interrupted write never leaves a partial file. */
  write(record: CellRecord): void {
    writeFileAtomic(this.pathOf(record.key), JSON.stringify(record) + "\n");
  }
}

function identityOf(identity: CellIdentity): CellIdentity {
  return {
    experiment: identity.experiment,
    setting: identity.setting,
    replicate: identity.replicate,
    seed: identity.seed,
    fingerprint: identity.fingerprint ?? null,
  };
}
