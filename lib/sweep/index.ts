// Parameter sweeps: grid × replicates × methods → a tidy results table, cached per cell, sharded, merged.
export { cellKey, canonicalJson, type CellIdentity } from "./cache-key";
export { CellCache, CELL_FILE_VERSION, type CellRecord } from "./cell-cache";
export { describeSetting, expandGrid, gridKeys, type Grid, type Setting, type SettingValue } from "./grid";
export { formatDuration, formatProgress, progressLine, progressLog, type SweepProgress, type TextStream } from "./progress";
export { flattenMethodResult, normalizeRow, toCellRows, type CellOutput, type CellRow, type MethodResultLike } from "./rows";
export { runSweep, type CellContext, type CellFunction, type SweepOptions, type SweepResult } from "./runner";
export { checkShard, inShard, parseShard, type Shard } from "./shard";
export { differenceToReference, formatMeanSd, meanAndSd, meanSdTable, ratioToReference, summarizeSweep, type MeanSdColumn, type SummaryOptions, type SummaryRow } from "./summary";
export { jsonPathOf, mergeSweepTables, missingCells, parseSweepCsv, readSweepTable, sweepTableCsv, writeSweepTable, type SweepRow, type SweepTable } from "./table";
