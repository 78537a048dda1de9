import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { drawReplicate, studyCell } from "../lib/experiments/synthetic-cells";
import { syntheticPlan } from "../lib/experiments/synthetic-config";
import { cellKey } from "../lib/sweep/cache-key";
import { expandGrid } from "../lib/sweep/grid";
import { formatProgress, progressLine, type SweepProgress } from "../lib/sweep/progress";
import { flattenMethodResult, type CellRow } from "../lib/sweep/rows";
import { runSweep, type CellFunction, type SweepOptions } from "../lib/sweep/runner";
import { parseShard } from "../lib/sweep/shard";
import { formatMeanSd, meanAndSd, ratioToReference, summarizeSweep } from "../lib/sweep/summary";
import { mergeSweepTables, parseSweepCsv, readSweepTable, sweepTableCsv, writeSweepTable, type SweepTable } from "../lib/sweep/table";

const folders: string[] = [];
function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "otmoe-sweep-test-"));
  folders.push(folder);
  return folder;
}
after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

const GRID = { profile: ["balanced", "severe"], M: [4, 16, 64] };
const REPLICATES = 2;
const CELLS = 6 * REPLICATES;

/** Returns a deterministic cell function (two methods, values from the setting and the seed) that counts its calls. */
function countingCell(): { cell: CellFunction; calls: () => number } {
  let calls = 0;
  const cell: CellFunction = (setting, replicate, seed) => {
    calls++;
    const base = (setting.profile === "severe" ? 1000 : 0) + (setting.M as number) * 10 + seed;
    return [
      { method: "global", value: base, seconds: 0.5 * replicate, missing: NaN },
      { method: "ot", value: base + 0.25, seconds: 0.1 * replicate, missing: null },
    ];
  };
  return { cell, calls: () => calls };
}

function options(cell: CellFunction, extra: Partial<SweepOptions> = {}): SweepOptions {
  return { experiment: "test", grid: GRID, replicates: REPLICATES, cell, seed: 100, ...extra };
}

describe("expandGrid", () => {
  test("cartesian product, first key slowest", () => {
    const settings = expandGrid({ a: [1, 2], b: ["x", "y", "z"] });
    assert.equal(settings.length, 6);
    assert.deepEqual(settings[0], { a: 1, b: "x" });
    assert.deepEqual(settings[1], { a: 1, b: "y" });
    assert.deepEqual(settings[5], { a: 2, b: "z" });
  });

  test("list of grids fills missing keys with null", () => {
    const settings = expandGrid([{ scenario: ["iid"] }, { scenario: ["shift"], mixing: [0, 0.5] }]);
    assert.deepEqual(settings, [
      { scenario: "iid", mixing: null },
      { scenario: "shift", mixing: 0 },
      { scenario: "shift", mixing: 0.5 },
    ]);
  });

  test("duplicate settings and empty lists are rejected", () => {
    assert.throws(() => expandGrid({ a: [1, 1] }), /duplicate/);
    assert.throws(() => expandGrid({ a: [] }), /non-empty list/);
    assert.throws(() => expandGrid({ a: [NaN] }), /finite numbers/);
  });
});

describe("cellKey", () => {
  const identity = { experiment: "d2", setting: { profile: "severe", M: 16 }, replicate: 3, seed: 3, fingerprint: { starts: 2 } };

  test("fixed value for a fixed identity", () => {
    // SHA-256 of {"experiment":"d2","fingerprint":{"starts":2},"replicate":3,"seed":3,"setting":{"M":16,"profile":"severe"}},
    // computed with sha256sum. A change of this value invalidates every existing cache.
    assert.equal(cellKey(identity), "0e0c5426c9425476f009");
  });

  test("independent of key order", () => {
    const reordered = { fingerprint: { starts: 2 }, seed: 3, replicate: 3, setting: { M: 16, profile: "severe" }, experiment: "d2" };
    assert.equal(cellKey(reordered), cellKey(identity));
  });

  test("changes with replicate, setting, seed and fingerprint", () => {
    const key = cellKey(identity);
    assert.notEqual(cellKey({ ...identity, replicate: 4 }), key);
    assert.notEqual(cellKey({ ...identity, setting: { profile: "severe", M: 64 } }), key);
    assert.notEqual(cellKey({ ...identity, seed: 4 }), key);
    assert.notEqual(cellKey({ ...identity, fingerprint: { starts: 1 } }), key);
  });
});

