import { readFileSync } from "node:fs";
import path from "node:path";
import { figureTitle, figureToJson, offlineFigure, type Figure } from "./figure";
import { checkInlineScript, escapeHtml, escapeJsonForScript } from "./html";
import { renderFigureImage, type ImageOptions } from "./image";
import { displayBundle } from "./notebook-display";
import { plotlyBundle } from "./plotly-bundle";
import { htmlTable, markdownTable, type TableOptions } from "./table";

/** MIME type of a plotly figure in Jupyter outputs, rendered by JupyterLab's plotly extension and VS Code. */
export const PLOTLY_MIME_TYPE = "application/vnd.plotly.v1+json";

export interface ShowFigureOptions {
  /** Height of the HTML fallback in px (default 500). */
  height?: number;
  /**
   * Adds a text/html alternative that draws the figure with window.Plotly (default true). Set false
   * to halve the size of the saved output for large figures.
   */
  htmlFallback?: boolean;
}

/**
 * Displays a figure in a tslab notebook as one output with three MIME types. Frontends with a plotly
 * renderer draw `application/vnd.plotly.v1+json`. Others fall back to text/html, which draws the figure
 * when plotly.js is loaded in the page (see showPlotlyLibrary) and otherwise shows a note. text/plain is last.
 */
export function showFigure(figure: Figure, options: ShowFigureOptions = {}): void {
  const height = options.height ?? 500;
  if (!Number.isInteger(height) || height < 50) {
    throw new Error(`height is ${options.height}; give the figure height as an integer number of px >= 50.`);
  }

  const json = figureToJson(offlineFigure(figure));
  const title = figureTitle(figure);
  const bundle: Record<string, unknown> = { [PLOTLY_MIME_TYPE]: JSON.parse(json) };

  if (options.htmlFallback ?? true) bundle["text/html"] = figureHtmlFallback(json, title, height);
  bundle["text/plain"] = `Plotly figure${title ? ` "${title}"` : ""} with ${figure.data.length} traces`;

  displayBundle(bundle);
}

/**
 * Renders a figure to PNG in headless Chromium and displays the image, for outputs that must show
 * without any plotly renderer (GitHub's notebook view, exported PDFs). Chromium's start takes about a
 * second. Await the call in its cell, because an image that arrives later lands in another cell's output.
 */
export async function showFigureImage(figure: Figure, options: Omit<ImageOptions, "format"> = {}): Promise<void> {
  const png = await renderFigureImage(figure, { ...options, format: "png" });
  displayBundle({ "image/png": png.toString("base64"), "text/plain": `PNG of figure "${figureTitle(figure)}"` });
}

export interface PlotlyLibraryOptions {
  /**
   * "server" (default) displays a short script that loads plotly.js-dist's bundle from the Jupyter
   * server that serves the notebook (its /files/ route), which works when node_modules lies under
   * the server's root folder. "inline" stores the whole bundle in the output (about 10 MB for
   * plotly.js-dist 4.1.1), which also works in `jupyter nbconvert --to html` exports and offline copies.
   */
  source?: "server" | "inline";
}

/**
 * Loads plotly.js into the notebook page, so the text/html alternative of later showFigure outputs
 * draws in frontends without a plotly renderer (Debian's classic Notebook 6). Call it once, before
 * the first showFigure. The page runs the script only while the notebook is trusted: outputs made in
 * the current session are, a notebook executed headless is not until `jupyter trust` signs it.
 */
export function showPlotlyLibrary(options: PlotlyLibraryOptions = {}): void {
  const bundle = plotlyBundle();
  const source = options.source ?? "server";

  if (source === "inline") {
    const script = checkInlineScript(readFileSync(bundle.path, "utf8"), "plotly.js");
    displayBundle({ "text/html": `<script>${script}</script>`, "text/plain": `plotly.js ${bundle.version} (inline)` });
    return;
  }
  if (source !== "server") {
    throw new Error(`source is ${JSON.stringify(source)}; use "server" or "inline".`);
  }

  // The kernel runs in the notebook's folder, so this is the bundle's path relative to the notebook.
  const relativePath = path.relative(process.cwd(), bundle.path).split(path.sep).map(encodeURIComponent).join("/");
  displayBundle({ "text/html": serverLoaderHtml(relativePath, bundle.version), "text/plain": `plotly.js ${bundle.version} loader` });
}

