// Tables and figures of the experiments, shared by the notebooks and `otmoe report`.
export { groupedBarFigure, type BarSeries, type GroupedBarOptions } from "./bars";
export { D2_BOX_METRICS, OFF_SCALE_METHODS, d2BoxPlots, d2ComparisonTable, d2Section } from "./d2";
export { NONIID_METHODS, NONIID_METRICS, noniidFigure, noniidSection, scenarioLabel, type NoniidMetric } from "./noniid";
export { quickstartDataFigure, quickstartGatesFigure, quickstartMetricsTable, quickstartParameterTable, quickstartSection } from "./quickstart";
export { runReport, type ReportOptions } from "./run";
export { SCALING_METHODS, scalingAccuracyFigure, scalingSection, scalingSpeedupFigure, scalingTimeFigure, type ScalingKey } from "./scaling";
export type { ReportFigure, ReportSection, ReportTable } from "./section";
export { distinctStrings, meanSeries, tickAtSeriesValues, type SeriesOptions } from "./series";
export { SUPPORT_METRICS, gatingFigure, supportSection, supportSourceFigure, type SupportMetric } from "./support";
export { writeReport, type WriteReportOptions } from "./write";
