/** A slice of a sweep: shard `index` of `count`, 1-based (the shard of a cluster array job). */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "i/n" (e.g. "2/8"), as given to `--shard`. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`--shard must look like i/n, e.g. 2/8 for the second of 8 shards, but got '${text}'.`);
  return checkShard({ index: Number(match[1]), count: Number(match[2]) });
}

/** Checks that 1 ≤ index ≤ count, both integers. */
export function checkShard(shard: Shard): Shard {
  if (!Number.isInteger(shard.count) || shard.count < 1) {
    throw new Error(`Shard count must be a whole number >= 1 but got ${shard.count}.`);
  }
  if (!Number.isInteger(shard.index) || shard.index < 1 || shard.index > shard.count) {
    throw new Error(`Shard index must be a whole number from 1 to ${shard.count} but got ${shard.index}.`);
  }
  return shard;
}

/**
 * Returns whether cell number `cell` (0-based, in grid order) belongs to the shard. Cells are dealt round-robin,
 * cell c to shard (c mod count) + 1, so that every shard gets a similar mix of cheap and costly settings.
 */
export function inShard(cell: number, shard: Shard | undefined): boolean {
  return shard === undefined || cell % shard.count === shard.index - 1;
}