describe("runSweep", () => {
  test("tidy table: one row per setting, replicate and method", async () => {
    const { cell } = countingCell();
    const { table, cells, computed } = await runSweep(options(cell));
    assert.equal(cells, CELLS);
    assert.equal(computed, CELLS);
    assert.equal(table.rows.length, 2 * CELLS);
    assert.equal(table.totalCells, CELLS);
    assert.deepEqual(table.columns, ["cell", "profile", "M", "replicate", "seed", "method", "value", "seconds", "missing"]);
    assert.deepEqual(table.rows[0], { cell: 0, profile: "balanced", M: 4, replicate: 1, seed: 101, method: "global", value: 141, seconds: 0.5, missing: null });
    const last = table.rows[table.rows.length - 1];
    assert.deepEqual(last, { cell: 11, profile: "severe", M: 64, replicate: 2, seed: 102, method: "ot", value: 1742.25, seconds: 0.2, missing: null });
  });

  test("abort after k cells, then resume", async () => {
    const reference = await runSweep(options(countingCell().cell));
    const cacheDir = temporaryFolder();
    const first = countingCell();
    const controller = new AbortController();
    const stopAfter = 5;

    await assert.rejects(
      runSweep(
        options(first.cell, {
          cacheDir,
          signal: controller.signal,
          onProgress: (progress) => {
            if (progress.event === "cell-done" && progress.done === stopAfter) controller.abort();
          },
        }),
      ),
      (error: Error) => error.name === "AbortError" && /after 5 of 12 cells/.test(error.message),
    );
    assert.equal(first.calls(), stopAfter);
    assert.equal(readdirSync(cacheDir).filter((name) => name.endsWith(".json")).length, stopAfter);

    const second = countingCell();
    const resumed = await runSweep(options(second.cell, { cacheDir }));
    assert.equal(second.calls(), CELLS - stopAfter);
    assert.equal(resumed.cached, stopAfter);
    assert.deepEqual(resumed.table, reference.table);

    const third = countingCell();
    const again = await runSweep(options(third.cell, { cacheDir }));
    assert.equal(third.calls(), 0);
    assert.deepEqual(again.table, reference.table);
  });

  test("cell that throws once, then resume", async () => {
    const reference = await runSweep(options(countingCell().cell));
    const cacheDir = temporaryFolder();
    const inner = countingCell();
    let failed = false;
    const flaky: CellFunction = (setting, replicate, seed, context) => {
      if (!failed && setting.profile === "severe" && setting.M === 4 && replicate === 2) {
        failed = true;
        throw new Error("out of memory");
      }
      return inner.cell(setting, replicate, seed, context);
    };

    await assert.rejects(runSweep(options(flaky, { cacheDir })), /cell profile=severe M=4 replicate 2 \(seed 102\) failed: out of memory/);
    // Cells 0..6 come before the failing one (cell 7) in grid order.
    assert.equal(inner.calls(), 7);

    const resumed = await runSweep(options(flaky, { cacheDir }));
    assert.equal(inner.calls(), CELLS);
    assert.equal(resumed.computed, CELLS - 7);
    assert.deepEqual(resumed.table, reference.table);
  });

  test("unreadable cache file is recomputed", async () => {
    const cacheDir = temporaryFolder();
    await runSweep(options(countingCell().cell, { cacheDir }));
    const [file] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, file), "{ not json");

    const warnings: string[] = [];
    const counter = countingCell();
    await runSweep(options(counter.cell, { cacheDir, onWarning: (message) => warnings.push(message) }));
    assert.equal(counter.calls(), 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /not valid JSON/);
    assert.doesNotThrow(() => JSON.parse(readFileSync(join(cacheDir, file), "utf8")));
  });

  test("shards merged equal the whole", async () => {
    const whole = await runSweep(options(countingCell().cell));
    const shards: SweepTable[] = [];
    for (const index of [1, 2, 3]) {
      const counter = countingCell();
      const result = await runSweep(options(counter.cell, { shard: { index, count: 3 } }));
      assert.equal(counter.calls(), CELLS / 3);
      shards.push(result.table);
    }

    // In memory, in any order of the shards.
    assert.deepEqual(mergeSweepTables([shards[2], shards[0], shards[1]]), whole.table);

    // Through files: JSON twins, and the CSV text alone.
    const folder = temporaryFolder();
    const paths = shards.map((table, s) => writeSweepTable(table, join(folder, `shard${s + 1}.csv`)).csv);
    assert.deepEqual(mergeSweepTables(paths.map((path) => readSweepTable(path)), paths), whole.table);
    const fromCsv = mergeSweepTables(paths.map((path) => parseSweepCsv(readFileSync(path, "utf8"), path)));
    assert.equal(sweepTableCsv(fromCsv), sweepTableCsv(whole.table));

    assert.throws(() => mergeSweepTables([shards[0], shards[0]], ["a.csv", "b.csv"]), /Cell 0 is in both a.csv and b.csv/);
  });

  test("progress events count cells and estimate time left", async () => {
    const cacheDir = temporaryFolder();
    const events: SweepProgress[] = [];
    await runSweep(options(countingCell().cell, { cacheDir, onProgress: (progress) => events.push(progress) }));

    assert.equal(events[0].event, "start");
    assert.equal(events[0].remainingSeconds, null);
    assert.equal(events.at(-1)!.event, "end");
    const done = events.filter((progress) => progress.event === "cell-done");
    assert.deepEqual(done.map((progress) => progress.done), Array.from({ length: CELLS }, (_, i) => i + 1));
    assert.ok(done.every((progress) => progress.total === CELLS && progress.remainingSeconds !== null));
    assert.equal(done.at(-1)!.remainingSeconds, 0);

    const rerun: SweepProgress[] = [];
    await runSweep(options(countingCell().cell, { cacheDir, onProgress: (progress) => rerun.push(progress) }));
    assert.equal(rerun.filter((progress) => progress.event === "cached").length, CELLS);
    assert.equal(rerun.at(-1)!.cached, CELLS);
  });

  test("progress line on a log stream", async () => {
    let text = "";
    const stream = { write: (chunk: string) => (text += chunk), isTTY: false };
    await runSweep(options(countingCell().cell, { onProgress: progressLine("sweep test", stream) }));
    const lines = text.trim().split("\n");
    assert.equal(lines.length, CELLS + 2);
    assert.match(lines[1], /^sweep test: 1\/12 cells \| \d+s elapsed \| ~\d+s left \| profile=balanced M=4 replicate 1$/);
    assert.match(lines.at(-1)!, /^sweep test: 12\/12 cells \| \d+s elapsed \| finished$/);
    const progress: SweepProgress = { event: "cell-done", done: 3, total: 10, cached: 1, elapsedSeconds: 75, remainingSeconds: 4000 };
    assert.equal(formatProgress("s", progress), "s: 3/10 cells (1 cached) | 1m15s elapsed | ~1h06m left");
  });

  test("reserved column in a cell's rows is rejected", async () => {
    const cell: CellFunction = () => [{ method: "ot", replicate: 3 }];
    await assert.rejects(runSweep(options(cell)), /column "replicate", which the sweep table reserves/);
  });
});

