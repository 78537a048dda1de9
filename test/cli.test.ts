import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

import { parseNumericCsv } from "../lib/io/csv";
import { predictMean } from "../lib/model/density";
import { modelFromFile, readModelFile } from "../lib/model/file";
import { Random } from "../lib/random";

/** The compiled CLI, next to this compiled test in dist/. */
const CLI = resolve(__dirname, "../cli/main.js");

const folder = mkdtempSync(join(tmpdir(), "otmoe-cli-"));
after(() => rmSync(folder, { recursive: true, force: true }));

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): RunResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: folder, encoding: "utf8", timeout: 30000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes a CSV with a header row into the temporary folder and returns its name. */
function writeCsv(name: string, header: string[], rows: (number | string)[][]): string {
  const lines = [header.join(","), ...rows.map((row) => row.map(String).join(","))];
  writeFileSync(join(folder, name), lines.join("\n") + "\n");
  return name;
}

/**
 * Draws n rows (x1, x2, y) of a 2-expert problem with x1, x2 ~ N(0, 1). Expert 1 (y = 3 + x1) is chosen with
 * probability 1 / (1 + e^(−2 x1)), otherwise expert 2 (y = −3 − x2), and the noise sd is 0.3.
 */
function twoExpertRows(n: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: n }, () => {
    const x1 = random.normal();
    const x2 = random.normal();
    const first = random.uniform() < 1 / (1 + Math.exp(-2 * x1));
    const y = (first ? 3 + x1 : -3 - x2) + 0.3 * random.normal();
    return [x1, x2, y];
  });
}

const HEADER = ["x1", "x2", "y"];
const goodData = writeCsv("good.csv", HEADER, twoExpertRows(200, 2));

describe("cli fit then predict", () => {
  const fit = runCli(["fit", "--data", goodData, "--target", "y", "--K", "2", "--seed", "1", "--out", "model.json"]);
  const predict = runCli(["predict", "--model", "model.json", "--data", goodData, "--out", "predictions.csv"]);

  it("fit exits 0 and writes a valid model file", () => {
    assert.equal(fit.status, 0, `fit failed: ${fit.stderr}`);
    const file = readModelFile(join(folder, "model.json"));
    assert.equal(file.K, 2);
    assert.equal(file.d, 2);
    assert.deepEqual(file.features, ["x1", "x2"]);
    assert.equal(file.n, 200);
    assert.ok(file.fit !== undefined, "the fit summary is missing");
    assert.ok(Number.isFinite(file.fit.logLikelihood), `the stored log-likelihood is ${file.fit.logLikelihood}`);
    assert.match(fit.stdout, /log-likelihood/);
  });

  it("fit finds the two experts", () => {
    // Intercepts 3 and −3 with noise sd 0.3 on 200 rows: 0.3 is several standard errors.
    const model = modelFromFile(readModelFile(join(folder, "model.json")));
    assert.ok(Math.abs(model.experts[0][0] + 3) < 0.3, `intercept of expert 1 is ${model.experts[0][0]}, expected about −3`);
    assert.ok(Math.abs(model.experts[0][1] - 3) < 0.3, `intercept of expert 2 is ${model.experts[0][1]}, expected about 3`);
  });

  it("predict writes mean, gates and label for every row", () => {
    assert.equal(predict.status, 0, `predict failed: ${predict.stderr}`);
    const table = parseNumericCsv(readFileSync(join(folder, "predictions.csv"), "utf8"), "predictions.csv");
    assert.deepEqual(table.columns, ["mean", "gate_1", "gate_2", "label"]);
    assert.equal(table.rows, 200);

    const [mean, gate1, gate2, label] = table.values;
    for (let i = 0; i < table.rows; i++) {
      assert.ok(Math.abs(gate1[i] + gate2[i] - 1) < 1e-12, `gates of row ${i + 1} sum to ${gate1[i] + gate2[i]}`);
      assert.equal(label[i], gate1[i] >= gate2[i] ? 1 : 2, `label of row ${i + 1}`);
    }

    // The written means are the model's predictions at full precision.
    const model = modelFromFile(readModelFile(join(folder, "model.json")));
    const input = parseNumericCsv(readFileSync(join(folder, goodData), "utf8"), goodData, ["x1", "x2"]);
    const x = Float64Array.from({ length: 400 }, (_, t) => input.values[t % 2][Math.floor(t / 2)]);
    const expected = predictMean(model, x, 200);
    for (let i = 0; i < 200; i++) assert.equal(mean[i], expected[i], `mean of row ${i + 1}`);
  });

  it("leaves no temporary file", () => {
    const stray = readdirSync(folder).filter((name) => name.endsWith(".tmp"));
    assert.deepEqual(stray, []);
  });
});

