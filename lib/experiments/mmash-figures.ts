/**
 * Figures of the MMASH experiment as plotly specs: the experts over the activity covariate, the gate
 * probabilities over a day, the method comparison and the speed-up over the global fit.
 */
import type { Data, Layout } from 'plotly.js-dist';

import { gateProbabilities, predictLabels } from '../model/density';
import type { Dataset, MoEModel } from '../model/types';
import { axisTitle, baseLayout, traceColor, type Figure } from '../plots/figure';
import { Random } from '../random';
import type { MmashResultRow } from './mmash-table';

const HEART_RATE_AXIS = { label: 'heart rate', unit: 'beats/min' };

/** Axis titles of the default activity features; other features are labelled "name = expression". */
const FEATURE_AXES: Readonly<Record<string, { label: string; unit: string }>> = {
  log1p_vm: { label: 'log(1 + vector magnitude), vector magnitude in counts/s', unit: '' },
  log1p_steps: { label: 'log(1 + steps), steps per second', unit: '' },
};

/** Options of expertScatterFigure. */
export interface ExpertScatterOptions {
  /** Column of `data` on the horizontal axis. */
  feature: number;
  /** Expression of that feature, for the axis title of a feature without a known unit. */
  expression: string;
  title: string;
  /** At most this many points are drawn, chosen at random; the regression lines use all rows. */
  maxPoints: number;
  seed: number;
}

/**
 * Builds a scatter of heart rate against one covariate, each point coloured by its most probable expert given
 * (x, y), argmax_k τ_k(x, y). Each expert's regression line β_kᵀx̃ is drawn along that covariate, with the other
 * covariates at their means over `data`.
 */
export function expertScatterFigure(model: MoEModel, data: Dataset, options: ExpertScatterOptions): Figure {
  const { n, d } = data;
  const j = options.feature;
  const labels = predictLabels(model, data, 'posterior');
  const plotted = sampleRows(n, options.maxPoints, options.seed);

  // Covariate means x̄ and the range of the plotted covariate.
  const means = new Float64Array(d);
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) means[c] += data.x[i * d + c] / n;
    low = Math.min(low, data.x[i * d + j]);
    high = Math.max(high, data.x[i * d + j]);
  }

  const traces: Data[] = [];
  for (let k = 0; k < model.K; k++) {
    const rows = plotted.filter((i) => labels[i] === k);
    traces.push({
      type: 'scatter',
      mode: 'markers',
      name: `expert ${k + 1}: ${rows.length} points`,
      legendgroup: `expert ${k + 1}`,
      x: rows.map((i) => data.x[i * d + j]),
      y: rows.map((i) => data.y[i]),
      marker: { color: traceColor(k), size: 4, opacity: 0.45 },
    });
  }

  // Line of expert k: β_k0 + Σ_{c≠j} β_kc x̄_c + β_kj t for t over the plotted range.
  for (let k = 0; k < model.K; k++) {
    let offset = model.experts[0][k];
    for (let c = 0; c < d; c++) if (c !== j) offset += model.experts[c + 1][k] * means[c];
    const slope = model.experts[j + 1][k];
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: `expert ${k + 1}: mean line`,
      legendgroup: `expert ${k + 1}`,
      x: [low, high],
      y: [offset + slope * low, offset + slope * high],
      line: { color: traceColor(k), width: 3 },
    });
  }

  const name = data.features[j];
  const xAxis = FEATURE_AXES[name] ?? { label: `${name} = ${options.expression}`, unit: '' };
  const layout = baseLayout({ x: xAxis, y: HEART_RATE_AXIS, title: options.title, legendTitle: 'most probable expert' });
  return { data: traces, layout };
}

/** Options of gateTimelineFigure. */
export interface GateTimelineOptions {
  title: string;
  /** Width of the time bins the gate probabilities and the heart rate are averaged over, minutes. */
  binMinutes: number;
}