describe("shards and summaries", () => {
  test("parseShard", () => {
    assert.deepEqual(parseShard("2/8"), { index: 2, count: 8 });
    assert.throws(() => parseShard("0/8"), /from 1 to 8/);
    assert.throws(() => parseShard("9/8"), /from 1 to 8/);
    assert.throws(() => parseShard("2-8"), /i\/n/);
  });

  test("meanAndSd by hand", () => {
    // Values 1, 2, 6: mean 3, squared deviations 4 + 1 + 9 = 14, sd = sqrt(14 / 2) = sqrt(7).
    const { mean, sd } = meanAndSd([1, 2, 6]);
    assert.equal(mean, 3);
    assert.equal(sd, Math.sqrt(7));
    assert.deepEqual(meanAndSd([5]), { mean: 5, sd: null });
    assert.deepEqual(meanAndSd([]), { mean: null, sd: null });
    assert.equal(formatMeanSd(-2.64213, 0.012345), "-2.642 ± 0.012");
    assert.equal(formatMeanSd(16, 0), "16 ± 0");
  });

  test("summarizeSweep per setting and method", async () => {
    const { table } = await runSweep(options(countingCell().cell));
    const summary = summarizeSweep(table);
    assert.equal(summary.length, 12);
    // profile=balanced, M=4, global: values 141 and 142 (seeds 101 and 102).
    assert.deepEqual(
      { profile: summary[0].profile, M: summary[0].M, method: summary[0].method, count: summary[0].count, mean: summary[0].valueMean, sd: summary[0].valueSd },
      { profile: "balanced", M: 4, method: "global", count: 2, mean: 141.5, sd: Math.SQRT1_2 },
    );
    assert.equal(summary[0].missingMean, undefined);

    const withSpeedup = ratioToReference(table.rows, "global", "seconds", "speedup");
    assert.equal(withSpeedup[1].speedup, 5);
    assert.equal(withSpeedup[0].speedup, 1);
  });

  test("flattenMethodResult columns", () => {
    const row = flattenMethodResult({
      method: "ot",
      metrics: {
        n: 10, logLikelihood: -20, meanLogLikelihood: -2, rpe: 0.3, rmse: 1.5, mae: 1, pearson: NaN,
        randIndex: 0.8, adjustedRandIndex: 0.5, clusteringError: 0.1,
        parameterMse: { gates: 1, experts: 2, variances: 3, total: 2.5 }, transportDivergence: null,
      },
      times: { wall: 4, slowestLocal: 3, sumLocal: 10, aggregation: 1 },
      communication: { bytes: 1234, rounds: 1 },
      warnings: ["a", "b"],
    });
    assert.equal(row.method, "ot");
    assert.equal(row.meanLogLikelihood, -2);
    assert.equal(row.pearson, null);
    assert.equal(row.parameterMseExperts, 2);
    assert.equal(row.parameterMse, 2.5);
    assert.equal(row.wallSeconds, 4);
    assert.equal(row.aggregationSeconds, 1);
    assert.equal(row.bytes, 1234);
    assert.equal(row.warnings, 2);
  });
});

