import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { MODEL_FORMAT, modelFromFile, parseModel, readModelFile, serializeModel, validateModelFile, writeModelFile } from "../lib/model/file";
import type { MoEModel } from "../lib/model/types";

const folder = mkdtempSync(join(tmpdir(), "otmoe-model-file-"));
after(() => rmSync(folder, { recursive: true, force: true }));

/** K = 3, d = 2 model whose entries need all 17 significant digits or sit at the ends of the float64 range. */
function awkwardModel(): MoEModel {
  return {
    K: 3,
    d: 2,
    features: ["heart rate", "x,with \"quotes\""],
    gates: [
      [0.1 + 0.2, -1e-300, 0],
      [1 / 3, 5e-324, 0],
      [-Math.PI, 1.7976931348623157e308, 0],
    ],
    experts: [
      [-2.220446049250313e-16, 123456789.12345679, 4.9406564584124654e-324],
      [Math.E, -0.1, 1e-300],
      [Number.MAX_SAFE_INTEGER, -1e21, 7.000000000000001],
    ],
    variances: [1e-300, 0.1 + 0.2, 2.5e300],
  };
}

/** Builds a valid K = 2, d = 1 model file as a plain object, to be broken one field at a time. */
function validFile(): Record<string, unknown> {
  return {
    format: MODEL_FORMAT,
    K: 2,
    d: 1,
    features: ["x"],
    gates: [
      [0.5, 0],
      [-1, 0],
    ],
    experts: [
      [1, 2],
      [3, 4],
    ],
    variances: [1, 2],
    n: 100,
  };
}

let fileCounter = 0;

/** Writes text to a new file in the temporary folder and returns its path. */
function writeText(text: string): string {
  const path = join(folder, `case-${fileCounter++}.json`);
  writeFileSync(path, text);
  return path;
}

/** Asserts that reading `path` fails with a message that names the file and contains every pattern. */
function assertRejected(path: string, patterns: (string | RegExp)[]): void {
  assert.throws(
    () => readModelFile(path),
    (error: Error) => {
      assert.ok(error.message.includes(path), `the message does not name the file: ${error.message}`);
      for (const pattern of patterns) {
        const found = typeof pattern === "string" ? error.message.includes(pattern) : pattern.test(error.message);
        assert.ok(found, `the message lacks ${pattern}: ${error.message}`);
      }
      return true;
    },
  );
}

describe("model file round trip", () => {
  it("reads back every float64 exactly", () => {
    const model = awkwardModel();
    const path = join(folder, "awkward.json");
    writeModelFile(path, model);

    const file = readModelFile(path);
    assert.equal(file.format, MODEL_FORMAT);
    assert.deepStrictEqual(modelFromFile(file), model);
    assert.equal(file.gates[0][0], 0.30000000000000004);
    assert.equal(file.gates[1][1], 5e-324);
    assert.equal(file.variances[0], 1e-300);
  });

  it("keeps n and the fit summary", () => {
    const path = join(folder, "with-summary.json");
    const fit = { logLikelihood: -14421.298101234567, iterations: 27, seconds: 0.123456789 };
    writeModelFile(path, awkwardModel(), { n: 7200, fit });

    const file = readModelFile(path);
    assert.equal(file.n, 7200);
    assert.deepStrictEqual(file.fit, fit);
  });

  it("serializeModel text parses to the same model", () => {
    const model = awkwardModel();
    assert.deepStrictEqual(modelFromFile(parseModel(serializeModel(model), "in memory")), model);
  });

  it("leaves no temporary file", () => {
    const sub = mkdtempSync(join(folder, "atomic-"));
    writeModelFile(join(sub, "model.json"), awkwardModel());
    assert.deepEqual(readdirSync(sub), ["model.json"]);
  });

  it("overwrites an existing file completely", () => {
    const path = join(folder, "overwrite.json");
    writeFileSync(path, "x".repeat(100000));
    writeModelFile(path, awkwardModel());
    assert.deepStrictEqual(modelFromFile(readModelFile(path)), awkwardModel());
  });

  it("write to a missing folder fails and names the path", () => {
    const path = join(folder, "no-such-folder", "model.json");
    assert.throws(() => writeModelFile(path, awkwardModel()), (error: Error) => error.message.includes(path));
    assert.equal(existsSync(path), false);
  });
});