describe("cli distributed with a shards folder", () => {
  const labelled = writeCsv("labelled.csv", ["x1", "x2", "y", "label"], twoExpertRows(400, 4).map((row) => [...row, row[2] > 0 ? 1 : 2]));
  const run = runCli(["distributed", "--data", labelled, "--target", "y", "--features", "x1,x2", "--labels", "label", "--machines", "2", "--K", "2",
    "--methods", "ot", "--shards-dir", "shards", "--out", "study.json"]);

  it("writes test.csv with the label column", () => {
    assert.equal(run.status, 0, run.stderr);
    const header = readFileSync(join(folder, "shards", "test.csv"), "utf8").split("\n")[0];
    assert.equal(header, "x1,x2,y,label");
  });

  it("leaves the label out of the machine files", () => {
    const header = readFileSync(join(folder, "shards", "machine_1.csv"), "utf8").split("\n")[0];
    assert.equal(header, "x1,x2,y");
  });

  it("lets evaluate read the held-out labels", () => {
    ensureModel();
    const evaluation = runCli(["evaluate", "--model", "reference.json", "--data", join("shards", "test.csv"), "--target", "y", "--labels", "label"]);
    assert.equal(evaluation.status, 0, evaluation.stderr);
  });
});

/** A failing run: the arguments, and patterns that the error message must contain (the value and the fix). */
interface FailureCase {
  name: string;
  args: (out: string) => string[];
  patterns: (string | RegExp)[];
}

const rows = twoExpertRows(60, 3);

const nanData = writeCsv("nan.csv", HEADER, rows.map((row, i) => (i === 3 ? ["NaN", row[1], row[2]] : row)));
const infinityData = writeCsv("infinity.csv", HEADER, rows.map((row, i) => (i === 7 ? [row[0], row[1], "Infinity"] : row)));
const emptyData = writeCsv("empty-field.csv", HEADER, rows.map((row, i) => (i === 5 ? [row[0], "", row[2]] : row)));
const textData = writeCsv("text.csv", ["x1", "group", "y"], rows.map((row, i) => [row[0], i % 2 === 0 ? "low" : "high", row[2]]));
const constantData = writeCsv("constant.csv", HEADER, rows.map((row) => [row[0], 3, row[2]]));
// K = 3, d = 2 has (d+1)(2K−1) + K = 18 free parameters.
const shortData = writeCsv("short.csv", HEADER, rows.slice(0, 10));
const onlyX1 = writeCsv("only-x1.csv", ["x1"], rows.map((row) => [row[0]]));
writeFileSync(join(folder, "malformed.json"), '{"format": "otmoe-model/1", "K": 2, "d": 2, "features": ["x1", "x2"], "gates": [[1, 0]]}');
writeFileSync(join(folder, "not-json.json"), "K = 2\n");

/** Fits the reference model for the predict failures once. */
function ensureModel(): void {
  if (!existsSync(join(folder, "reference.json"))) {
    const result = runCli(["fit", "--data", goodData, "--target", "y", "--K", "2", "--out", "reference.json"]);
    assert.equal(result.status, 0, result.stderr);
  }
}

const fitArgs = (data: string, K = "2", target = "y") => (out: string) => ["fit", "--data", data, "--target", target, "--K", K, "--out", out];
const predictArgs = (model: string, data = goodData) => (out: string) => ["predict", "--model", model, "--data", data, "--out", out];

