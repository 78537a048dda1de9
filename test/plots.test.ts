import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  axisTitle,
  boxPlotsByMethod,
  chromiumAvailable,
  chromiumPath,
  errorBarFigure,
  figureToJson,
  formatCell,
  htmlTable,
  lineFigure,
  markdownTable,
  scatterByLabel,
  showFigure,
  writeFigureHtml,
  writeFigureImages,
  type Figure,
} from "../lib/plots";
import { plotlyBundle } from "../lib/plots/plotly-bundle";
import { figureHtmlFallback, serverLoaderHtml } from "../lib/plots/show";
import vm from "node:vm";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// Plotly layouts are loosely typed; tests read them as plain JSON.
type Json = Record<string, any>;

function layoutOf(figure: Figure): Json {
  return figure.layout as Json;
}

function traces(figure: Figure): Json[] {
  return figure.data as Json[];
}

function temporaryFolder(): string {
  return mkdtempSync(path.join(os.tmpdir(), "otmoe-plots-test-"));
}

/** Reads the figure JSON back from a page written by writeFigureHtml. */
function figureInPage(html: string): Json {
  const match = html.match(/<script type="application\/json" id="figure-json">([\s\S]*?)<\/script>/);
  assert.ok(match, "page has no figure-json script element");
  return JSON.parse(match[1]);
}

const boxRows = [
  { method: "global", rmse: 1.0, loglik: -3.0 },
  { method: "reduction", rmse: 1.3, loglik: -3.2 },
  { method: "global", rmse: 1.2, loglik: null },
  { method: "reduction", rmse: 1.1, loglik: -3.05 },
];
const boxMetrics = [
  { key: "rmse", label: "test RMSE", unit: "beats/min" },
  { key: "loglik", label: "mean test log-likelihood", unit: "nats" },
];

test("axisTitle appends the unit", () => {
  assert.equal(axisTitle({ label: "heart rate", unit: "beats/min" }), "heart rate (beats/min)");
  assert.equal(axisTitle({ label: "gate probability", unit: "" }), "gate probability");
  assert.throws(() => axisTitle({ label: " ", unit: "s" }), /non-empty label/);
});

test("scatterByLabel splits points by label", () => {
  const figure = scatterByLabel(
    { x: Float64Array.from([0, 1, 2, 3, 4]), y: [10, 11, 12, 13, 14], labels: Int32Array.from([2, 0, 2, 1, 0]) },
    { x: { label: "activity", unit: "counts/min" }, y: { label: "heart rate", unit: "beats/min" }, labelName: (k) => `expert ${Number(k) + 1}` },
  );
  const data = traces(figure);

  assert.deepEqual(data.map((trace) => trace.name), ["expert 1", "expert 2", "expert 3"]);
  assert.deepEqual(data[0].x, [1, 4]);
  assert.deepEqual(data[0].y, [11, 14]);
  assert.deepEqual(data[1].x, [3]);
  assert.deepEqual(data[2].x, [0, 2]);
  assert.deepEqual(data[2].y, [10, 12]);
  assert.notEqual(data[0].marker.color, data[1].marker.color);
  assert.equal(layoutOf(figure).xaxis.title.text, "activity (counts/min)");
  assert.equal(layoutOf(figure).yaxis.title.text, "heart rate (beats/min)");
  assert.equal(layoutOf(figure).showlegend, true);
});

test("scatterByLabel rejects unequal lengths", () => {
  const axes = { x: { label: "x", unit: "m" }, y: { label: "y", unit: "m" } };
  assert.throws(() => scatterByLabel({ x: [1, 2], y: [1], labels: [0, 0] }, axes), /points\.y has 1 values but points\.x has 2/);
  assert.throws(() => scatterByLabel({ x: [1, 2], y: [1, 2], labels: [0] }, axes), /points\.labels has 1 values/);
});