/**
 * Builds the gate probabilities π_k(x) of one participant's rows over the recording, averaged over time bins
 * and stacked (they sum to 1 at every row), with the mean heart rate per bin on a second axis. The horizontal
 * axis is the clock time in hours since midnight before the first recorded day, with ticks labelled as the
 * time of day.
 *
 * @param rows - the participant's rows
 * @param hourOfDay - time of day of each row, hours, length rows.n
 * @param day - recording day of each row (1, 2, …), length rows.n
 */
export function gateTimelineFigure(model: MoEModel, rows: Dataset, hourOfDay: ArrayLike<number>, day: ArrayLike<number>, options: GateTimelineOptions): Figure {
  const K = model.K;
  const gates = gateProbabilities(model, rows.x, rows.n);

  // Bin b covers clock times [b, b + 1) · binMinutes / 60 hours; sums of π_k and of the heart rate per bin.
  const binsPerHour = 60 / options.binMinutes;
  const sums = new Map<number, { count: number; gates: Float64Array; heartRate: number }>();
  for (let i = 0; i < rows.n; i++) {
    const bin = Math.floor((24 * (day[i] - 1) + hourOfDay[i]) * binsPerHour);
    let sum = sums.get(bin);
    if (sum === undefined) {
      sum = { count: 0, gates: new Float64Array(K), heartRate: 0 };
      sums.set(bin, sum);
    }
    sum.count++;
    sum.heartRate += rows.y[i];
    for (let k = 0; k < K; k++) sum.gates[k] += gates[i * K + k];
  }

  const bins = [...sums.keys()].sort((a, b) => a - b);
  const clock = bins.map((bin) => (bin + 0.5) / binsPerHour);
  const traces: Data[] = [];
  for (let k = 0; k < K; k++) {
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: `expert ${k + 1}`,
      stackgroup: 'gates',
      x: clock,
      y: bins.map((bin) => sums.get(bin)!.gates[k] / sums.get(bin)!.count),
      line: { color: traceColor(k), width: 0.5 },
      fillcolor: traceColor(k),
    });
  }
  traces.push({
    type: 'scatter',
    mode: 'lines',
    name: 'heart rate (right axis)',
    x: clock,
    y: bins.map((bin) => sums.get(bin)!.heartRate / sums.get(bin)!.count),
    yaxis: 'y2',
    line: { color: '#111111', width: 1.5 },
  });

  const layout = baseLayout({
    x: { label: 'time of day', unit: 'h' },
    y: { label: `gate probability π_k(x), ${options.binMinutes}-min mean, stacked`, unit: '' },
    title: options.title,
    legendTitle: 'gate of expert',
  });
  const ticks = clockTicks(clock[0], clock[clock.length - 1]);
  layout.xaxis = { ...layout.xaxis, tickvals: ticks.values, ticktext: ticks.labels };
  layout.yaxis = { ...layout.yaxis, range: [0, 1] };
  layout.yaxis2 = { title: { text: `${axisTitle(HEART_RATE_AXIS)}, ${options.binMinutes}-min mean` }, overlaying: 'y', side: 'right', showgrid: false, tickmode: 'auto' };
  layout.legend = { ...layout.legend, x: 1.08, traceorder: 'normal' };
  return { data: traces, layout };
}

/** One scenario of the comparison figures: its identifier in the rows and its legend title. */
export interface ScenarioLegend {
  id: string;
  title: string;
}

/**
 * Builds a three-panel dot chart per method: test log-likelihood per row, RMSE and learning time, one colour
 * per scenario. RMSE and time use log axes, because they span orders of magnitude across methods.
 */
