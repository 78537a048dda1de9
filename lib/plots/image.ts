import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { dumpDom } from "./chromium";
import { checkFigure, figureToJson, type Figure } from "./figure";
import { escapeHtml, escapeJsonForScript } from "./html";
import { plotlyBundle } from "./plotly-bundle";

export type ImageFormat = "png" | "svg";

export interface ImageOptions {
  /** Output format; defaults to the file extension (.png or .svg). */
  format?: ImageFormat;
  /** Image size in CSS px (defaults 900 × 560). */
  width?: number;
  height?: number;
  /** Pixel density factor: 2 doubles the PNG resolution at the same layout (default 1). */
  scale?: number;
}

/** One figure to export by writeFigureImages. */
export interface ImageJob {
  figure: Figure;
  path: string;
  options?: ImageOptions;
}

export interface RenderOptions {
  /** Wall-clock limit for the whole Chromium run in ms (default 120 000). */
  timeoutMs?: number;
}

/**
 * Writes a figure as a PNG or SVG file rendered by plotly.js (Plotly.toImage) in headless Chromium.
 * Creates the parent folder if needed and returns the path written. Needs Chromium (Debian package
 * "chromium"); see renderImages for how the page is rendered.
 */
export async function writeFigureImage(figure: Figure, filePath: string, options: ImageOptions = {}, render: RenderOptions = {}): Promise<string> {
  const [written] = await writeFigureImages([{ figure, path: filePath, options }], render);
  return written;
}

/**
 * Writes several figures as PNG or SVG files with one Chromium run, and returns the paths written.
 * Each format comes from the job's options or its file extension.
 */
export async function writeFigureImages(jobs: readonly ImageJob[], render: RenderOptions = {}): Promise<string[]> {
  const requests = jobs.map((job) => imageRequest(job.path, job.options ?? {}));
  const images = await renderImages(jobs.map((job) => job.figure), requests, render);

  return jobs.map((job, index) => {
    mkdirSync(path.dirname(path.resolve(job.path)), { recursive: true });
    writeFileSync(job.path, images[index]);
    return job.path;
  });
}

/** Renders a figure to the bytes of a PNG (default) or SVG image, e.g. to display it inline or to send it. */
export async function renderFigureImage(figure: Figure, options: ImageOptions = {}, render: RenderOptions = {}): Promise<Buffer> {
  const format = options.format ?? "png";
  const [image] = await renderImages([figure], [imageRequest(`figure.${format}`, { ...options, format })], render);
  return image;
}

/**
 * Renders figures in one headless Chromium run. The figures go into a temporary HTML page that loads
 * plotly.js-dist's bundle from node_modules by a file:// URL, calls Plotly.toImage for each figure
 * and prints each data URL into the page. Chromium's --dump-dom returns that page, and the data URLs
 * are decoded. Chromium runs with a new temporary profile and every host name unresolvable, so it
 * loads only local files.
 */
async function renderImages(figures: readonly Figure[], requests: readonly ImageRequest[], render: RenderOptions): Promise<Buffer[]> {
  figures.forEach(checkFigure);
  if (figures.length === 0) return [];

  const folder = mkdtempSync(path.join(os.tmpdir(), "otmoe-render-"));
  let dom: string;
  try {
    const pagePath = path.join(folder, "render.html");
    writeFileSync(pagePath, renderPage(figures, requests));
    dom = await dumpDom(pathToFileURL(pagePath).href, { timeoutMs: render.timeoutMs });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const results = readResults(dom, figures.length);
  return results.map((dataUrl, index) => decodeDataUrl(dataUrl, requests[index].format));
}

interface ImageRequest {
  format: ImageFormat;
  width: number;
  height: number;
  scale: number;
}

/** Resolves the format from the options or the file extension, and checks the size. */
function imageRequest(filePath: string, options: ImageOptions): ImageRequest {
  const extension = path.extname(filePath).slice(1).toLowerCase();
  const format = options.format ?? extension;
  if (format !== "png" && format !== "svg") {
    throw new Error(`Cannot tell the image format of ${filePath}; name it *.png or *.svg, or pass { format: "png" } or { format: "svg" }.`);
  }
  if (extension !== format) {
    throw new Error(`Image format is ${format} but ${filePath} ends in .${extension}; give the file the .${format} extension.`);
  }

  const request = { format, width: options.width ?? 900, height: options.height ?? 560, scale: options.scale ?? 1 } as ImageRequest;
  for (const key of ["width", "height"] as const) {
    if (!Number.isInteger(request[key]) || request[key] < 10) {
      throw new Error(`Image ${key} is ${request[key]}; give an integer number of px >= 10.`);
    }
  }
  if (!(request.scale > 0)) {
    throw new Error(`Image scale is ${request.scale}; give a factor > 0 (1 for the plain size, 2 for double resolution).`);
  }
  return request;
}

/** Builds the page that renders each request and appends one `<pre class="result">` per request, in order. */
function renderPage(figures: readonly Figure[], requests: readonly ImageRequest[]): string {
  const plotlyUrl = pathToFileURL(plotlyBundle().path).href;
  const jobs = figures.map((figure, index) => `{"figure":${figureToJson(figure)},"image":${JSON.stringify(requests[index])}}`);
  const jobsJson = `[${jobs.join(",")}]`;

  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><script src="${escapeHtml(plotlyUrl)}"></script></head>
<body>
<div id="results"></div>
<script type="application/json" id="jobs">${escapeJsonForScript(jobsJson)}</script>
<script>
  (async () => {
    const results = document.getElementById("results");
    const write = (text) => {
      const pre = document.createElement("pre");
      pre.className = "result";
      pre.textContent = text;
      results.appendChild(pre);
    };

    const jobs = JSON.parse(document.getElementById("jobs").textContent);
    for (const job of jobs) {
      try {
        if (typeof Plotly === "undefined") throw new Error("plotly.js did not load from " + ${escapeJsonForScript(JSON.stringify(plotlyUrl))});
        write("OK " + await Plotly.toImage(job.figure, job.image));
      } catch (error) {
        write("ERROR " + (error && error.message ? error.message : String(error)));
      }
    }
  })();
</script>
</body>
</html>
`;
}

/** Extracts the text of each `<pre class="result">` from the dumped DOM and throws on a render error. */
function readResults(dom: string, expected: number): string[] {
  const results = [...dom.matchAll(/<pre class="result">([^<]*)<\/pre>/g)].map((match) => unescapeHtml(match[1]));
  if (results.length !== expected) {
    throw new Error(
      `Chromium returned ${results.length} of ${expected} rendered images; the page did not finish ` +
        "within the time limit, or plotly.js failed to load. Retry with a larger timeoutMs.",
    );
  }

  results.forEach((result, index) => {
    if (!result.startsWith("OK ")) {
      throw new Error(`Plotly.toImage failed for image ${index + 1} of ${expected}: ${result.replace(/^ERROR /, "")}`);
    }
  });
  return results.map((result) => result.slice(3));
}

/** Decodes plotly's data URLs: base64 for PNG, percent-encoded text for SVG. */
function decodeDataUrl(dataUrl: string, format: ImageFormat): Buffer {
  const comma = dataUrl.indexOf(",");
  const header = dataUrl.slice(0, comma);
  const body = dataUrl.slice(comma + 1);

  const expectedType = format === "png" ? "image/png" : "image/svg+xml";
  if (comma < 0 || !header.startsWith(`data:${expectedType}`)) {
    throw new Error(`Plotly.toImage returned "${dataUrl.slice(0, 40)}…", not a ${expectedType} data URL.`);
  }
  return header.endsWith(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
}

function unescapeHtml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}