test("lineFigure gives titles and plain arrays", () => {
  const figure = lineFigure(
    [
      { name: "expert 1", x: Float64Array.from([0, 1]), y: Float64Array.from([0.25, 0.75]) },
      { name: "expert 2", x: [0, 1], y: [0.75, 0.25], dash: "dash" },
    ],
    { title: "gates", x: { label: "x", unit: "a.u." }, y: { label: "gate probability", unit: "" }, legendTitle: "expert" },
  );
  const data = traces(figure);

  assert.equal(data.length, 2);
  assert.ok(Array.isArray(data[0].x), "typed arrays are copied to plain arrays");
  assert.deepEqual(data[0].y, [0.25, 0.75]);
  assert.equal(data[1].line.dash, "dash");
  assert.equal(layoutOf(figure).xaxis.title.text, "x (a.u.)");
  assert.equal(layoutOf(figure).yaxis.title.text, "gate probability");
  assert.equal(layoutOf(figure).legend.title.text, "expert");
  assert.equal(layoutOf(figure).title.text, "gates");
  assert.equal(layoutOf(figure).showlegend, true);
  assert.throws(() => lineFigure([], { x: { label: "x", unit: "" }, y: { label: "y", unit: "" } }), /no series/);
});

test("errorBarFigure sets error bars", () => {
  const figure = errorBarFigure(
    [{ name: "reduction", x: [4, 16, 64], mean: [1.1, 1.2, 1.4], error: [0.1, 0.05, 0.2] }],
    { x: { label: "machines M", unit: "" }, y: { label: "test RMSE", unit: "beats/min" }, xType: "log" },
  );
  const trace = traces(figure)[0];

  assert.deepEqual(trace.y, [1.1, 1.2, 1.4]);
  assert.deepEqual(trace.error_y, { type: "data", array: [0.1, 0.05, 0.2], visible: true });
  assert.equal(layoutOf(figure).xaxis.type, "log");
  assert.equal(layoutOf(figure).xaxis.title.text, "machines M");
  assert.equal(layoutOf(figure).yaxis.title.text, "test RMSE (beats/min)");
  assert.equal(layoutOf(figure).showlegend, true);
  assert.throws(
    () => errorBarFigure([{ name: "a", x: [1], mean: [1], error: [-0.1] }], { x: { label: "x", unit: "" }, y: { label: "y", unit: "" } }),
    /error -0\.1 at index 0/,
  );
});

test("boxPlotsByMethod makes one panel per metric", () => {
  const figure = boxPlotsByMethod(boxRows, { metrics: boxMetrics, title: "MMASH" });
  const data = traces(figure);
  const layout = layoutOf(figure);

  // 2 metrics × 2 methods, methods in order of first appearance.
  assert.deepEqual(data.map((trace) => [trace.name, trace.yaxis]), [["global", "y"], ["reduction", "y"], ["global", "y2"], ["reduction", "y2"]]);
  assert.deepEqual(data[0].y, [1.0, 1.2]);
  assert.deepEqual(data[1].y, [1.3, 1.1]);
  assert.deepEqual(data[2].y, [-3.0], "the null log-likelihood is left out");
  assert.deepEqual(data.map((trace) => trace.showlegend), [true, true, false, false]);
  assert.equal(data[0].marker.color, data[2].marker.color, "a method keeps its colour across panels");

  assert.equal(layout.yaxis.title.text, "test RMSE (beats/min)");
  assert.equal(layout.yaxis2.title.text, "mean test log-likelihood (nats)");
  assert.equal(layout.xaxis.title.text, "method");
  assert.equal(layout.xaxis2.title.text, "method");
  assert.deepEqual(layout.grid, { rows: 1, columns: 2, pattern: "independent" });
  assert.equal(layout.showlegend, true);
});

test("boxPlotsByMethod rejects non-numeric metrics", () => {
  assert.throws(() => boxPlotsByMethod([{ method: "a", rmse: "1.0" }], { metrics: boxMetrics.slice(0, 1) }), /Row 0 has rmse = "1\.0"/);
  assert.throws(() => boxPlotsByMethod([{ rmse: 1 }], { metrics: boxMetrics.slice(0, 1) }), /Row 0 has method = undefined/);
  assert.throws(() => boxPlotsByMethod(boxRows, { metrics: [] }), /no metrics/);
});