describe("malformed model files", () => {
  it("rejects text that is not JSON", () => {
    assertRejected(writeText('{"format": "otmoe-model/1", "K": 2'), ["not valid JSON"]);
    assertRejected(writeText(""), ["not valid JSON"]);
  });

  it("rejects a JSON value that is not an object", () => {
    assertRejected(writeText("[1, 2, 3]"), ["top level"]);
    assertRejected(writeText("null"), ["top level"]);
  });

  it("rejects a wrong or missing format field", () => {
    assertRejected(writeText(JSON.stringify({ ...validFile(), format: "otmoe-model/0" })), ["'format'", "otmoe-model/0", MODEL_FORMAT]);
    const { format: _format, ...withoutFormat } = validFile();
    assertRejected(writeText(JSON.stringify(withoutFormat)), ["'format'"]);
  });

  it("rejects a missing or invalid K", () => {
    const { K: _K, ...withoutK } = validFile();
    assertRejected(writeText(JSON.stringify(withoutK)), ["'K'"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), K: 0 })), ["'K'", ">= 1"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), K: 1.5 })), ["'K'", "1.5"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), K: "2" })), ["'K'"]);
  });

  it("rejects a missing or invalid d", () => {
    const { d: _d, ...withoutD } = validFile();
    assertRejected(writeText(JSON.stringify(withoutD)), ["'d'"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), d: -1 })), ["'d'"]);
  });

  it("rejects features of the wrong length or type", () => {
    assertRejected(writeText(JSON.stringify({ ...validFile(), features: ["x", "z"] })), ["'features'"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), features: [3] })), ["'features'"]);
  });

  it("rejects gates and experts of the wrong shape", () => {
    // d = 1 needs 2 rows of K = 2 entries.
    assertRejected(writeText(JSON.stringify({ ...validFile(), gates: [[0.5, 0]] })), ["'gates'", "2 rows"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), gates: [[0.5, 0], [-1]] })), ["'gates'[1]", "2 numbers"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), experts: [[1, 2], [3, 4], [5, 6]] })), ["'experts'", "2 rows"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), experts: [[1, 2, 9], [3, 4]] })), ["'experts'[0]"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), experts: "1,2,3,4" })), ["'experts'"]);
  });

  it("rejects NaN, infinite and string entries", () => {
    // JSON.stringify writes NaN as null, and JSON.parse reads 1e999 as Infinity.
    assertRejected(writeText(JSON.stringify({ ...validFile(), experts: [[1, NaN], [3, 4]] })), ["'experts'[0][1]", "null"]);
    assertRejected(writeText(JSON.stringify(validFile()).replace('"experts":[[1,2]', '"experts":[[1,1e999]')), ["'experts'[0][1]", "finite"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), gates: [["0.5", 0], [-1, 0]] })), ["'gates'[0][0]", '"0.5"']);
    assertRejected(writeText(JSON.stringify({ ...validFile(), variances: [1, "2"] })), ["'variances'[1]"]);
  });

  it("rejects zero, negative and missing variances", () => {
    assertRejected(writeText(JSON.stringify({ ...validFile(), variances: [1, 0] })), ["'variances'[1]", "> 0"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), variances: [-0.5, 2] })), ["'variances'[0]", "-0.5"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), variances: [1] })), ["'variances'", "2 numbers"]);
    const { variances: _variances, ...withoutVariances } = validFile();
    assertRejected(writeText(JSON.stringify(withoutVariances)), ["'variances'"]);
  });

  it("rejects a non-zero last gate column", () => {
    assertRejected(writeText(JSON.stringify({ ...validFile(), gates: [[0.5, 0], [-1, 0.25]] })), ["'gates'[1][1]", "0.25", "last gate column"]);
  });

  it("rejects an invalid n or fit summary", () => {
    assertRejected(writeText(JSON.stringify({ ...validFile(), n: 0 })), ["'n'"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), n: 10.5 })), ["'n'"]);
    assertRejected(writeText(JSON.stringify({ ...validFile(), fit: { logLikelihood: "high" } })), ["'fit'"]);
  });

  it("rejects an unreadable path", () => {
    assertRejected(join(folder, "missing.json"), ["file not found", "Check the path"]);
    assertRejected(folder, ["is a folder"]);
  });

  it("accepts the valid file", () => {
    const file = readModelFile(writeText(JSON.stringify(validFile())));
    assert.deepStrictEqual(modelFromFile(file), { K: 2, d: 1, features: ["x"], gates: validFile().gates, experts: validFile().experts, variances: [1, 2] });
    assert.equal(file.n, 100);
  });

  it("validateModelFile names the source", () => {
    assert.throws(() => validateModelFile({ ...validFile(), K: 0 }, "machine-3.json"), /machine-3\.json.*'K'/);
  });

  it("the written file is the serialized text", () => {
    const path = join(folder, "text.json");
    writeModelFile(path, awkwardModel(), { n: 5 });
    assert.equal(readFileSync(path, "utf8"), serializeModel(awkwardModel(), { n: 5 }));
  });
});
