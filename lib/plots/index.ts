// Figure builders return plain plotly specs; show* display them in tslab notebooks; write* export files.
export { axisTitle, figureToJson, TRACE_COLORS, type AxisSpec, type Figure, type FigureOptions } from "./figure";
export { scatterByLabel, type LabelledPoints, type ScatterOptions } from "./scatter";
export { lineFigure, type LineSeries } from "./lines";
export { errorBarFigure, type ErrorBarOptions, type ErrorBarSeries } from "./error-bars";
export { boxPlotsByMethod, type BoxPlotOptions, type MetricSpec } from "./box";
export { figureHtmlPage, writeFigureHtml, type HtmlPageOptions, type WriteHtmlOptions } from "./html";
export { renderFigureImage, writeFigureImage, writeFigureImages, type ImageFormat, type ImageJob, type ImageOptions, type RenderOptions } from "./image";
export { chromiumAvailable, chromiumPath } from "./chromium";
export { formatCell, htmlTable, markdownTable, type TableOptions } from "./table";
export { PLOTLY_MIME_TYPE, showFigure, showFigureImage, showPlotlyLibrary, showTable, type PlotlyLibraryOptions, type ShowFigureOptions } from "./show";