/**
 * Builds a script that derives the notebook folder's /files/ URL from the page address
 * (/notebooks/<path> in Notebook 6 and 7, /lab/tree/<path> or /doc/tree/<path> in JupyterLab) and
 * loads plotly.js from there. `window.otmoePlotly` is the promise that the figure fallbacks wait on.
 */
export function serverLoaderHtml(relativePath: string, version: string): string {
  const id = `otmoe-plotly-${Math.random().toString(36).slice(2, 10)}`;
  return `<div id="${id}">plotly.js ${escapeHtml(version)}: not loaded (the notebook is not trusted, or scripts are off).</div>
<script>
  (function () {
    var status = document.getElementById("${id}");
    var page = window.location.pathname;
    var markers = ["/notebooks/", "/lab/tree/", "/doc/tree/"];
    var url = null;
    for (var i = 0; i < markers.length && url === null; i++) {
      var at = page.indexOf(markers[i]);
      if (at < 0) continue;
      var notebookPath = page.slice(at + markers[i].length);
      var folder = notebookPath.slice(0, notebookPath.lastIndexOf("/") + 1);
      url = page.slice(0, at) + "/files/" + folder + ${JSON.stringify(relativePath)};
    }
    if (window.Plotly) {
      status.textContent = "plotly.js " + window.Plotly.version + " already loaded";
      return;
    }
    if (url === null) {
      status.textContent = "plotly.js not loaded: the page address " + page + " is not a Jupyter notebook URL; use showPlotlyLibrary({ source: 'inline' }).";
      return;
    }
    status.textContent = "plotly.js: loading " + url;
    window.otmoePlotly = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = function () { resolve(window.Plotly); };
      script.onerror = function () { reject(new Error("plotly.js not found at " + url + "; start Jupyter in the otmoe folder or use showPlotlyLibrary({ source: 'inline' })")); };
      document.head.appendChild(script);
    });
    window.otmoePlotly.then(
      function (Plotly) { status.textContent = "plotly.js " + Plotly.version + " loaded from " + url; },
      function (error) { status.textContent = error.message; }
    );
  })();
</script>`;
}

/** Displays rows of objects as an HTML table with a Markdown alternative; see htmlTable for the options. */
export function showTable(rows: readonly Record<string, unknown>[], options: TableOptions = {}): void {
  displayBundle({ "text/html": htmlTable(rows, options), "text/markdown": markdownTable(rows, options), "text/plain": markdownTable(rows, options) });
}

/** Builds the text/html alternative: a div that the inline script fills with Plotly.newPlot when plotly.js is loaded. */
export function figureHtmlFallback(json: string, title: string, height: number): string {
  const id = `otmoe-figure-${Math.random().toString(36).slice(2, 10)}`;
  const message =
    `Figure${title ? ` "${escapeHtml(title)}"` : ""} not drawn: this frontend has no renderer for ${PLOTLY_MIME_TYPE}, ` +
    "and plotly.js is not loaded in the page or the notebook is not trusted. Call showPlotlyLibrary() before " +
    "showFigure, or open the notebook in JupyterLab with the jupyterlab-plotly extension or in VS Code.";

  return `<div id="${id}" style="height: ${height}px;">${message}</div>
<script type="application/json" id="${id}-json">${escapeJsonForScript(json)}</script>
<script>
  (function () {
    var element = document.getElementById("${id}");
    function draw(Plotly) {
      var figure = JSON.parse(document.getElementById("${id}-json").textContent);
      element.textContent = "";
      Plotly.newPlot(element, figure.data, figure.layout, Object.assign({ responsive: true }, figure.config));
    }
    if (window.Plotly) draw(window.Plotly);
    else if (window.otmoePlotly) window.otmoePlotly.then(draw, function (error) { element.textContent += " " + error.message; });
  })();
</script>`;
}
