import { predictLabels } from "../model/density";
import type { Dataset, MoEModel } from "../model/types";
import { adjustedRandIndex, clusteringError, randIndex } from "./clustering";
import { parameterMse, type ExpertAlignment, type ParameterMse } from "./parameters";
import { modelPredictionErrors, testLogLikelihood } from "./prediction";

export { solveAssignment, assignmentCost } from "./assignment";
export { adjustedRandIndex, clusteringError, contingencyTable, matchLabels, randIndex, type ContingencyTable } from "./clustering";
export { alignExperts, parameterMse, type ExpertAlignment, type ParameterMse } from "./parameters";
export { modelPredictionErrors, predictionErrors, testLogLikelihood, type HeldOutLogLikelihood, type PredictionErrors } from "./prediction";

/**
 * Held-out metrics of one fitted model on one test set, as a plain JSON-ready object. A metric that
 * needs information the caller did not give (true labels, true model) is null.
 */
export interface TestMetrics {
  /** Number of held-out points. */
  n: number;
  /** Test log-likelihood Σ_i log f(y_i | x_i), in nats. */
  logLikelihood: number;
  /** Test log-likelihood per point, in nats. */
  meanLogLikelihood: number;
  /** Relative prediction error Σ (y − ŷ)² / Σ y² of the predicted mean ŷ, unitless. */
  rpe: number;
  /** Root mean squared error of ŷ, in the unit of y. */
  rmse: number;
  /** Mean absolute error of ŷ, in the unit of y. */
  mae: number;
  /** Pearson correlation of y and ŷ; NaN when either is constant. */
  pearson: number;
  /** Rand index of the predicted labels against the true labels, in [0, 1]; null without true labels. */
  randIndex: number | null;
  /** Adjusted Rand index of the predicted labels against the true labels, at most 1; null without true labels. */
  adjustedRandIndex: number | null;
  /** Fraction of misclustered points under the best label matching, in [0, 1]; null without true labels. */
  clusteringError: number | null;
  /** Parameter MSE against the true model; null without a true model. */
  parameterMse: ParameterMse | null;
  /**
   * Transportation divergence from the fitted model to the true model (the aggregation objective evaluated
   * on support points), in nats. Not computed here: the caller fills it, and null means not computed.
   */
  transportDivergence: number | null;
}

/** Options of computeTestMetrics. */
export interface TestMetricsOptions {
  /** True labels of the test points, length n, for the clustering metrics. */
  labels?: ArrayLike<number>;
  /** Hard-label rule for the predicted labels: gate MAP ("gate", the default) or posterior MAP ("posterior"). */
  labelRule?: "gate" | "posterior";
  /** True model, for the parameter MSE. */
  truth?: MoEModel;
  /** Expert pairing for the parameter MSE, "canonical" by default. */
  alignment?: ExpertAlignment;
}

/**
 * Computes all held-out metrics of `model` on `data`: test log-likelihood, prediction errors, and, when
 * the options give them, clustering metrics against true labels and parameter errors against a true model.
 */
export function computeTestMetrics(model: MoEModel, data: Dataset, options: TestMetricsOptions = {}): TestMetrics {
  const logLikelihood = testLogLikelihood(model, data);
  const errors = modelPredictionErrors(model, data);

  let clustering: Pick<TestMetrics, "randIndex" | "adjustedRandIndex" | "clusteringError"> = {
    randIndex: null,
    adjustedRandIndex: null,
    clusteringError: null,
  };
  if (options.labels !== undefined) {
    if (options.labels.length !== data.n) {
      throw new Error(`Got ${options.labels.length} true labels for ${data.n} test points; give one label per point.`);
    }
    const predicted = predictLabels(model, data, options.labelRule ?? "gate");
    clustering = {
      randIndex: randIndex(options.labels, predicted),
      adjustedRandIndex: adjustedRandIndex(options.labels, predicted),
      clusteringError: clusteringError(options.labels, predicted),
    };
  }

  const parameters = options.truth !== undefined ? parameterMse(model, options.truth, options.alignment ?? "canonical") : null;

  return {
    n: data.n,
    logLikelihood: logLikelihood.sum,
    meanLogLikelihood: logLikelihood.mean,
    ...errors,
    ...clustering,
    parameterMse: parameters,
    transportDivergence: null,
  };
}
