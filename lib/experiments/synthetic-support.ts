import { performance } from "node:perf_hooks";

import { transportDivergence } from "../aggregate/divergence";
import type { LocalModel } from "../aggregate/types";
import { fitLocalModels } from "../distributed/local-fits";
import { aggregate, poolShards, type MethodResult } from "../distributed/study";
import { drawSupport, type SupportSource } from "../distributed/support";
import { computeTestMetrics } from "../eval/metrics";
import { fitMoE } from "../fit/em";
import { serializeModel } from "../model/file";
import type { MoEModel } from "../model/types";
import { flattenMethodResult, type CellRow } from "../sweep/rows";
import type { CellFunction } from "../sweep/runner";
import { drawReplicate, type CellRunOptions } from "./synthetic-cells";
import type { SyntheticConfig } from "./synthetic-config";

/**
 * Returns the cell function of the support experiment. Each cell fits the global model and the M local models
 * once, then aggregates them with every support size S of `config.supportSizes` drawn from every source of
 * `config.supportSources`, by OT with support-only gating ("ot") and with posterior gating ("ot-posterior";
 * left out for the Gaussian source, whose draws have no responses). Rows carry the columns supportSource,
 * supportSize (the requested S) and supportPoints (the points drawn), which is null in the global row.
 * supportPoints can differ from S because the pooled source rounds each machine's share, and the machine
 * source takes at most that machine's rows. The transportation divergence to the truth is measured on one
 * fixed pooled support of `config.evaluationSupportSize` points, so that it does not change with S.
 */
export function supportCell(config: SyntheticConfig, run: CellRunOptions): CellFunction {
  return async (setting, _replicate, seed, context) => {
    const { shards, test, testLabels, truth } = drawReplicate(setting, "iid", config, seed);
    const evaluationSupport = drawSupport(shards, { size: config.evaluationSupportSize, source: "pooled", seed }).data;
    const metricsOf = (model: MoEModel) => {
      const metrics = computeTestMetrics(model, test, { labels: testLabels, truth, alignment: "matched" });
      metrics.transportDivergence = transportDivergence(model, truth, evaluationSupport);
      return metrics;
    };
    const rows: CellRow[] = [];

    if (config.methods.includes("global")) {
      context.report("global EM fit on the pooled data");
      const pooled = poolShards(shards);
      const fit = fitMoE(pooled, { K: config.K, starts: config.starts, seed, signal: context.signal });
      const result: MethodResult = {
        method: "global",
        model: fit.model,
        metrics: metricsOf(fit.model),
        times: { wall: fit.seconds, slowestLocal: null, sumLocal: null, aggregation: null },
        communication: { bytes: 8 * pooled.n * (pooled.d + 1), rounds: 1 },
        diagnostics: null,
        warnings: fit.warnings,
      };
      rows.push({ ...flattenMethodResult(result), supportSource: null, supportSize: null, supportPoints: null });
    }

    context.report(`local EM fits on ${shards.length} machines`);
    const localFits = await fitLocalModels(shards, {
      K: config.K,
      starts: config.starts,
      seed,
      concurrency: run.concurrency,
      signal: context.signal,
      onMachineDone: (done, total) => context.report(`local fits: ${done}/${total} machines done`),
    });
    const locals: LocalModel[] = localFits.fits.map((fit) => ({ model: fit.model, n: fit.n }));
    const slowest = Math.max(...localFits.fits.map((fit) => fit.seconds));
    const sumLocal = localFits.fits.reduce((total, fit) => total + fit.seconds, 0);
    const modelBytes = localFits.fits.reduce((total, fit) => total + Buffer.byteLength(serializeModel(fit.model, { n: fit.n })), 0);
    const localWarnings = localFits.fits.flatMap((fit) => fit.warnings);

    for (const source of config.supportSources) {
      for (const size of config.supportSizes) {
        context.report(`aggregation with S = ${size} support points from the ${source} source`);
        const support = drawSupport(shards, { size, source, seed });
        for (const method of gatingMethods(config, source)) {
          const started = performance.now();
          const aggregated = aggregate(method, locals, support.data, config.K, { seed });
          const seconds = (performance.now() - started) / 1000;
          const result: MethodResult = {
            method,
            model: aggregated.model,
            metrics: metricsOf(aggregated.model),
            times: { wall: slowest + seconds, slowestLocal: slowest, sumLocal, aggregation: seconds },
            communication: { bytes: modelBytes + support.bytes, rounds: 1 },
            diagnostics: aggregated.diagnostics,
            warnings: [...localWarnings, ...aggregated.diagnostics.warnings, ...aggregated.diagnostics.errors],
          };
          rows.push({ ...flattenMethodResult(result), supportSource: source, supportSize: size, supportPoints: support.data.n });
        }
      }
    }
    return rows;
  };
}

/** OT variants to run with a support source: posterior gating needs responses, which Gaussian draws lack. */
function gatingMethods(config: SyntheticConfig, source: SupportSource): ("ot" | "ot-posterior")[] {
  const methods: ("ot" | "ot-posterior")[] = [];
  if (config.methods.includes("ot")) methods.push("ot");
  if (config.methods.includes("ot-posterior") && source !== "gaussian") methods.push("ot-posterior");
  return methods;
}
