import { readFileSync } from "node:fs";
import path from "node:path";

/** The plotly.js browser bundle shipped by the plotly.js-dist package. */
export interface PlotlyBundle {
  /** Absolute path of plotly.js-dist's `plotly.js`. */
  path: string;
  /** plotly.js-dist version, e.g. "4.1.1". */
  version: string;
}

/** Locates the plotly.js bundle from the installed plotly.js-dist package; no network access. */
export function plotlyBundle(): PlotlyBundle {
  let packageJson: string;
  try {
    packageJson = require.resolve("plotly.js-dist/package.json");
  } catch {
    throw new Error("Package plotly.js-dist not found; run npm install in the otmoe folder (it is a dependency).");
  }

  const folder = path.dirname(packageJson);
  const manifest = JSON.parse(readFileSync(packageJson, "utf8")) as { main?: string; version: string };
  return { path: path.join(folder, manifest.main ?? "plotly.js"), version: manifest.version };
}