const failures: FailureCase[] = [
  { name: "fit: NaN covariate", args: fitArgs(nanData), patterns: ["'NaN'", "'x1'", "line 5", "nan.csv", "remove or impute"] },
  { name: "fit: Infinity response", args: fitArgs(infinityData), patterns: ["'Infinity'", "'y'", "line 9", "remove or impute"] },
  { name: "fit: empty field", args: fitArgs(emptyData), patterns: ["empty", "'x2'", "line 7", "remove or impute"] },
  { name: "fit: non-numeric column", args: fitArgs(textData), patterns: ["'group'", "'low'", "line 2", "remove or impute"] },
  { name: "fit: constant column", args: fitArgs(constantData), patterns: ["'x2'", "constant", "3", "remove it"] },
  { name: "fit: fewer rows than parameters", args: fitArgs(shortData, "3"), patterns: ["10 rows", "18 free parameters", "fewer experts or more rows"] },
  { name: "fit: K = 0", args: fitArgs(goodData, "0"), patterns: ["--K", "'0'", ">= 1"] },
  { name: "fit: K not a number", args: fitArgs(goodData, "two"), patterns: ["--K", "'two'", ">= 1"] },
  { name: "fit: missing target column", args: fitArgs(goodData, "2", "heart_rate"), patterns: ["'heart_rate'", "x1, x2, y", "--target"] },
  { name: "fit: tolerance not a number", args: (out) => [...fitArgs(goodData)(out), "--tol", "abc"], patterns: ["--tol", "'abc'"] },
  { name: "fit: negative tolerance", args: (out) => [...fitArgs(goodData)(out), "--tol", "-1"], patterns: ["--tol", "'-1'"] },
  { name: "fit: seed not a number", args: (out) => [...fitArgs(goodData)(out), "--seed", "abc"], patterns: ["--seed", "'abc'"] },
  { name: "fit: unreadable data file", args: fitArgs("no-such.csv"), patterns: ["no-such.csv", "file not found", "Check the path"] },
  { name: "predict: unreadable model file", args: predictArgs("no-such-model.json"), patterns: ["no-such-model.json", "file not found", "Check the path"] },
  { name: "predict: malformed model file", args: predictArgs("malformed.json"), patterns: ["malformed.json", "'gates'", "3 rows"] },
  { name: "predict: model file not JSON", args: predictArgs("not-json.json"), patterns: ["not-json.json", "not valid JSON"] },
  { name: "predict: missing feature column", args: predictArgs("reference.json", onlyX1), patterns: ["'x2'", "missing", "only-x1.csv"] },
  { name: "predict: NaN covariate", args: predictArgs("reference.json", nanData), patterns: ["'NaN'", "'x1'", "line 5"] },
  {
    name: "fit-local: support folder missing",
    args: (out) => ["fit-local", "--data", goodData, "--target", "y", "--K", "2", "--out", out, "--support-out", "no-such-folder/support.csv"],
    patterns: ["--support-out", "no-such-folder", "does not exist"],
  },
  {
    name: "fit-local: support size 0",
    args: (out) => ["fit-local", "--data", goodData, "--target", "y", "--K", "2", "--out", out, "--support-out", "support.csv", "--support-size", "0"],
    patterns: ["--support-size", "'0'"],
  },
];

describe("cli bad input", () => {
  for (const failure of failures) {
    it(`${failure.name} exits non-zero`, () => {
      ensureModel();
      const out = `out-${failure.name.replace(/[^a-zA-Z0-9]+/g, "-")}`;

      // No output file before: the run must not create one.
      const fresh = runCli(failure.args(out));
      assert.notEqual(fresh.status, 0, `exit status 0, stdout: ${fresh.stdout}`);
      for (const pattern of failure.patterns) {
        const found = typeof pattern === "string" ? fresh.stderr.includes(pattern) : pattern.test(fresh.stderr);
        assert.ok(found, `stderr lacks ${pattern}: ${fresh.stderr}`);
      }
      assert.equal(existsSync(join(folder, out)), false, `${out} was created`);

      // An existing output file must be left as it was.
      const existing = `${out}-existing`;
      writeFileSync(join(folder, existing), "previous content\n");
      const again = runCli(failure.args(existing));
      assert.notEqual(again.status, 0);
      assert.equal(readFileSync(join(folder, existing), "utf8"), "previous content\n", `${existing} was changed`);

      const stray = readdirSync(folder).filter((name) => name.endsWith(".tmp"));
      assert.deepEqual(stray, [], "temporary files left behind");
    });
  }
});
