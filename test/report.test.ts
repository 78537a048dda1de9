import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { runReport } from "../lib/report/run";

describe("report parts", () => {
  const outDir = mkdtempSync(join(tmpdir(), "otmoe-report-"));
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it("writes only the requested part", async () => {
    await runReport({ outDir, parts: ["quickstart"], images: false, log: () => undefined });
    const index = readFileSync(join(outDir, "README.md"), "utf8");

    assert.match(index, /--parts quickstart/);
    assert.match(index, /## Quickstart/);
    assert.doesNotMatch(index, /## D2/);
    assert.ok(existsSync(join(outDir, "quickstart-metrics.csv")));
    assert.ok(!existsSync(join(outDir, "data", "d2.csv")));
  });

  it("rejects an unknown part", async () => {
    await assert.rejects(runReport({ outDir, parts: ["d3" as never], images: false, log: () => undefined }), /Unknown report part 'd3'; choose from quickstart, d2/);
  });
});
