import type { Data } from "plotly.js-dist";

import type { QuickstartResult } from "../experiments/quickstart";
import { summarizeResults } from "../distributed/summary";
import type { Figure } from "../plots/figure";
import { traceColor } from "../plots/figure";
import { lineFigure, type LineSeries } from "../plots/lines";
import { scatterByLabel } from "../plots/scatter";
import { gateProbabilities } from "../model/density";
import type { MoEModel } from "../model/types";
import type { SettingValue } from "../sweep/grid";
import type { ReportSection } from "./section";

const X_AXIS = { label: "covariate x", unit: "" };
const DASHES = ["dot", "solid", "dash", "dashdot"] as const;

/** Returns the models to draw: the truth, then each method's fitted model. */
function modelsOf(result: QuickstartResult, methods?: readonly string[]): { name: string; model: MoEModel }[] {
  const fitted = result.study.results.filter((entry) => !methods || methods.includes(entry.method));
  return [{ name: "truth", model: result.truth }, ...fitted.map((entry) => ({ name: entry.method, model: entry.model }))];
}

/** Returns evenly spaced covariate values over the range of the training data. */
function covariateGrid(result: QuickstartResult, points: number): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (const value of result.train.x) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return Float64Array.from({ length: points }, (_, i) => min + ((max - min) * i) / (points - 1));
}

/**
 * Plots the test points coloured by their true expert, with the expert regression lines β_k0 + β_k1 x of the truth
 * (dotted) and of each fitted model (one dash style per model, expert colours as the points).
 */
export function quickstartDataFigure(result: QuickstartResult, methods: readonly string[] = ["global", "ot"]): Figure {
  const figure = scatterByLabel(
    { x: result.test.x, y: result.test.y, labels: result.testLabels },
    {
      x: X_AXIS,
      y: { label: "response y", unit: "" },
      title: "Test points by true expert, with the experts' regression lines",
      legendTitle: "points and lines",
      labelName: (label) => `points of expert ${Number(label) + 1}`,
      markerSize: 4,
      opacity: 0.4,
    },
  );

  const ends = covariateGrid(result, 2);
  modelsOf(result, methods).forEach(({ name, model }, m) => {
    for (let k = 0; k < model.K; k++) {
      const line: Data = {
        type: "scatter",
        mode: "lines",
        name: `${name}: expert ${k + 1}`,
        x: Array.from(ends),
        y: Array.from(ends, (x) => model.experts[0][k] + model.experts[1][k] * x),
        line: { color: traceColor(k), dash: DASHES[m % DASHES.length], width: 2 },
        legendgroup: name,
      };
      figure.data.push(line);
    }
  });
  return figure;
}

/** Plots the gate probabilities π_k(x) of the truth and each fitted model on a grid of x, colour by expert, dash by model. */
export function quickstartGatesFigure(result: QuickstartResult, methods: readonly string[] = ["global", "ot"], points = 201): Figure {
  const grid = covariateGrid(result, points);
  const series: LineSeries[] = [];
  const colors: string[] = [];

  modelsOf(result, methods).forEach(({ name, model }, m) => {
    const probabilities = gateProbabilities(model, grid, points);
    for (let k = 0; k < model.K; k++) {
      series.push({
        name: `${name}: π_${k + 1}(x)`,
        x: grid,
        y: Array.from({ length: points }, (_, i) => probabilities[i * model.K + k]),
        dash: DASHES[m % DASHES.length],
      });
      colors.push(traceColor(k));
    }
  });

  const figure = lineFigure(series, {
    x: X_AXIS,
    y: { label: "gate probability π_k(x)", unit: "" },
    title: "Gates of the truth (dotted) and of the fitted models; experts in canonical order",
    legendTitle: "model and gate",
  });
  figure.data.forEach((trace, index) => {
    (trace as { line: { color: string } }).line.color = colors[index];
  });
  return figure;
}

/** Lists the test metrics of each method, one row per method. */
export function quickstartMetricsTable(result: QuickstartResult): Record<string, SettingValue>[] {
  return summarizeResults(result.study.results).map((row) => ({
    method: row.method,
    "test log-lik. (nats/point)": row.testLogLikelihood,
    RPE: row.rpe,
    ARI: row.ari,
    "parameter MSE": row.parameterMse,
    "learning time (s)": row.seconds,
    "bytes sent": row.bytes,
  }));
}

/** Lists the expert and gate parameters of the truth and each fitted model, one row per model and expert (canonical order). */
export function quickstartParameterTable(result: QuickstartResult, methods: readonly string[] = ["global", "ot"]): Record<string, SettingValue>[] {
  return modelsOf(result, methods).flatMap(({ name, model }) =>
    Array.from({ length: model.K }, (_, k) => ({
      model: name,
      expert: k + 1,
      "intercept β_k0": model.experts[0][k],
      "slope β_k1": model.experts[1][k],
      "variance σ_k²": model.variances[k],
      "gate intercept α_k0": model.gates[0][k],
      "gate slope α_k1": model.gates[1][k],
    })),
  );
}

/** Builds the quickstart part of the report. */
export function quickstartSection(result: QuickstartResult): ReportSection {
  return {
    name: "quickstart",
    title: "Quickstart: one covariate, global against distributed",
    text:
      `A K = ${result.truth.K} mixture of experts on one standard normal covariate: ${result.train.n} training points on ` +
      `${result.shards.length} machines, ${result.test.n} test points. The gate of the last expert is fixed at 0, so gate ` +
      "coefficients are relative to it.",
    tables: [
      { name: "metrics", caption: "Test metrics of each method", rows: quickstartMetricsTable(result) },
      { name: "parameters", caption: "Expert and gate parameters of the truth and of the fitted models", rows: quickstartParameterTable(result) },
    ],
    figures: [
      { name: "data", figure: quickstartDataFigure(result) },
      { name: "gates", figure: quickstartGatesFigure(result) },
    ],
  };
}
