import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

// Compiled to dist/test/, so the repository root is two folders up.
const repoRoot = resolve(__dirname, "..", "..");
const notebookFolder = join(repoRoot, "notebooks");
const notebooks = readdirSync(notebookFolder).filter((name) => name.endsWith(".ipynb")).sort();

/** The parts of an .ipynb file the checks read. */
interface NotebookFile {
  cells: { cell_type: string; metadata?: { execution?: Record<string, string> }; outputs?: { output_type: string }[] }[];
}

/** Limit for one notebook, seconds; the quick parameters are meant to finish well within it. */
const NOTEBOOK_TIMEOUT = 240;

/** Returns why the notebooks cannot run here, or null when Jupyter and the tslab kernel are present. */
function missingTool(): string | null {
  const jupyter = spawnSync("jupyter", ["--version"], { encoding: "utf8" });
  if (jupyter.error || jupyter.status !== 0) {
    return "jupyter is not installed (apt-get install jupyter-notebook jupyter-nbconvert), so the notebooks cannot run";
  }
  if (!existsSync(join(repoRoot, "node_modules", ".bin", "tslab"))) {
    return "the tslab kernel is absent (npm ci installs it), so the notebooks cannot run";
  }
  return null;
}

const skip = missingTool();
if (skip) console.log(`# notebooks test skipped: ${skip}`);

// The copies sit in a new folder beside notebooks/, so their imports of ../dist/lib reach the same build and the
// tracked notebooks keep their saved outputs.
const workFolder = skip ? "" : mkdtempSync(join(repoRoot, ".notebook-test-"));
after(() => {
  if (workFolder) rmSync(workFolder, { recursive: true, force: true });
});

describe("notebooks with quick parameters", { skip: skip ?? false }, () => {
  test("every notebook is found", () => {
    assert.ok(notebooks.length > 0, `no notebooks in ${notebookFolder}`);
  });

  for (const name of notebooks) {
    test(`${name} runs without an error cell`, { timeout: (NOTEBOOK_TIMEOUT + 60) * 1000 }, async () => {
      const copy = join(workFolder, name);
      copyFileSync(join(notebookFolder, name), copy);

      let output = "";
      try {
        const result = await run("bash", [join(repoRoot, "scripts", "run-notebooks.sh"), "--quick", "--no-build", "--timeout", String(NOTEBOOK_TIMEOUT), copy], {
          cwd: repoRoot,
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, OTMOE_QUICK: "1" },
        });
        output = result.stdout + result.stderr;
      } catch (error) {
        const failure = error as Error & { stdout?: string; stderr?: string };
        const log = `${failure.stdout ?? ""}${failure.stderr ?? ""}`;
        assert.fail(`${name} failed headless with quick parameters:\n${log.slice(-4000)}`);
      }
      assert.match(output, new RegExp(`ok .*${basename(copy).replace(/[.]/g, "[.]")}`));

      const executed = JSON.parse(readFileSync(copy, "utf8")) as NotebookFile;
      const codeCells = executed.cells.filter((cell) => cell.cell_type === "code");
      const errors = codeCells.filter((cell) => (cell.outputs ?? []).some((out) => out.output_type === "error"));
      assert.equal(errors.length, 0, `${name} has ${errors.length} error cells`);
      // tslab leaves execution_count null, so a cell counts as run when nbconvert recorded its execution times.
      const notRun = codeCells.filter((cell) => cell.metadata?.execution?.["iopub.status.idle"] === undefined);
      assert.equal(notRun.length, 0, `${name} has ${notRun.length} code cells that did not run`);
    });
  }
});