test("figureToJson writes typed arrays as arrays", () => {
  const json = figureToJson({ data: [{ type: "scatter", x: Float64Array.from([1, 2]), y: [Number.NaN, 3] }], layout: {} });
  assert.equal(json, '{"data":[{"type":"scatter","x":[1,2],"y":[null,3]}],"layout":{}}');
  assert.throws(() => figureToJson({ layout: {} } as unknown as Figure), /Figure data is undefined/);
});

test("writeFigureHtml inline page holds data and plotly", () => {
  const folder = temporaryFolder();
  try {
    const figure = lineFigure([{ name: "a </script> b", x: [1, 2, 3], y: [0.125, 0.5, 0.875] }], {
      title: "export test",
      x: { label: "time", unit: "s" },
      y: { label: "gate probability", unit: "" },
    });
    const file = writeFigureHtml(figure, path.join(folder, "nested", "figure.html"));
    const html = readFileSync(file, "utf8");

    const stored = figureInPage(html);
    assert.deepEqual(stored.data[0].y, [0.125, 0.5, 0.875]);
    assert.equal(stored.data[0].name, "a </script> b", "the trace name survives the script escaping");
    assert.equal(stored.layout.xaxis.title.text, "time (s)");
    assert.equal(stored.config.showSendToCloud, false);
    assert.ok(html.includes(`plotly.js v${plotlyBundle().version}`), "plotly.js is inlined");
    assert.ok(!/<script[^>]+src=/.test(html), "the inline page loads no script file");
    assert.ok(html.includes("<title>export test</title>"));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("writeFigureHtml sibling page links plotly", () => {
  const folder = temporaryFolder();
  try {
    const figure = lineFigure([{ name: "a", x: [1, 2], y: [3, 4] }], { x: { label: "x", unit: "m" }, y: { label: "y", unit: "m" } });
    writeFigureHtml(figure, path.join(folder, "one.html"), { plotly: "sibling" });
    writeFigureHtml(figure, path.join(folder, "two.html"), { plotly: "sibling" });

    const bundleName = `plotly-${plotlyBundle().version}.js`;
    const html = readFileSync(path.join(folder, "two.html"), "utf8");
    assert.ok(html.includes(`<script src="${bundleName}"></script>`));
    assert.equal(statSync(path.join(folder, bundleName)).size, statSync(plotlyBundle().path).size);
    assert.deepEqual(figureInPage(html).data[0].y, [3, 4]);
    assert.throws(() => writeFigureHtml(figure, path.join(folder, "x.html"), { plotly: "cdn" as "inline" }), /use "inline" or "sibling"/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("writeFigureImages renders PNG and SVG", { skip: chromiumAvailable() ? false : "Chromium not found at /usr/bin/chromium (or OTMOE_CHROMIUM); apt-get install chromium to run this test" }, async () => {
  const folder = temporaryFolder();
  try {
    const figure = boxPlotsByMethod(boxRows, { metrics: boxMetrics });
    const pngPath = path.join(folder, "box.png");
    const svgPath = path.join(folder, "images", "box.svg");
    await writeFigureImages([
      { figure, path: pngPath, options: { width: 640, height: 400, scale: 2 } },
      { figure, path: svgPath, options: { width: 500, height: 300 } },
    ]);

    const png = readFileSync(pngPath);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.ok(png.length > 1024, `PNG has only ${png.length} bytes`);
    // The IHDR chunk stores width and height as big-endian 32-bit integers at bytes 16 and 20; scale 2 doubles both.
    assert.equal(png.readUInt32BE(16), 1280);
    assert.equal(png.readUInt32BE(20), 800);

    const svg = readFileSync(svgPath, "utf8");
    assert.ok(svg.startsWith("<svg"), `SVG starts with ${JSON.stringify(svg.slice(0, 20))}`);
    assert.ok(svg.includes('width="500"'), "SVG width");
    assert.ok(svg.includes('height="300"'), "SVG height");
    assert.ok(svg.includes("test RMSE (beats/min)"), "the SVG contains the axis title");
    assert.ok(svg.length > 1024);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("writeFigureImages checks format and size", async () => {
  const figure = lineFigure([{ name: "a", x: [1], y: [1] }], { x: { label: "x", unit: "" }, y: { label: "y", unit: "" } });
  await assert.rejects(writeFigureImages([{ figure, path: "figure.jpg" }]), /name it \*\.png or \*\.svg/);
  await assert.rejects(writeFigureImages([{ figure, path: "figure.png", options: { format: "svg" } }]), /ends in \.png/);
  await assert.rejects(writeFigureImages([{ figure, path: "figure.png", options: { width: 0 } }]), /Image width is 0/);
});

test("chromiumPath names the install command", () => {
  const saved = process.env.OTMOE_CHROMIUM;
  process.env.OTMOE_CHROMIUM = path.join(os.tmpdir(), "no-such-chromium");
  try {
    assert.throws(() => chromiumPath(), /apt-get install chromium/);
    assert.equal(chromiumAvailable(), false);
  } finally {
    if (saved === undefined) delete process.env.OTMOE_CHROMIUM;
    else process.env.OTMOE_CHROMIUM = saved;
  }
});

test("showFigure outside a kernel throws", () => {
  const figure = lineFigure([{ name: "a", x: [1], y: [1] }], { x: { label: "x", unit: "" }, y: { label: "y", unit: "" } });
  assert.throws(() => showFigure(figure), /No tslab kernel runs in this process/);
});

/** Returns the code of each classic script element (not the JSON data blocks) in an HTML fragment. */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
}

test("notebook HTML outputs hold valid scripts", () => {
  const figure = lineFigure([{ name: 'quote " and </script>', x: [1], y: [2] }], { x: { label: "x", unit: "" }, y: { label: "y", unit: "" } });
  const fallback = figureHtmlFallback(figureToJson(figure), "title", 400);
  const loader = serverLoaderHtml("../node_modules/plotly.js-dist/plotly.js", "4.1.1");

  const scripts = [...inlineScripts(fallback), ...inlineScripts(loader)];
  assert.equal(scripts.length, 2);
  for (const code of scripts) assert.doesNotThrow(() => new vm.Script(code), `script does not parse:\n${code}`);

  const json = fallback.match(/<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/);
  assert.ok(json, "fallback has no figure JSON");
  assert.equal(JSON.parse(json[1]).data[0].name, 'quote " and </script>');
});

test("formatCell keeps integer digits", () => {
  assert.equal(formatCell(12345.678), "12346");
  assert.equal(formatCell(1.23456), "1.235");
  assert.equal(formatCell(-0.000123456), "-0.0001235");
  assert.equal(formatCell(42), "42");
  assert.equal(formatCell(Number.NaN), "NaN");
  assert.equal(formatCell(null), "");
  assert.equal(formatCell(0.5, 2), "0.5");
});

test("tables render HTML and Markdown", () => {
  const rows = [
    { method: "global", rmse: 1.23456, machines: 1 },
    { method: "a|b <c>", rmse: null, machines: 16 },
  ];

  assert.equal(
    markdownTable(rows, { caption: "RMSE" }),
    ["RMSE", "", "| method | rmse | machines |", "| --- | ---: | ---: |", "| global | 1.235 | 1 |", "| a\\|b <c> |  | 16 |"].join("\n"),
  );

  const html = htmlTable(rows, { columns: ["method", "rmse"] });
  assert.ok(html.includes("<td>a|b &lt;c&gt;</td>"), "HTML escapes cell text");
  assert.ok(html.includes('<td style="text-align: right;">1.235</td>'), "numbers are right-aligned");
  assert.ok(!html.includes("machines"), "only the requested columns");
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
  assert.throws(() => htmlTable(rows, { digits: 0 }), /digits is 0/);
});

test("plotly bundle is installed", () => {
  const bundle = plotlyBundle();
  assert.ok(existsSync(bundle.path), bundle.path);
  assert.match(bundle.version, /^\d+\.\d+\.\d+$/);
});