export function methodComparisonFigure(rows: readonly MmashResultRow[], scenarios: readonly ScenarioLegend[], title: string): Figure {
  const panels: { key: 'testMeanLogLikelihood' | 'rmse' | 'wallSeconds'; axis: { label: string; unit: string }; log: boolean; domain: [number, number] }[] = [
    { key: 'testMeanLogLikelihood', axis: { label: 'test log-lik. per row', unit: 'nats' }, log: false, domain: [0.7, 1] },
    { key: 'rmse', axis: { label: 'test RMSE', unit: 'beats/min' }, log: true, domain: [0.36, 0.64] },
    { key: 'wallSeconds', axis: { label: 'learning time', unit: 's' }, log: true, domain: [0, 0.3] },
  ];
  const methods = distinct(rows.map((row) => row.method));

  const traces: Data[] = [];
  panels.forEach((panel, p) => {
    scenarios.forEach((scenario, s) => {
      const scenarioRows = rows.filter((row) => row.scenario === scenario.id);
      traces.push({
        type: 'scatter',
        mode: 'markers',
        name: scenario.title,
        legendgroup: scenario.id,
        showlegend: p === 0,
        offsetgroup: scenario.id,
        x: scenarioRows.map((row) => row.method),
        y: scenarioRows.map((row) => row[panel.key]),
        xaxis: p === 0 ? 'x' : `x${p + 1}`,
        yaxis: p === 0 ? 'y' : `y${p + 1}`,
        marker: { color: traceColor(s), size: 9 },
      } as Data);
    });
  });

  const layout: Partial<Layout> = {
    title: { text: title },
    showlegend: true,
    legend: { title: { text: 'scenario' } },
    scattermode: 'group',
    height: 800,
  };
  const axes = layout as Record<string, unknown>;
  panels.forEach((panel, p) => {
    const suffix = p === 0 ? '' : String(p + 1);
    axes[`xaxis${suffix}`] = {
      type: 'category',
      categoryorder: 'array',
      categoryarray: methods,
      anchor: `y${suffix}`,
      showticklabels: p === panels.length - 1,
      ...(p === panels.length - 1 ? { title: { text: 'method' } } : { matches: `x${panels.length}` }),
    };
    axes[`yaxis${suffix}`] = { title: { text: axisTitle(panel.axis) }, type: panel.log ? 'log' : 'linear', domain: panel.domain, anchor: `x${suffix}` };
  });
  return { data: traces, layout };
}

/**
 * Builds a bar chart of the speed-up of each method over the global fit, global wall time / method wall time,
 * per scenario, on a log axis with a dashed line at 1 (as fast as the global fit).
 */
export function speedUpFigure(rows: readonly MmashResultRow[], scenarios: readonly ScenarioLegend[], title: string): Figure {
  const compared = rows.filter((row) => row.method !== 'global' && row.speedUp !== null);
  const methods = distinct(compared.map((row) => row.method));

  const traces: Data[] = scenarios.map((scenario, s) => {
    const scenarioRows = compared.filter((row) => row.scenario === scenario.id);
    return {
      type: 'bar',
      name: scenario.title,
      x: scenarioRows.map((row) => row.method),
      y: scenarioRows.map((row) => row.speedUp as number),
      texttemplate: '%{y:.2g}',
      textposition: 'outside',
      marker: { color: traceColor(s) },
    };
  });

  const layout = baseLayout({
    x: { label: 'method', unit: '' },
    y: { label: 'speed-up over the global fit (global time / method time)', unit: '×' },
    title,
    legendTitle: 'scenario',
  });
  layout.barmode = 'group';
  layout.xaxis = { ...layout.xaxis, type: 'category', categoryorder: 'array', categoryarray: methods };
  layout.yaxis = { ...layout.yaxis, type: 'log' };
  layout.shapes = [{ type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: 1, y1: 1, line: { dash: 'dash', color: '#444', width: 1 } }];
  return { data: traces, layout };
}

/** Row indices 0 … n−1, all of them when n ≤ max, else `max` of them drawn at random; ascending. */
function sampleRows(n: number, max: number, seed: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from(new Random(seed).permutation(n).subarray(0, max)).sort((a, b) => a - b);
}

/** Ticks every 3 h between `low` and `high` hours, labelled as clock times "hh:00". */
function clockTicks(low: number, high: number): { values: number[]; labels: string[] } {
  const values: number[] = [];
  for (let hour = Math.ceil(low / 3) * 3; hour <= high; hour += 3) values.push(hour);
  const labels = values.map((hour) => `${String(hour % 24).padStart(2, '0')}:00`);
  return { values, labels };
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
