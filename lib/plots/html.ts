import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { figureTitle, figureToJson, offlineFigure, type Figure } from "./figure";
import { plotlyBundle } from "./plotly-bundle";

/** Source of plotly.js for a page: its text, inlined in a script element, or a URL relative to the page. */
export type PlotlySource = { inline: string } | { src: string };

export interface HtmlPageOptions {
  /** Page title; defaults to the figure title. */
  title?: string;
  /** Plot size in px; by default the plot fills the window width and is 600 px high. */
  width?: number;
  height?: number;
}

export interface WriteHtmlOptions extends HtmlPageOptions {
  /**
   * "inline" (default) embeds plotly.js in the page, so the single file opens offline (about 10 MB
   * for plotly.js-dist 4.1.1). "sibling" copies plotly.js once into the page's folder as
   * plotly-<version>.js and links it, so many figures in one folder share it.
   */
  plotly?: "inline" | "sibling";
}

/**
 * Writes a figure as a standalone interactive HTML page that loads nothing from the network.
 * Creates the parent folder if needed and returns the path written.
 */
export function writeFigureHtml(figure: Figure, filePath: string, options: WriteHtmlOptions = {}): string {
  const mode = options.plotly ?? "inline";
  if (mode !== "inline" && mode !== "sibling") {
    throw new Error(`plotly option is ${JSON.stringify(mode)}; use "inline" or "sibling".`);
  }

  const folder = path.dirname(path.resolve(filePath));
  mkdirSync(folder, { recursive: true });

  const bundle = plotlyBundle();
  let source: PlotlySource;
  if (mode === "inline") {
    source = { inline: readFileSync(bundle.path, "utf8") };
  } else {
    const fileName = `plotly-${bundle.version}.js`;
    copyIfChanged(bundle.path, path.join(folder, fileName));
    source = { src: fileName };
  }

  writeFileSync(filePath, figureHtmlPage(figure, source, options));
  return filePath;
}

/** Builds the HTML text of a page that draws `figure` with Plotly.newPlot. */
export function figureHtmlPage(figure: Figure, plotly: PlotlySource, options: HtmlPageOptions = {}): string {
  const title = options.title ?? (figureTitle(figure) || "otmoe figure");
  const size = [
    options.width ? `width: ${options.width}px;` : "width: 100%;",
    `height: ${options.height ?? 600}px;`,
  ].join(" ");

  const plotlyScript = "inline" in plotly
    ? `<script>${checkInlineScript(plotly.inline, "plotly.js")}</script>`
    : `<script src="${escapeHtml(plotly.src)}"></script>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
${plotlyScript}
</head>
<body style="margin: 0;">
<div id="figure" style="${size}"></div>
<script type="application/json" id="figure-json">${escapeJsonForScript(figureToJson(offlineFigure(figure)))}</script>
<script>
  const figure = JSON.parse(document.getElementById("figure-json").textContent);
  Plotly.newPlot("figure", figure.data, figure.layout, Object.assign({ responsive: true }, figure.config));
</script>
</body>
</html>
`;
}

/** Escapes &, <, > and quotes for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Makes JSON safe inside a script element, where the HTML parser would end the element at "</script"
 * or change state at "<!--". A "<" occurs in JSON only inside strings, where \u003c reads the same.
 */
export function escapeJsonForScript(json: string): string {
  return json.replace(/</g, "\\u003c");
}

/**
 * Checks that JavaScript source can sit inside a script element unchanged: it must not contain
 * "</script" or "<!--", which the HTML parser would act on.
 */
export function checkInlineScript(source: string, name: string): string {
  if (/<\/script|<!--/i.test(source)) {
    throw new Error(`${name} contains "</script" or "<!--" and cannot be inlined in HTML; use the { plotly: "sibling" } option instead.`);
  }
  return source;
}

/** Copies `from` to `to` unless `to` already exists with the same size, so repeated exports reuse one copy. */
function copyIfChanged(from: string, to: string): void {
  if (existsSync(to) && statSync(to).size === statSync(from).size) return;
  copyFileSync(from, to);
}
