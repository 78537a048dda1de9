/**
 * The MMASH regression table as a danfojs DataFrame, for exploration (describe, groupby, plots) in notebooks.
 * danfojs-node is loaded on the first call only, because importing it takes about a second.
 */
import type { DataFrame } from 'danfojs-node';

import type { MmashTable } from './mmashLoad';

/**
 * Builds a DataFrame with the columns participant (folder name), hr (beats/min), one column per feature and
 * seconds (seconds averaged into the row), one row per table row.
 *
 * NOTE: danfojs keeps plain JS arrays of boxed values, so the per-second table (about 1.46 million rows) needs
 * several hundred MB here. Use it with the 'minute' resolution or a few participants.
 */
export function mmashToDataFrame(table: MmashTable): DataFrame {
  const dfd: typeof import('danfojs-node') = require('danfojs-node');
  const { n, d, features, x, y } = table.data;

  for (const name of features) {
    if (name === 'participant' || name === 'hr' || name === 'seconds') {
      throw new Error(`Feature name "${name}" clashes with a DataFrame column of the same name. Rename the feature.`);
    }
  }

  const columns: Record<string, (number | string)[]> = {
    participant: Array.from(table.group, (g) => table.groupNames[g]),
    hr: Array.from(y),
  };
  for (let j = 0; j < d; j++) {
    const column = new Array<number>(n);
    for (let i = 0; i < n; i++) column[i] = x[i * d + j];
    columns[features[j]] = column;
  }
  columns.seconds = Array.from(table.secondsPerRow);

  return new dfd.DataFrame(columns);
}