describe("synthetic study cell", () => {
  // Small but complete: 1500 points, 2 machines, one EM start, every method.
  const config = { ...syntheticPlan("noniid", true).config, federatedRounds: [1, 5] };
  const cell = studyCell(config, { concurrency: 0 });
  const context = { report: () => undefined };
  const common = { profile: "balanced", n: 1500, M: 2, supportSize: 200 };

  test("IID cell has one row per method", async () => {
    const rows = (await cell({ scenario: "iid", mixing: null, ...common }, 1, 1, context)) as CellRow[];
    assert.deepEqual(
      rows.map((row) => row.method),
      ["global", "ot", "ot-posterior", "average", "aligned", "medoid", "greedy", "fedem@1", "fedem@5"],
    );
    for (const row of rows) {
      assert.equal(typeof row.meanLogLikelihood, "number", `${row.method} has no test log-likelihood`);
      assert.equal(typeof row.adjustedRandIndex, "number", `${row.method} has no ARI`);
      assert.equal(typeof row.parameterMse, "number", `${row.method} has no parameter MSE`);
    }
    const global = rows.find((row) => row.method === "global")!;
    assert.equal(global.rounds, 1);
    assert.equal(rows.find((row) => row.method === "fedem@5")!.rounds, 6);
  });

  test("D3 cell drops the equal-K methods", async () => {
    const rows = (await cell({ scenario: "d3", mixing: null, ...common }, 1, 1, context)) as CellRow[];
    assert.deepEqual(
      rows.map((row) => row.method),
      ["global", "ot", "ot-posterior", "greedy", "fedem@1", "fedem@5"],
    );
  });

  test("same seed gives the same data", () => {
    const setting = { scenario: "shift", mixing: 0.5, ...common };
    const first = drawReplicate(setting, "shift", config, 7);
    const second = drawReplicate(setting, "shift", config, 7);
    const other = drawReplicate(setting, "shift", config, 8);
    assert.deepEqual(first.shards[1].y, second.shards[1].y);
    assert.deepEqual(first.test.x, second.test.x);
    assert.notDeepEqual(first.test.y, other.test.y);
    assert.equal(first.shards.length, 2);
    assert.equal(first.test.n, 300);
  });
});
